package cli

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ssv1alpha1 "github.com/bitnami-labs/sealed-secrets/pkg/apis/sealedsecrets/v1alpha1"
	sscrypto "github.com/bitnami-labs/sealed-secrets/pkg/crypto"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	"github.com/seal-gitops/seal/keys"
)

// newSSKey generates a Sealed Secrets controller key as the controller
// does and writes it to dir/name as PEM.
func newSSKey(t *testing.T, dir, name string) (*rsa.PrivateKey, string) {
	t.Helper()
	priv, _, err := sscrypto.GeneratePrivateKeyAndCert(2048, time.Hour, "sealed-secrets")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, name)
	cryptWrite(t, file, string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)})))
	return priv, file
}

// kubeseal seals secret as kubeseal does, with the Sealed Secrets code,
// and returns the SealedSecret and its manifest.
func kubeseal(t *testing.T, key *rsa.PrivateKey, secret *corev1.Secret) (*ssv1alpha1.SealedSecret, string) {
	t.Helper()
	ss, err := ssv1alpha1.NewSealedSecret(serializer.NewCodecFactory(scheme.Scheme), &key.PublicKey, secret)
	if err != nil {
		t.Fatal(err)
	}
	ss.TypeMeta = metav1.TypeMeta{APIVersion: "bitnami.com/v1alpha1", Kind: "SealedSecret"}
	out, err := yaml.Marshal(ss)
	if err != nil {
		t.Fatal(err)
	}
	return ss, string(out)
}

// importSecrets are Secrets sealed with each scope of Sealed Secrets.
func importSecrets() []*corev1.Secret {
	return []*corev1.Secret{{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "shop", Labels: map[string]string{"app": "shop"},
			Annotations: map[string]string{"team": "payments"}},
		Type: corev1.SecretTypeBasicAuth,
		Data: map[string][]byte{"username": []byte("admin"), "password": []byte(cryptValue)},
	}, {
		ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "shop",
			Annotations: map[string]string{ssv1alpha1.SealedSecretNamespaceWideAnnotation: "true"}},
		Data: map[string][]byte{"token": []byte(cryptToken)},
	}, {
		ObjectMeta: metav1.ObjectMeta{Name: "registry", Namespace: "ci",
			Annotations: map[string]string{ssv1alpha1.SealedSecretClusterWideAnnotation: "true"}},
		Data: map[string][]byte{"token": []byte(cryptToken)},
	}}
}

// wantImported is the plaintext seal import must seal for the Secrets.
const wantImported = `apiVersion: v1
data:
  password: <VALUE-BASE64>
  username: YWRtaW4=
kind: Secret
metadata:
  annotations:
    team: payments
  labels:
    app: shop
  name: db
  namespace: shop
type: kubernetes.io/basic-auth
---
apiVersion: v1
data:
  token: <TOKEN-BASE64>
kind: Secret
metadata:
  name: api
  namespace: shop
type: Opaque
`

