package render

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/seal-gitops/seal/agent/helm"
	"github.com/seal-gitops/seal/crypto"
)

// ErrHelm: a HelmRelease could not be rendered (see the message).
var ErrHelm = errors.New("helm release failed")

// ErrValuesBinding: a sealed values file is bound to another release (or
// to a Secret), so this release may not read it. A seal violation.
var ErrValuesBinding = errors.New("values file sealed for something else")

// Release is a HelmRelease the render expanded.
type Release struct {
	// Name and Namespace of the release.
	Name, Namespace string
	// File is the file that declared it (in kustomize mode, the
	// kustomization that built it).
	File string
	// Chart is the chart's path in the repository, or "<repository>
	// <name>" for a chart repository; Version its pinned version.
	Chart, Version string
	// Digest is "sha256:<hex>" of the chart archive, or of the chart
	// directory's files (names and contents, sorted) for a chart in the
	// repository.
	Digest string
	// AllowKinds are the kinds besides Secret that may hold the release's
	// sealed values (its widening), sorted.
	AllowKinds []string
	// HooksSkipped counts the hooks left out of the render.
	HooksSkipped int
	// Objects is how many objects the release rendered.
	Objects int
}

// Identity is the release as bindings spell it.
func (r Release) Identity() string {
	return crypto.Identity(crypto.ReleaseKind, r.Namespace, r.Name)
}

// expandReleases replaces every HelmRelease among res.Objects by the
// objects its chart renders, and fills in res.Owners and res.Releases.
func expandReleases(r *reader, res *Result) error {
	if !slices.ContainsFunc(res.Objects, helm.IsRelease) {
		return nil
	}
	objects := make([]*unstructured.Unstructured, 0, len(res.Objects))
	sources := make([]string, 0, len(res.Objects))
	owners := make([]string, 0, len(res.Objects))
	seen := map[string]string{}
	for i, obj := range res.Objects {
		if !helm.IsRelease(obj) {
			objects, sources, owners = append(objects, obj), append(sources, res.Sources[i]), append(owners, "")
			continue
		}
		file := res.Sources[i]
		rel, err := helm.Parse(file, obj)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrHelm, err)
		}
		if prev, ok := seen[rel.Identity()]; ok {
			return fmt.Errorf("%s: %s: %w: declared again (first in %s); a release may be declared once", file, rel, ErrHelm, prev)
		}
		seen[rel.Identity()] = file
		out, info, err := renderRelease(r, file, rel)
		if err != nil {
			return err
		}
		res.Releases = append(res.Releases, *info)
		for _, o := range out {
			objects, sources, owners = append(objects, o.obj), append(sources, o.source), append(owners, info.Identity())
		}
	}
	res.Objects, res.Sources, res.Owners = objects, sources, owners
	return nil
}

// releaseObject is one object a release rendered and where it came from.
type releaseObject struct {
	obj    *unstructured.Unstructured
	source string
}

