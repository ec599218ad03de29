package bench_test

import (
	"fmt"

	"github.com/seal-gitops/seal/crypto"
)

const (
	benchNamespace = "bench"
	configMaps     = 800
	secrets        = 200
)

// benchRepo is the benchmark repository: a Namespace, 800 ConfigMaps and
// 200 Secrets encrypted for recipient, one object a file.
func benchRepo(recipient string) (map[string][]byte, error) {
	files := map[string][]byte{
		"namespace.yaml": fmt.Appendf(nil, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n", benchNamespace),
	}
	for i := range configMaps {
		files[fmt.Sprintf("config/cm-%04d.yaml", i)] = configMapFile(i, "v1")
	}
	for i := range secrets {
		plain := fmt.Appendf(nil, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: secret-%04d\n  namespace: %s\ntype: Opaque\nstringData:\n  username: user-%d\n  password: password-%d\n", i, benchNamespace, i, i)
		name := fmt.Sprintf("secrets/secret-%04d.yaml", i)
		enc, err := crypto.Encrypt(name, plain, crypto.EncryptOptions{Recipients: []string{recipient}})
		if err != nil {
			return nil, err
		}
		files[name] = enc
	}
	return files, nil
}

func configMapFile(i int, version string) []byte {
	return fmt.Appendf(nil, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%04d\n  namespace: %s\n  labels:\n    app: bench\ndata:\n  index: \"%d\"\n  version: %s\n  payload: %q\n",
		i, benchNamespace, i, version, fmt.Sprintf("%0200d", i))
}
