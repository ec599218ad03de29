package sealcheck

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/seal-gitops/seal/crypto"
)

// Options say what the check allows beyond the contract.
type Options struct {
	// DefaultNamespace is the namespace that objects without one are
	// applied in (the GitSync's target namespace).
	DefaultNamespace string
	// AllowPlaintextSecrets lets Secret values come from files that were
	// not sealed (and values that are part of a larger value).
	AllowPlaintextSecrets bool
	// AllowUnbound lets values that carry no sealed identity (files
	// written by the sops CLI, or sealed without a namespace) land in
	// Secrets: unbound values in any Secret, namespace-less ones in a
	// Secret of their name in any namespace. They still never leave
	// Secrets' data and stringData.
	AllowUnbound bool
	// Owners names, for each object, the Helm release that rendered it
	// ("HelmRelease/<namespace>/<name>", as bindings spell it), or "" for
	// an object no release rendered. A value sealed for a release may
	// land only in objects of that release.
	Owners []string
	// Widen lists, per release (as in Owners), the kinds besides Secret
	// whose data values may hold that release's sealed values: only
	// "ConfigMap" has an effect.
	Widen map[string][]string
}

// Result is what a check that passed did.
type Result struct {
	// Swapped is how many tokens were replaced by their values.
	Swapped int
	// Unbound names the sealed files whose values were accepted only
	// because Options.AllowUnbound is set, sorted, each once.
	Unbound []string
	// Widened names each place where a release's widening let a sealed
	// value land outside a Secret: "ConfigMap prod/shop-config at
	// data.greeting (HelmRelease prod/shop)", sorted.
	Widened []string
}

// Check checks where every token landed in objects (the render's output;
// sources names the file each came from, for messages) and, when all is
// well, replaces each token by its value, in place. values are every
// sealed value the render read. On failure it returns an *Error listing
// the violations and changes nothing.
func Check(objects []*unstructured.Unstructured, sources []string, values []crypto.SealedValue, opts Options) (*Result, error) {
	c := &checker{opts: opts, values: make(map[string]*crypto.SealedValue, len(values))}
	for i := range values {
		c.values[values[i].Token] = &values[i]
	}
	for i, obj := range objects {
		o := target{obj: obj}
		if i < len(sources) {
			o.source = sources[i]
		}
		if i < len(opts.Owners) {
			o.owner = opts.Owners[i]
		}
		o.id = o.identity(opts.DefaultNamespace)
		c.object(&o)
	}
	if len(c.violations) > 0 {
		return nil, &Error{Violations: c.violations}
	}
	for _, s := range c.swaps {
		s.m[s.key] = s.value
	}
	slices.Sort(c.unbound)
	slices.Sort(c.widened)
	return &Result{Swapped: len(c.swaps), Unbound: slices.Compact(c.unbound), Widened: c.widened}, nil
}

// target is one rendered object.
type target struct {
	obj      *unstructured.Unstructured
	source   string
	owner    string // the release that rendered it, as bindings spell it
	id       string // kind/namespace/name as bindings spell it
	isSecret bool
	isConfig bool // a core ConfigMap
	ns, name string
}

func (t *target) identity(defaultNS string) string {
	t.ns, t.name = t.obj.GetNamespace(), t.obj.GetName()
	t.isSecret = t.obj.GetAPIVersion() == "v1" && t.obj.GetKind() == "Secret"
	t.isConfig = t.obj.GetAPIVersion() == "v1" && t.obj.GetKind() == "ConfigMap"
	if (t.isSecret || t.isConfig) && t.ns == "" {
		t.ns = defaultNS
	}
	return crypto.Identity(t.obj.GetKind(), t.ns, t.name)
}

// swap is a token's value, to be put in place once the set passes.
type swap struct {
	m          map[string]any
	key, value string
}

type checker struct {
	opts       Options
	values     map[string]*crypto.SealedValue
	swaps      []swap
	unbound    []string
	widened    []string
	violations []Violation
}

