package cli

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	ssv1alpha1 "github.com/bitnami-labs/sealed-secrets/pkg/apis/sealedsecrets/v1alpha1"
	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/internal/atomicfile"
)

// importOptions are the flags of seal import.
type importOptions struct {
	kubeTarget
	Keys        []string
	FromCluster bool
	InPlace     bool
	Recipients  []string
	Files       []string
}

func newImportCmd(f *Factory) *cobra.Command {
	opts := &importOptions{}
	cmd := &cobra.Command{
		Use:   "import FILE... (--key KEYFILE | --from-cluster)",
		Short: "Turn Bitnami SealedSecret manifests into sealed Secret files",
		Long: `Turn the SealedSecret manifests of Bitnami's Sealed Secrets into Secret
manifests sealed with seal for the recipients of each file's .sops.yaml
creation rule (or -r), keeping each Secret's identity: its name,
namespace, type, labels, annotations (but Sealed Secrets' own) and every
key of its data, also those made by the SealedSecret's template.

The values come from one of:
  --key KEYFILE    the Sealed Secrets controller's private key (PEM,
                   repeatable, e.g. from kubectl -n kube-system get secret
                   -l sealedsecrets.bitnami.com/sealed-secrets-key
                   -o jsonpath='{.items[*].data.tls\.key}' | base64 -d),
                   decrypting offline as the controller does;
  --from-cluster   the Secret the controller made from each SealedSecret
                   in the cluster (--context, --kubeconfig, --as, ...), which must
                   name that SealedSecret as its owner.

The sealed Secrets go to stdout, or, with --in-place, replace each FILE
(atomically; nothing in plain text is ever written to disk).`,
		Example: `  # Offline, with the controller's key
  seal import --key sealed-secrets.key clusters/prod/db-sealedsecret.yaml > clusters/prod/db.yaml

  # From the Secrets in the cluster, replacing the files
  seal import --from-cluster --context prod --in-place clusters/prod/*.yaml`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("seal import needs at least one SealedSecret FILE")
			}
			opts.Files = args
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name := opts.changedKubeFlag(cmd.Flags()); name != "" && !opts.FromCluster {
				return usagef("--%s goes with --from-cluster: kubectl's connection flags name the cluster to read the Secrets from", name)
			}
			return runImport(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.Keys, "key", nil, "the Sealed Secrets controller's private key `FILE` (PEM; repeatable)")
	fl.BoolVar(&opts.FromCluster, "from-cluster", false, "read the Secrets the Sealed Secrets controller made in the cluster")
	fl.BoolVar(&opts.InPlace, "in-place", false, "replace each FILE with its sealed Secrets instead of printing them")
	fl.StringArrayVarP(&opts.Recipients, "recipient", "r", nil, "age `RECIPIENT` (or a file of them; repeatable) instead of the .sops.yaml rule's")
	opts.addKubeFlags(fl)
	return cmd
}

// secretSource returns the Secret a SealedSecret stands for.
type secretSource func(ctx context.Context, name string, ss *ssv1alpha1.SealedSecret) (*corev1.Secret, error)

func runImport(ctx context.Context, f *Factory, opts *importOptions) error {
	if (len(opts.Keys) > 0) == opts.FromCluster {
		return usagef("give either --key KEYFILE (offline) or --from-cluster")
	}
	wd, err := factoryWD(f)
	if err != nil {
		return err
	}
	recipients, err := newRecipientSource(wd, opts.Recipients)
	if err != nil {
		return err
	}
	var source secretSource
	if opts.FromCluster {
		source, err = clusterSecrets(f, opts, wd)
	} else {
		source, err = offlineSecrets(wd, opts.Keys)
	}
	if err != nil {
		return err
	}
	var out bytes.Buffer
	for i, name := range opts.Files {
		sealed, err := importFile(ctx, wd, name, source, recipients)
		if err != nil {
			return err
		}
		if opts.InPlace {
			if err := atomicfile.WriteFile(wdPath(wd, name), sealed, 0o644); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			fmt.Fprintf(f.IO.Err, "imported %s\n", name)
			continue
		}
		if i > 0 {
			out.WriteString("---\n")
		}
		out.Write(sealed)
	}
	_, err = f.IO.Out.Write(out.Bytes())
	return err
}

// importFile reads the SealedSecrets of one file and returns them as
// sealed Secrets, encrypted for the file's recipients.
func importFile(ctx context.Context, wd, name string, source secretSource, recipients *recipientSource) ([]byte, error) {
	data, err := os.ReadFile(wdPath(wd, name))
	if err != nil {
		return nil, err
	}
	docs, err := readDocs(name, data)
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("%s: holds no SealedSecret", name)
	}
	var plain bytes.Buffer
	for i, d := range docs {
		if d["kind"] != "SealedSecret" || !strings.HasPrefix(fmt.Sprint(d["apiVersion"]), "bitnami.com/") {
			return nil, withHint(fmt.Errorf("%s: document %d is a %v %v, not a SealedSecret (bitnami.com/v1alpha1)", name, i+1, d["apiVersion"], d["kind"]),
				"give only files of SealedSecrets; seal encrypt seals plain Secrets")
		}
		raw, err := yaml.Marshal(d)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", name, i+1, err)
		}
		ss := &ssv1alpha1.SealedSecret{}
		if err := yaml.UnmarshalStrict(raw, ss); err != nil {
			return nil, fmt.Errorf("%s: document %d: not a SealedSecret: %w", name, i+1, err)
		}
		if ss.Namespace == "" {
			return nil, withHint(fmt.Errorf("%s: SealedSecret %s has no namespace, and a Secret is sealed for its namespace", name, ss.Name),
				"add metadata.namespace to the SealedSecret (the one it is applied to)")
		}
		secret, err := source(ctx, name, ss)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			plain.WriteString("---\n")
		}
		doc, err := secretManifest(secret)
		if err != nil {
			return nil, fmt.Errorf("%s: Secret %s/%s: %w", name, ss.Namespace, ss.Name, err)
		}
		plain.Write(doc)
	}
	rs, err := recipients.forFile(encInput{Name: name, Path: wdPath(wd, name)})
	if err != nil {
		return nil, err
	}
	return crypto.Encrypt(name, plain.Bytes(), crypto.EncryptOptions{Recipients: rs.recipients, EncryptedRegex: rs.encryptedRegex})
}

