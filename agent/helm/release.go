package helm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/Masterminds/semver/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// APIVersion and Kind of a HelmRelease file.
const (
	APIVersion = "seal.dev/v1alpha1"
	Kind       = "HelmRelease"
)

// Hook policies.
const (
	// HooksSkip leaves hooks out of the render: Seal never runs them.
	HooksSkip = "Skip"
	// HooksApply applies install and upgrade hooks as ordinary objects,
	// without their ordering or deletion policies; test hooks stay out.
	HooksApply = "Apply"
)

// Release is a HelmRelease file, validated.
type Release struct {
	// Name is the release name (metadata.name); Namespace the release's
	// namespace (metadata.namespace), where objects without a namespace go.
	Name, Namespace string
	Spec            Spec
}

// Spec is what a HelmRelease asks for.
type Spec struct {
	Chart ChartRef `json:"chart"`
	// ValuesFiles are repository paths of values files, merged in order as
	// `helm template -f` merges them; a values file sealed with `seal
	// encrypt --release NAMESPACE/NAME` must name this release.
	ValuesFiles []string `json:"valuesFiles,omitempty"`
	// Values are inline values, merged over the values files. They are
	// plaintext: secret values belong in a sealed values file.
	Values map[string]any `json:"values,omitempty"`
	// Hooks is HooksSkip (the default) or HooksApply.
	Hooks string `json:"hooks,omitempty"`
	// SealedValues widens where this release's sealed values may land.
	SealedValues SealedValues `json:"sealedValues,omitzero"`
}

// ChartRef is a chart pinned by version: Path, or Repository and Name.
type ChartRef struct {
	// Path is a chart directory of the repository, from its root.
	Path string `json:"path,omitempty"`
	// Repository is an http:// or https:// chart repository (the URL of
	// its index.yaml without the file name), or an oci:// registry
	// repository (what `helm push` takes: the chart is
	// <repository>/<name>:<version>); Name the chart in it.
	Repository string `json:"repository,omitempty"`
	Name       string `json:"name,omitempty"`
	// Version is the chart's exact version; required: charts are pinned.
	Version string `json:"version"`
	// PlainHTTP reaches an oci:// registry over plain HTTP instead of
	// HTTPS. Credentials are never sent over plain HTTP.
	PlainHTTP bool `json:"plainHTTP,omitempty"`
	// SecretRef names a Secret, in the GitSync's namespace, holding the
	// chart source's credentials (see CredentialsFromSecret).
	SecretRef *SecretRef `json:"secretRef,omitempty"`
}

// SecretRef names a Secret in the GitSync's namespace.
type SecretRef struct {
	Name string `json:"name"`
}

// IsOCI reports whether the chart comes from an OCI registry.
func (c ChartRef) IsOCI() bool { return strings.HasPrefix(c.Repository, OCIScheme) }

// OCIScheme starts the repository URL of a chart in an OCI registry.
const OCIScheme = "oci://"

// SealedValues is a release's widening of the seal contract.
type SealedValues struct {
	// AllowKinds lists kinds besides Secret whose data values (ConfigMap
	// is the only one supported) may hold this release's sealed values,
	// in the release's namespace and only in objects the release renders.
	AllowKinds []string `json:"allowKinds,omitempty"`
}

// WidenableKinds are the kinds AllowKinds may name.
var WidenableKinds = []string{"ConfigMap"}

// Identity is the release as bindings spell it: HelmRelease/<ns>/<name>.
func (r *Release) Identity() string { return Kind + "/" + r.Namespace + "/" + r.Name }

// String is "HelmRelease namespace/name".
func (r *Release) String() string { return Kind + " " + r.Namespace + "/" + r.Name }

// IsRelease reports whether obj is a HelmRelease file.
func IsRelease(obj *unstructured.Unstructured) bool {
	return obj.GetAPIVersion() == APIVersion && obj.GetKind() == Kind
}

var (
	// releaseNameRe is Helm's release name shape (at most 53 characters).
	releaseNameRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	namespaceRe   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	chartNameRe   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)
	// secretNameRe is a DNS subdomain, as Secret names are (length apart).
	secretNameRe = releaseNameRe
)