func (c *checker) violate(t *target, field string, v *crypto.SealedValue, problem string) {
	vi := Violation{Object: display(t), Field: field, Source: t.source, Problem: problem}
	if v != nil {
		vi.File, vi.Where = v.File, v.Where
	}
	c.violations = append(c.violations, vi)
}

// object walks one object: Secret data and stringData values are judged
// as values; every other string, and every key, must hold no token.
func (c *checker) object(t *target) {
	for k, v := range t.obj.Object {
		if t.isSecret && (k == "data" || k == "stringData") {
			if m, ok := v.(map[string]any); ok {
				c.secretValues(t, k, m)
				continue
			}
		}
		if t.isConfig && k == "data" && c.widens(t.owner, "ConfigMap") {
			if m, ok := v.(map[string]any); ok {
				c.widenedValues(t, k, m)
				continue
			}
		}
		c.anywhere(t, k, k, v)
	}
}

// anywhere checks a part of an object where no token may stand.
func (c *checker) anywhere(t *target, field, key string, v any) {
	if found, sv := c.find(key); found {
		c.violate(t, field+" (a key)", sv, "a sealed value would become part of a key")
	}
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			c.anywhere(t, field+"."+k, k, e)
		}
	case []any:
		for i, e := range v {
			c.anywhere(t, fmt.Sprintf("%s[%d]", field, i), "", e)
		}
	case string:
		if found, sv := c.find(v); found {
			problem := "a sealed value may only be a data or stringData value of the Secret it was sealed for"
			if sv != nil && t.isConfig && strings.HasPrefix(sv.SealedFor, crypto.ReleaseKind+"/") {
				problem = "a Helm release's sealed value may only be a data or stringData value of a Secret the release renders, unless the release sets spec.sealedValues.allowKinds: [ConfigMap]"
			}
			c.violate(t, field, sv, problem)
		}
	}
}

// secretValues judges the values of a Secret's data or stringData.
func (c *checker) secretValues(t *target, field string, m map[string]any) {
	for k, raw := range m {
		path := field + "." + k
		if found, sv := c.find(k); found {
			c.violate(t, path+" (a key)", sv, "a sealed value would become part of a key")
		}
		s, ok := raw.(string)
		if !ok {
			c.anywhere(t, path, "", raw)
			continue
		}
		if s == "" {
			continue
		}
		text := s
		if field == "data" {
			d, err := base64.StdEncoding.DecodeString(s)
			if err == nil {
				text = string(d)
			}
		}
		if crypto.IsToken(text) {
			c.place(t, path, m, k, text, field == "data")
			continue
		}
		found, sv := c.find(text)
		if !found {
			found, sv = c.find(s)
		}
		switch {
		case found:
			c.violate(t, path, sv, "a sealed value would be only part of this value")
		case !c.opts.AllowPlaintextSecrets && t.owner != "":
			c.violate(t, path, nil, "the value was not sealed: a chart's Secret values must come from the release's values files sealed with `seal encrypt --release NAMESPACE/NAME` (not inline values or the chart's defaults), or the GitSync must set allowPlaintextSecrets")
		case !c.opts.AllowPlaintextSecrets:
			c.violate(t, path, nil, "the value was not sealed: Secret values must come from sealed files (encrypt the file that sets it with `seal encrypt`), or the GitSync must set allowPlaintextSecrets")
		}
	}
}

// place checks a token standing as a whole Secret value and records its
// swap.
func (c *checker) place(t *target, path string, m map[string]any, key, token string, inData bool) {
	v := c.values[token]
	if v == nil {
		c.violate(t, path, nil, "the value has the shape of a sealed value but no sealed file of this revision produced it")
		return
	}
	if v.Encoded && !inData {
		c.violate(t, path, v, "a data value (base64) would move to stringData")
		return
	}
	if problem := c.allowed(t, v); problem != "" {
		c.violate(t, path, v, problem)
		return
	}
	value := string(v.Value)
	if inData && !v.Encoded {
		value = base64.StdEncoding.EncodeToString(v.Value)
	}
	c.swaps = append(c.swaps, swap{m: m, key: key, value: value})
}