// secretManifest writes the Secret as a manifest: its identity, type,
// labels, annotations but those of Sealed Secrets and kubectl, and data.
func secretManifest(s *corev1.Secret) ([]byte, error) {
	meta := map[string]any{"name": s.Name, "namespace": s.Namespace}
	if len(s.Labels) > 0 {
		meta["labels"] = s.Labels
	}
	ann := map[string]string{}
	for k, v := range s.Annotations {
		if !strings.HasPrefix(k, "sealedsecrets.bitnami.com/") && k != corev1.LastAppliedConfigAnnotation {
			ann[k] = v
		}
	}
	if len(ann) > 0 {
		meta["annotations"] = ann
	}
	data := map[string]string{}
	for k, v := range s.Data {
		data[k] = base64.StdEncoding.EncodeToString(v)
	}
	m := map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": meta, "data": data}
	// As the API server defaults it, so offline and in-cluster imports agree.
	m["type"] = string(corev1.SecretTypeOpaque)
	if s.Type != "" {
		m["type"] = string(s.Type)
	}
	if s.Immutable != nil {
		m["immutable"] = *s.Immutable
	}
	return yaml.Marshal(m)
}

// offlineSecrets unseals with the controller's private keys, with the
// Sealed Secrets code itself (the scope's label included).
func offlineSecrets(wd string, files []string) (secretSource, error) {
	keys := map[string]*rsa.PrivateKey{}
	for _, name := range files {
		data, err := os.ReadFile(wdPath(wd, name))
		if err != nil {
			return nil, fmt.Errorf("--key: %w", err)
		}
		found := 0
		for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
			k, err := parseRSAKey(block)
			if err != nil {
				return nil, fmt.Errorf("--key %s: %w", name, err)
			}
			if k != nil {
				keys[fmt.Sprintf("%s#%d", name, found)] = k
				found++
			}
		}
		if found == 0 {
			return nil, withHint(fmt.Errorf("--key %s: holds no RSA private key in PEM", name),
				"give the controller's tls.key: kubectl -n kube-system get secret -l sealedsecrets.bitnami.com/sealed-secrets-key -o jsonpath='{.items[*].data.tls\\.key}' | base64 -d")
		}
	}
	codecs := serializer.NewCodecFactory(scheme.Scheme)
	return func(_ context.Context, name string, ss *ssv1alpha1.SealedSecret) (*corev1.Secret, error) {
		s, err := ss.Unseal(codecs, keys)
		if err != nil {
			return nil, withHint(fmt.Errorf("%s: SealedSecret %s/%s: cannot decrypt it: %w", name, ss.Namespace, ss.Name, err),
				"give the key of the controller that sealed it (--key, repeatable for old keys), and keep the SealedSecret's name and namespace as they were sealed")
		}
		return s, nil
	}, nil
}

// parseRSAKey reads a PKCS#1 or PKCS#8 RSA private key; nil for blocks
// that hold none (a certificate beside it).
func parseRSAKey(block *pem.Block) (*rsa.PrivateKey, error) {
	switch block.Type {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("the private key is not an RSA key")
		}
		return rk, nil
	}
	return nil, nil
}

// clusterSecrets reads the Secret the controller made from each
// SealedSecret; it must name that SealedSecret as its owner, so that a
// Secret of the same name made otherwise is never taken for it.
func clusterSecrets(f *Factory, opts *importOptions, wd string) (secretSource, error) {
	cfg, where, err := opts.restConfig(f, wd)
	if err != nil {
		return nil, err
	}
	c, err := newKubeClient(cfg, where)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, name string, ss *ssv1alpha1.SealedSecret) (*corev1.Secret, error) {
		ctx, cancel := context.WithTimeout(ctx, kubeRequestTimeout)
		defer cancel()
		var s corev1.Secret
		err := c.Get(ctx, client.ObjectKey{Namespace: ss.Namespace, Name: ss.Name}, &s)
		switch {
		case apierrors.IsNotFound(err):
			return nil, withHint(fmt.Errorf("%s: Secret %s/%s not found in the cluster at %s", name, ss.Namespace, ss.Name, where),
				"apply the SealedSecret and let the controller unseal it, or import offline with --key")
		case err != nil:
			return nil, kubeError(err, where, fmt.Sprintf("%s: reading Secret %s/%s", name, ss.Namespace, ss.Name))
		}
		owned := false
		for _, o := range s.OwnerReferences {
			if o.Kind == "SealedSecret" && o.Name == ss.Name && strings.HasPrefix(o.APIVersion, "bitnami.com/") {
				owned = true
			}
		}
		if !owned {
			return nil, withHint(fmt.Errorf("%s: Secret %s/%s in the cluster at %s was not made from SealedSecret %s (no owner reference to it)",
				name, ss.Namespace, ss.Name, where, ss.Name),
				"import it offline with --key, or seal the Secret itself with seal encrypt")
		}
		return &s, nil
	}, nil
}