// Parse validates a HelmRelease object read from file. Errors name the
// file and the release and say what to write instead.
func Parse(file string, obj *unstructured.Unstructured) (*Release, error) {
	r := &Release{Name: obj.GetName(), Namespace: obj.GetNamespace()}
	if len(r.Name) > 53 || !releaseNameRe.MatchString(r.Name) {
		return nil, fmt.Errorf("%s: HelmRelease: metadata.name must be a release name (lower-case letters, digits, '-' and '.', at most 53 characters)", file)
	}
	where := fmt.Sprintf("%s: HelmRelease %s", file, r.Name)
	if !namespaceRe.MatchString(r.Namespace) {
		return nil, fmt.Errorf("%s: metadata.namespace is required: the release's namespace, which its sealed values files are bound to", where)
	}
	where = fmt.Sprintf("%s: %s", file, r)
	for k := range obj.Object {
		switch k {
		case "apiVersion", "kind", "metadata", "spec":
		default:
			return nil, fmt.Errorf("%s: unknown field %q (a HelmRelease has apiVersion, kind, metadata and spec)", where, k)
		}
	}
	spec, err := json.Marshal(obj.Object["spec"])
	if err != nil {
		return nil, fmt.Errorf("%s: spec: %w", where, err)
	}
	dec := json.NewDecoder(bytes.NewReader(spec))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r.Spec); err != nil {
		return nil, fmt.Errorf("%s: spec: %s (see README, \"Helm releases\")", where, strings.TrimPrefix(err.Error(), "json: "))
	}
	if err := r.Spec.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return r, nil
}

func (s *Spec) validate() error {
	c := &s.Chart
	switch {
	case c.Path != "" && (c.Repository != "" || c.Name != ""):
		return fmt.Errorf("spec.chart: set either path (a chart in this repository) or repository and name, not both")
	case c.Path == "" && c.Repository == "":
		return fmt.Errorf("spec.chart: missing: set path (a chart directory of this repository) or repository and name (a chart repository)")
	case c.Repository != "" && !strings.HasPrefix(c.Repository, "https://") && !strings.HasPrefix(c.Repository, "http://") && !c.IsOCI():
		return fmt.Errorf("spec.chart.repository: want an http:// or https:// chart repository URL, or an oci:// registry repository")
	case c.Repository != "" && !chartNameRe.MatchString(c.Name):
		return fmt.Errorf("spec.chart.name: want the chart's name in the repository")
	case c.PlainHTTP && !c.IsOCI():
		return fmt.Errorf("spec.chart.plainHTTP: only for an oci:// registry (a chart repository says plain HTTP with an http:// URL)")
	case c.SecretRef != nil && c.Path != "":
		return fmt.Errorf("spec.chart.secretRef: only for a chart repository or registry; a chart in this repository needs no credentials")
	case c.SecretRef != nil && (len(c.SecretRef.Name) > 253 || !secretNameRe.MatchString(c.SecretRef.Name)):
		return fmt.Errorf("spec.chart.secretRef.name: want the name of a Secret in the GitSync's namespace")
	case c.Version == "":
		return fmt.Errorf("spec.chart.version: missing: charts are pinned, write the chart's exact version")
	}
	if _, err := semver.StrictNewVersion(c.Version); err != nil {
		return fmt.Errorf("spec.chart.version %q: want an exact version such as 1.2.3, not a range: charts are pinned", c.Version)
	}
	switch s.Hooks {
	case "":
		s.Hooks = HooksSkip
	case HooksSkip, HooksApply:
	default:
		return fmt.Errorf("spec.hooks %q: want %s or %s", s.Hooks, HooksSkip, HooksApply)
	}
	for _, k := range s.SealedValues.AllowKinds {
		if k != "ConfigMap" {
			return fmt.Errorf("spec.sealedValues.allowKinds: %q cannot hold sealed values; only ConfigMap can be allowed (Secrets always may)", k)
		}
	}
	for _, f := range s.ValuesFiles {
		if f == "" {
			return fmt.Errorf("spec.valuesFiles: an empty path")
		}
	}
	return nil
}