// allowed says why v may not land in Secret t, or "" when it may.
func (c *checker) allowed(t *target, v *crypto.SealedValue) string {
	if v.SealedFor == "" {
		if !c.opts.AllowUnbound {
			return "the file carries no sealed identity (written by the sops CLI?): open it with `seal edit` and save it to seal it, or set spec.decryption.allowUnbound on the GitSync"
		}
		c.unbound = append(c.unbound, v.File)
		return ""
	}
	kind, ns, name, ok := crypto.SplitIdentity(v.SealedFor)
	switch {
	case ok && kind == crypto.ReleaseKind:
		return releaseProblem(t, v, ns)
	case !ok || kind != "Secret":
		return fmt.Sprintf("it was sealed for %s, not for a Secret", showIdentity(v.SealedFor))
	case ns == "":
		if !c.opts.AllowUnbound {
			return "it was sealed without a namespace, so it could land in any namespace: encrypt it again with `seal encrypt --namespace NAMESPACE`, or set spec.decryption.allowUnbound on the GitSync"
		}
		if name != t.name {
			return fmt.Sprintf("it was sealed for %s", showIdentity(v.SealedFor))
		}
		c.unbound = append(c.unbound, v.File)
		return ""
	case ns != t.ns || !(name == t.name || v.Input && generatedFrom(t.name, name)):
		return fmt.Sprintf("it was sealed for %s", showIdentity(v.SealedFor))
	}
	return ""
}

// releaseProblem says why a value sealed for a Helm release may not land
// in t, or "" when it may: t must be an object that release rendered, in
// the release's namespace ns.
func releaseProblem(t *target, v *crypto.SealedValue, ns string) string {
	switch {
	case t.owner != v.SealedFor:
		return fmt.Sprintf("it was sealed for %s, and only objects that release renders may hold it", showIdentity(v.SealedFor))
	case t.ns != ns:
		return fmt.Sprintf("it was sealed for %s, whose values may land only in namespace %s", showIdentity(v.SealedFor), ns)
	}
	return ""
}

// widens reports whether release owner allowed kind to hold its sealed
// values.
func (c *checker) widens(owner, kind string) bool {
	return owner != "" && slices.Contains(c.opts.Widen[owner], kind)
}

// widenedValues judges the data of a ConfigMap that its release allowed
// to hold the release's sealed values: a token standing as a whole value,
// sealed for that release, is swapped in; anything else is judged as
// anywhere else.
func (c *checker) widenedValues(t *target, field string, m map[string]any) {
	for k, raw := range m {
		path := field + "." + k
		s, _ := raw.(string)
		v := c.values[s]
		if !crypto.IsToken(s) || v == nil || v.Encoded {
			c.anywhere(t, path, k, raw)
			continue
		}
		if found, sv := c.find(k); found {
			c.violate(t, path+" (a key)", sv, "a sealed value would become part of a key")
			continue
		}
		kind, ns, _, _ := crypto.SplitIdentity(v.SealedFor)
		if kind != crypto.ReleaseKind {
			c.violate(t, path, v, "only a Helm release's sealed values may be widened to a ConfigMap; others belong in the Secret they were sealed for")
			continue
		}
		if problem := releaseProblem(t, v, ns); problem != "" {
			c.violate(t, path, v, problem)
			continue
		}
		c.swaps = append(c.swaps, swap{m: m, key: k, value: string(v.Value)})
		c.widened = append(c.widened, fmt.Sprintf("%s at %s (%s)", display(t), path, showIdentity(v.SealedFor)))
	}
}

// generatedFrom reports whether name is what a kustomize secretGenerator
// named generator makes: the name itself, or the name with kustomize's
// content hash suffix ("-" and ten letters and digits).
func generatedFrom(name, generator string) bool {
	if name == generator {
		return true
	}
	suffix, ok := cutPrefix(name, generator+"-")
	if !ok || len(suffix) != 10 {
		return false
	}
	for _, r := range suffix {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || s[:len(prefix)] != prefix {
		return s, false
	}
	return s[len(prefix):], true
}
