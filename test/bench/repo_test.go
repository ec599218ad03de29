package bench_test

import (
	"fmt"

	"github.com/seal-gitops/seal/crypto"
)

const benchNamespace = "bench"

// benchRepo is the 1,001-object benchmark repository: a Namespace, 800
// ConfigMaps and 200 Secrets encrypted for recipient, one object a file.
func benchRepo(recipient string) (map[string][]byte, error) {
	return benchRepoN(recipient, 1001)
}

// benchRepoN is a repository of n objects: a Namespace, then about four
// ConfigMaps for every Secret encrypted for recipient, one object a file.
func benchRepoN(recipient string, n int) (map[string][]byte, error) {
	secrets := n / 5
	configMaps := n - 1 - secrets
	files := map[string][]byte{
		"namespace.yaml": fmt.Appendf(nil, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n", benchNamespace),
	}
	for i := range configMaps {
		files[configMapPath(i)] = configMapFile(i, "v1")
	}
	for i := range secrets {
		plain := fmt.Appendf(nil, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: secret-%04d\n  namespace: %s\ntype: Opaque\nstringData:\n  username: user-%d\n  password: password-%d\n", i, benchNamespace, i, i)
		name := fmt.Sprintf("secrets/secret-%05d.yaml", i)
		enc, err := crypto.Encrypt(name, plain, crypto.EncryptOptions{Recipients: []string{recipient}})
		if err != nil {
			return nil, err
		}
		files[name] = enc
	}
	return files, nil
}

// configMapPath is the file of ConfigMap i.
func configMapPath(i int) string { return fmt.Sprintf("config/cm-%05d.yaml", i) }

func configMapFile(i int, version string) []byte {
	return fmt.Appendf(nil, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%04d\n  namespace: %s\n  labels:\n    app: bench\ndata:\n  index: \"%d\"\n  version: %s\n  payload: %q\n",
		i, benchNamespace, i, version, fmt.Sprintf("%0200d", i))
}
