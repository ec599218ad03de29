package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/internal/atomicfile"
)

// The Helm release the demo adds: a chart kept in the repository, outside
// the synced path, and a release with a sealed values file inside it.
const (
	chartDir      = "charts/greeter"
	releaseName   = "greeter"
	releaseFile   = appPath + "/greeter-release.yaml"
	releaseValues = appPath + "/greeter-values.yaml"
)

func chartFiles() map[string][]byte {
	return map[string][]byte{
		chartDir + "/Chart.yaml": []byte("apiVersion: v2\nname: greeter\nversion: 0.1.0\n"),
		chartDir + "/templates/secret.yaml": []byte(`apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-api
stringData:
  apiKey: {{ .Values.apiKey | quote }}
`),
		chartDir + "/templates/configmap.yaml": []byte(`apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}
data:
  greeting: {{ .Values.greeting | quote }}
`),
	}
}

func releaseYAML() []byte {
	return fmt.Appendf(nil, `apiVersion: seal.dev/v1alpha1
kind: HelmRelease
metadata:
  name: %s
  namespace: %s
spec:
  chart:
    path: %s
    version: 0.1.0
  valuesFiles:
  - %s
  values:
    greeting: hello from a chart
`, releaseName, appNamespace, chartDir, releaseValues)
}

// addHelmRelease adds a chart and a release of it whose values file is
// sealed for that release, and checks the Secret the chart renders.
func (d *demo) addHelmRelease(ctx context.Context) error {
	key := make([]byte, 6)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	apiKey := "demo-key-" + hex.EncodeToString(key)
	d.apiKey = apiKey
	files := chartFiles()
	files[releaseFile] = releaseYAML()
	files[releaseValues] = []byte("apiKey: " + apiKey + "\n")
	for name, content := range files {
		path := filepath.Join(d.repo.Dir(), filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := atomicfile.WriteFile(path, content, 0o644); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	d.say.say("%s/: a chart that renders Secret <release>-api from .Values.apiKey and ConfigMap <release> from .Values.greeting", chartDir)
	d.say.say("%s: HelmRelease %s/%s of it, pinned to 0.1.0; %s: apiKey=%s (in plaintext for now)",
		releaseFile, appNamespace, releaseName, releaseValues, apiKey)
	release := appNamespace + "/" + releaseName
	if _, err := d.runSeal(ctx, "encrypt", "-i", "--release", release, releaseValues); err != nil {
		return err
	}
	d.say.say("the values file is sealed for HelmRelease %s only: another release, or a ConfigMap, cannot receive its values", release)
	const msg = "Add the greeter chart and its release, with a sealed API key"
	sha, err := d.repo.CommitAll(msg)
	if err != nil {
		return err
	}
	d.say.say("commit %s %q", sha[:8], msg)
	if err := d.checkHistory(ctx, "API key", apiKey); err != nil {
		return err
	}
	if err := d.requestSync(ctx); err != nil {
		return err
	}
	gs, err := d.waitSynced(ctx, sha)
	if err != nil {
		return err
	}
	d.say.say("synced revision %s: %s", sha[:8], summary(gs.Status.LastSync))
	for _, r := range gs.Status.HelmReleases {
		d.say.say("status.helmReleases: %s/%s chart %s %s, %d objects", r.Namespace, r.Name, r.Chart, r.Version, r.Objects)
	}
	name := releaseName + "-api"
	var s corev1.Secret
	if err := d.kube.Client.Get(ctx, client.ObjectKey{Namespace: appNamespace, Name: name}, &s); err != nil {
		return objectErr("Secret", appNamespace+"/"+name, "%w", err)
	}
	if string(s.Data["apiKey"]) != apiKey {
		return objectErr("Secret", appNamespace+"/"+name, "apiKey differs from the value sealed in Git")
	}
	d.say.say("%s/apiKey matches the value sealed in Git (%s), decrypted only in the agent's memory", name, apiKey)
	return nil
}