// renderRelease loads rel's chart and values and renders it.
func renderRelease(r *reader, file string, rel *helm.Release) ([]releaseObject, *Release, error) {
	where := fmt.Sprintf("%s: %s", file, rel)
	ch, info, err := loadChart(r, where, rel)
	if err != nil {
		return nil, nil, err
	}
	info.Name, info.Namespace, info.File = rel.Name, rel.Namespace, file
	info.AllowKinds = slices.Sorted(slices.Values(rel.Spec.SealedValues.AllowKinds))
	values, err := releaseValues(r, where, rel)
	if err != nil {
		return nil, nil, err
	}
	var caps helm.Capabilities
	if r.opts.Capabilities != nil {
		if caps, err = r.opts.Capabilities(r.ctx); err != nil {
			return nil, nil, fmt.Errorf("%s: %w: reading the cluster's version and API versions: %w", where, ErrHelm, err)
		}
	}
	rendered, err := helm.Template(r.ctx, ch, rel, values, caps, r.opts.helmLimits())
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w: %w", file, ErrHelm, err)
	}
	info.HooksSkipped = rendered.HooksSkipped
	var out []releaseObject
	for _, m := range rendered.Manifests {
		shown := fmt.Sprintf("%s (%s, %s)", file, rel, m.Source)
		if err := r.lim.read(shown, int64(len(m.Content))); err != nil {
			return nil, nil, err
		}
		err := decodeManifests(shown, []byte(m.Content), func(_, _ int, obj *unstructured.Unstructured) error {
			if helm.IsRelease(obj) {
				return fmt.Errorf("%s: %w: the chart renders a HelmRelease; releases do not nest", shown, ErrHelm)
			}
			if obj.GetNamespace() == "" {
				// As helm install does; the applier clears it again
				// for cluster-scoped kinds.
				obj.SetNamespace(rel.Namespace)
			}
			if err := r.lim.add(shown, 1); err != nil {
				return err
			}
			out = append(out, releaseObject{obj: obj, source: shown})
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	info.Objects = len(out)
	return out, info, nil
}

// loadChart loads the chart rel names: a directory of the repository, read
// through the reader (confined, capped), or an archive from a chart
// repository.
func loadChart(r *reader, where string, rel *helm.Release) (*chart.Chart, *Release, error) {
	ref := rel.Spec.Chart
	lim := r.opts.helmLimits()
	if ref.Repository != "" {
		fetcher := r.opts.Charts
		if fetcher == nil {
			fetcher = helm.NewFetcher(nil, lim)
		}
		creds, err := chartCredentials(r, where, ref)
		if err != nil {
			return nil, nil, err
		}
		archive, digest, err := fetcher.Fetch(r.ctx, ref, creds)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w: %w", where, ErrHelm, err)
		}
		ch, err := helm.LoadArchive(fmt.Sprintf("chart %s %s", ref.Name, ref.Version), archive, lim)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w: %w", where, ErrHelm, err)
		}
		if ch.Name() != ref.Name || ch.Metadata.Version != ref.Version {
			return nil, nil, fmt.Errorf("%s: %w: the archive holds chart %s %s, not %s %s", where, ErrHelm, ch.Name(), ch.Metadata.Version, ref.Name, ref.Version)
		}
		return ch, &Release{Chart: ref.Repository + " " + ref.Name, Version: ref.Version, Digest: "sha256:" + digest}, nil
	}
	files, digest, err := readChartDir(r, where, ref.Path)
	if err != nil {
		return nil, nil, err
	}
	ch, err := helm.LoadFiles(ref.Path, files, lim)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w: %w", where, ErrHelm, err)
	}
	if ch.Metadata.Version != ref.Version {
		return nil, nil, fmt.Errorf("%s: %w: the chart at %s has version %s, but spec.chart.version pins %s: change one of them", where, ErrHelm, ref.Path, ch.Metadata.Version, ref.Version)
	}
	return ch, &Release{Chart: ref.Path, Version: ref.Version, Digest: digest}, nil
}

// chartCredentials reads the credentials of ref.SecretRef, nil without
// one.
func chartCredentials(r *reader, where string, ref helm.ChartRef) (*helm.Credentials, error) {
	if ref.SecretRef == nil {
		return nil, nil
	}
	if r.opts.ChartCredentials == nil {
		return nil, fmt.Errorf("%s: %w: spec.chart.secretRef: this render reads no credentials", where, ErrHelm)
	}
	creds, err := r.opts.ChartCredentials(r.ctx, ref.SecretRef.Name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: spec.chart.secretRef: %w", where, ErrHelm, err)
	}
	return creds, nil
}