// TestImport seals Secrets with the Sealed Secrets code, imports them
// offline with the controller's key and from the Secrets a controller
// made in a real API server, and checks that the agent's key opens the
// same Secrets, bound to the same identity.
func TestImport(t *testing.T) {
	dir, keyDir := t.TempDir(), t.TempDir()
	agent := newCryptKey(t, keyDir, "agent", keys.X25519)
	cryptWrite(t, filepath.Join(dir, ".sops.yaml"), cryptRule(`^clusters/.*\.yaml$`, agent))
	ssKey, keyFile := newSSKey(t, keyDir, "sealed-secrets.key")
	_, otherKeyFile := newSSKey(t, keyDir, "other.key")
	secrets := importSecrets()
	var sealed []*ssv1alpha1.SealedSecret
	var manifests []string
	for _, s := range secrets {
		ss, m := kubeseal(t, ssKey, s.DeepCopy())
		sealed, manifests = append(sealed, ss), append(manifests, m)
	}
	file := filepath.Join(dir, "clusters", "shop.yaml")
	cryptWrite(t, file, manifests[0]+"---\n"+manifests[1])
	redact := strings.NewReplacer(
		"aHVudGVyMi1uZXZlci1wcmludA==", "<VALUE-BASE64>", "dG9rZW4tbmV2ZXItcHJpbnQ=", "<TOKEN-BASE64>").Replace
	checkSealed := func(t *testing.T, what, out string) {
		t.Helper()
		if strings.Contains(out, cryptValue) || strings.Contains(out, cryptToken) || strings.Contains(out, "aHVudGVyMi1uZXZlci1wcmludA==") {
			t.Fatalf("%s: a value is in the output in plain text", what)
		}
		path := filepath.Join(t.TempDir(), "clusters", "out.yaml")
		cryptWrite(t, path, out)
		got := cryptDecrypt(t, path, agent)
		// The identity seal adds is checked by Decrypt; shown apart.
		got = strings.ReplaceAll(got, "    seal.dev/sealed-for: Secret/shop/db\n", "")
		got = strings.ReplaceAll(got, "  annotations:\n    seal.dev/sealed-for: Secret/shop/api\n", "")
		if diff := cryptDiff(wantImported, redact(got)); diff != "" {
			t.Errorf("%s: decrypted (-want +got):\n%s", what, diff)
		}
	}

	t.Run("offline with the controller's key", func(t *testing.T) {
		r := runSeal(t, dir, nil, "", "import", "--key", otherKeyFile, "--key", keyFile, "clusters/shop.yaml")
		if r.Code != ExitOK || r.Stderr != "" {
			t.Fatalf("exit %d, stderr:\n%s", r.Code, r.Stderr)
		}
		checkSealed(t, "stdout", r.Stdout)
	})

	t.Run("--in-place replaces the file", func(t *testing.T) {
		inPlace := filepath.Join(dir, "clusters", "copy.yaml")
		cryptWrite(t, inPlace, cryptRead(t, file))
		r := runSeal(t, dir, nil, "", "import", "--key", keyFile, "--in-place", "clusters/copy.yaml")
		if r.Code != ExitOK || r.Stdout != "" || r.Stderr != "imported clusters/copy.yaml\n" {
			t.Fatalf("exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
		}
		checkSealed(t, "the file", cryptRead(t, inPlace))
	})

	t.Run("a cluster-wide SealedSecret", func(t *testing.T) {
		cryptWrite(t, filepath.Join(dir, "clusters", "ci.yaml"), manifests[2])
		r := runSeal(t, dir, nil, "", "import", "--key", keyFile, "clusters/ci.yaml")
		if r.Code != ExitOK {
			t.Fatalf("exit %d, stderr:\n%s", r.Code, r.Stderr)
		}
		path := filepath.Join(t.TempDir(), "clusters", "ci.yaml")
		cryptWrite(t, path, r.Stdout)
		if got := cryptDecrypt(t, path, agent); !strings.Contains(got, "token: dG9rZW4tbmV2ZXItcHJpbnQ=\n") || !strings.Contains(got, "seal.dev/sealed-for: Secret/ci/registry") {
			t.Errorf("the cluster-wide Secret was not imported as Secret ci/registry")
		}
	})

	t.Run("errors name the file and say what to do", func(t *testing.T) {
		moved := strings.Replace(manifests[0], "namespace: shop", "namespace: other", 1)
		cryptWrite(t, filepath.Join(dir, "clusters", "moved.yaml"), moved)
		cryptWrite(t, filepath.Join(dir, "clusters", "plain.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
		for _, tt := range []struct {
			name string
			args []string
			code int
			want []string
		}{
			{"the wrong key", []string{"--key", otherKeyFile, "clusters/shop.yaml"}, ExitFailure, []string{
				"seal: error: clusters/shop.yaml: SealedSecret shop/db: cannot decrypt it: ",
				"seal: hint: give the key of the controller that sealed it"}},
			{"a SealedSecret moved to another namespace", []string{"--key", keyFile, "clusters/moved.yaml"}, ExitFailure, []string{
				"seal: error: clusters/moved.yaml: SealedSecret other/db: cannot decrypt it: "}},
			{"not a SealedSecret", []string{"--key", keyFile, "clusters/plain.yaml"}, ExitFailure, []string{
				"seal: error: clusters/plain.yaml: document 1 is a v1 ConfigMap, not a SealedSecret (bitnami.com/v1alpha1)\n"}},
			{"not a key", []string{"--key", file, "clusters/shop.yaml"}, ExitFailure, []string{
				"seal: error: --key " + file + ": holds no RSA private key in PEM\n"}},
			{"no source", []string{"clusters/shop.yaml"}, ExitUsage, []string{"seal: error: give either --key KEYFILE (offline) or --from-cluster\n"}},
			{"no file", []string{"--key", keyFile}, ExitUsage, []string{"seal: error: seal import needs at least one SealedSecret FILE\n"}},
		} {
			r := runSeal(t, dir, nil, "", append([]string{"import"}, tt.args...)...)
			if r.Code != tt.code || r.Stdout != "" {
				t.Errorf("%s: exit %d (want %d), stdout %q", tt.name, r.Code, tt.code, r.Stdout)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("%s: stderr lacks %q:\n%s", tt.name, w, r.Stderr)
				}
			}
			if strings.Contains(r.Stderr, cryptValue) || strings.Contains(r.Stderr, cryptToken) {
				t.Errorf("%s: a value was printed", tt.name)
			}
		}
	})

	t.Run("from the Secrets the controller made in the cluster", func(t *testing.T) {
		c := startCluster(t, false)
		ctx := context.Background()
		createNamespace(t, c, "shop")
		codecs := serializer.NewCodecFactory(scheme.Scheme)
		for i, ss := range sealed[:2] {
			ss.UID = types.UID(fmt.Sprintf("00000000-0000-0000-0000-00000000000%d", i)) // as the API server gave it
			// What the controller writes: its own unsealing, owned by
			// the SealedSecret.
			s, err := ss.Unseal(codecs, map[string]*rsa.PrivateKey{"k": ssKey})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Client.Create(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		r := runSeal(t, dir, nil, "", "import", "--from-cluster", "--kubeconfig", c.Kubeconfig, "clusters/shop.yaml")
		if r.Code != ExitOK || r.Stderr != "" {
			t.Fatalf("exit %d, stderr:\n%s", r.Code, r.Stderr)
		}
		checkSealed(t, "from the cluster", r.Stdout)

		// kubectl's connection flags reach the requests, and only go with
		// --from-cluster.
		r = runSeal(t, dir, nil, "", "import", "--from-cluster", "--kubeconfig", c.Kubeconfig, "--as", "someone-else", "clusters/shop.yaml")
		if r.Code != ExitFailure || !strings.Contains(r.Stderr, `User "someone-else" cannot get resource "secrets"`) {
			t.Errorf("--as: exit %d, stderr:\n%s", r.Code, r.Stderr)
		}
		r = runSeal(t, dir, nil, "", "import", "--as", "someone-else", "clusters/shop.yaml")
		if r.Code != ExitUsage || r.Stderr != "seal: error: --as goes with --from-cluster: kubectl's connection flags name the cluster to read the Secrets from\n" {
			t.Errorf("--as without --from-cluster: exit %d, stderr:\n%s", r.Code, r.Stderr)
		}

		// A Secret of that name the controller did not make is refused.
		createNamespace(t, c, "ci")
		if err := c.Client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "registry", Namespace: "ci"},
			Data: map[string][]byte{"token": []byte(cryptToken)}}); err != nil {
			t.Fatal(err)
		}
		r = runSeal(t, dir, nil, "", "import", "--from-cluster", "--kubeconfig", c.Kubeconfig, "clusters/ci.yaml")
		if r.Code != ExitFailure || !strings.Contains(r.Stderr, "was not made from SealedSecret registry (no owner reference to it)") {
			t.Errorf("a Secret without the SealedSecret as owner: exit %d, stderr:\n%s", r.Code, r.Stderr)
		}
	})
}
