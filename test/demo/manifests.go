package main

import "fmt"

// The app the demo keeps in Git: a web server reading a greeting from a
// ConfigMap and a database password from a Secret.
const (
	deploymentFile = appPath + "/web.yaml"
	serviceFile    = appPath + "/web-service.yaml"
	configMapFile  = appPath + "/web-config.yaml"
	secretFile     = appPath + "/db-secret.yaml"

	dbUser        = "app"
	firstGreeting = "hello"
	nextGreeting  = "hello again"
)

func deploymentYAML(replicas int) []byte {
	return fmt.Appendf(nil, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: %d
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
        env:
        - name: GREETING
          valueFrom:
            configMapKeyRef: {name: web-config, key: greeting}
        - name: DB_PASSWORD
          valueFrom:
            secretKeyRef: {name: db, key: password}
`, replicas)
}

func serviceYAML() []byte {
	return []byte(`apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
`)
}

func configMapYAML(greeting string) []byte {
	return fmt.Appendf(nil, `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  greeting: %q
`, greeting)
}

// secretYAML is the plaintext Secret a developer writes before sealing it.
func secretYAML(password string) []byte {
	return fmt.Appendf(nil, `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: %s
  labels: {app: web}
type: Opaque
stringData:
  username: %s
  password: %s
`, appNamespace, dbUser, password)
}

// gitSyncYAML is the GitSync that points seal-agent at the repository.
func gitSyncYAML(url string) []byte {
	return fmt.Appendf(nil, `apiVersion: seal.dev/v1alpha1
kind: GitSync
metadata:
  name: %s
  namespace: %s
spec:
  url: %s
  ref: {branch: main}
  path: %s
  interval: %s
  prune: true
  # Ready only once what was applied is healthy: the Deployment rolled out.
  wait: true
  timeout: 1m
  targetNamespace: %s
  secretRef: {name: %s-git}
`, syncName, agentNamespace, url, appPath, syncInterval, appNamespace, syncName)
}