// readChartDir reads every file under the chart directory dir (hidden
// files and directories left out, as `helm package` leaves out VCS
// directories), each through the reader's confinement and caps, and
// returns them with a digest of names and contents.
func readChartDir(r *reader, where, dir string) ([]*loader.BufferedFile, string, error) {
	real, info, err := r.res.resolve(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, "", fmt.Errorf("%s: %w: spec.chart.path %s does not exist in the repository", where, ErrHelm, dir)
	case err != nil:
		return nil, "", fmt.Errorf("%s: spec.chart.path: %w", where, err)
	case !info.IsDir():
		return nil, "", fmt.Errorf("%s: %w: spec.chart.path %s is not a directory", where, ErrHelm, dir)
	}
	var files []*loader.BufferedFile
	var walk func(rel, real string, depth int) error
	walk = func(rel, real string, depth int) error {
		shown := dir
		if rel != "" {
			shown = joinPath(dir, rel)
		}
		if depth > 32 {
			return fmt.Errorf("%s: %w: directories nested too deep", shown, ErrHelm)
		}
		entries, err := fs.ReadDir(r.fsys, real)
		if err != nil {
			return fmt.Errorf("%s: %w", shown, notFound(err))
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") {
				continue
			}
			eRel := joinPath(rel, name)
			eShown := joinPath(dir, eRel)
			eReal, ei, err := r.res.resolve(joinPath(real, name))
			if err != nil {
				return err
			}
			if ei.IsDir() {
				if err := walk(eRel, eReal, depth+1); err != nil {
					return err
				}
				continue
			}
			data, encrypted, err := r.read(eReal, false)
			if err != nil {
				return err
			}
			if encrypted {
				return fmt.Errorf("%s: %w: chart files must not be encrypted; put secret values in a values file sealed with `seal encrypt --release NAMESPACE/NAME`", eShown, ErrHelm)
			}
			files = append(files, &loader.BufferedFile{Name: eRel, Data: data})
		}
		return nil
	}
	if err := walk("", real, 0); err != nil {
		return nil, "", err
	}
	slices.SortFunc(files, func(a, b *loader.BufferedFile) int { return strings.Compare(a.Name, b.Name) })
	h := sha256.New()
	for _, f := range files {
		fmt.Fprintf(h, "%s\x00%d\x00", f.Name, len(f.Data))
		h.Write(f.Data)
	}
	return files, "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// releaseValues merges rel's values files, in order, then its inline
// values. A sealed values file must be bound to rel (or to nothing, for
// the seal check to judge under allowUnbound).
func releaseValues(r *reader, where string, rel *helm.Release) (map[string]any, error) {
	values := map[string]any{}
	for _, f := range rel.Spec.ValuesFiles {
		real, _, err := r.res.resolve(f)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w: values file %s does not exist in the repository (paths are from the repository root)", where, ErrHelm, f)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: values file: %w", where, err)
		}
		data, encrypted, err := r.read(real, false)
		if err != nil {
			return nil, err
		}
		if encrypted {
			if err := checkValuesBinding(f, rel, r.byFile[real]); err != nil {
				return nil, err
			}
		}
		if err := checkYAMLShape(f, data); err != nil {
			return nil, err
		}
		var m map[string]any
		if err := yaml.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("%s: %w: %s (values files of %s)", f, ErrInvalidManifest, yamlProblem(err, 0), rel)
		}
		values = helm.MergeValues(values, m)
	}
	return helm.MergeValues(values, rel.Spec.Values), nil
}

// checkValuesBinding refuses a sealed values file bound to anything but
// rel.
func checkValuesBinding(file string, rel *helm.Release, values []crypto.SealedValue) error {
	for _, v := range values {
		if v.SealedFor == "" || v.SealedFor == rel.Identity() {
			continue
		}
		kind, ns, name, _ := crypto.SplitIdentity(v.SealedFor)
		return fmt.Errorf("%s: %w: %w: the values file is sealed for %s %s/%s, but %s reads it: a sealed file serves only what it was sealed for; encrypt this release's values with `seal encrypt --release %s/%s`",
			file, ErrValuesBinding, crypto.ErrIdentityMismatch, kind, ns, name, rel, rel.Namespace, rel.Name)
	}
	return nil
}
