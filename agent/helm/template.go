package helm

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/releaseutil"

	"github.com/seal-gitops/seal/crypto"
)

// ErrTemplate is what every failed render of a chart wraps.
var ErrTemplate = errors.New("chart render failed")

// Capabilities are the cluster's, as templates see them in .Capabilities.
type Capabilities struct {
	// KubeVersion is the cluster's version ("v1.37.2"); Helm's default
	// when "".
	KubeVersion string
	// APIVersions are the group/versions and group/version/kinds the
	// cluster serves, added to Helm's defaults.
	APIVersions []string
}

// Manifest is one rendered template.
type Manifest struct {
	// Source is the template it came from, "<chart>/templates/x.yaml".
	Source string
	// Content is its YAML, possibly several documents.
	Content string
}

// Rendered is what Template made of a release.
type Rendered struct {
	Manifests []Manifest
	// HooksSkipped counts the hooks left out (all of them under
	// HooksSkip, test hooks and hooks of other events under HooksApply).
	HooksSkipped int
}

// Template renders ch as `helm template --include-crds` does: client
// only, no lookup against the cluster, no DNS, values checked against the
// chart's values schema. Hooks are left out or rendered as ordinary
// manifests, as rel.Spec.Hooks says. It returns when ctx ends even if the
// template engine, which cannot be interrupted, is still running. Errors
// mask tokens.
func Template(ctx context.Context, ch *chart.Chart, rel *Release, values map[string]any, caps Capabilities, lim Limits) (*Rendered, error) {
	lim = lim.orDefault()
	c, err := capabilities(caps)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", rel, ErrTemplate, err)
	}
	type result struct {
		manifests []Manifest
		hooks     []*release.Hook
		err       error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: fmt.Errorf("the template engine panicked (recovered)")}
			}
		}()
		m, h, err := render(ch, rel, values, c)
		done <- result{m, h, err}
	}()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w: %w", rel, ErrTemplate, ctx.Err())
	}
	if res.err != nil {
		return nil, fmt.Errorf("%s: %w: %s", rel, ErrTemplate, MaskTokens(res.err.Error()))
	}
	out := &Rendered{Manifests: res.manifests}
	for _, h := range res.hooks {
		if rel.Spec.Hooks == HooksApply && appliedHook(h) {
			out.Manifests = append(out.Manifests, Manifest{Source: h.Path, Content: h.Manifest})
			continue
		}
		out.HooksSkipped++
	}
	var size int64
	for _, m := range out.Manifests {
		size += int64(len(m.Content))
	}
	if size > lim.MaxManifestSize {
		return nil, fmt.Errorf("%s: %w: the chart rendered %d bytes of manifests, over the limit of %d", rel, ErrTemplate, size, lim.MaxManifestSize)
	}
	return out, nil
}

// capabilities are Helm's defaults with the cluster's version and APIs.
func capabilities(caps Capabilities) (*chartutil.Capabilities, error) {
	c := chartutil.DefaultCapabilities.Copy()
	if caps.KubeVersion != "" {
		kv, err := chartutil.ParseKubeVersion(caps.KubeVersion)
		if err != nil {
			return nil, fmt.Errorf("the cluster's version %q: %w", caps.KubeVersion, err)
		}
		c.KubeVersion = *kv
	}
	c.APIVersions = append(c.APIVersions, caps.APIVersions...)
	return c, nil
}

// render is the client-only part of Helm's install: dependencies and
// values, the values schema, the chart's kubeVersion, the templates
// without a cluster to look up (a zero engine.Engine has no lookup and no
// DNS), NOTES.txt dropped, then CRDs first and the rest in Helm's install
// order. Helm's action.Install does the same, but importing its action
// package (and repo, see indexFile) linked Helm's kube client, storage
// and kubectl into the agent, for code never run: 22 MB more binary and
// about 6 MiB more resident memory at start (74 against 68 MiB).
func render(ch *chart.Chart, rel *Release, values map[string]any, caps *chartutil.Capabilities) ([]Manifest, []*release.Hook, error) {
	if err := chartutil.ValidateReleaseName(rel.Name); err != nil {
		return nil, nil, fmt.Errorf("release name %q: %w", rel.Name, err)
	}
	if err := chartutil.ProcessDependenciesWithMerge(ch, values); err != nil {
		return nil, nil, err
	}
	opts := chartutil.ReleaseOptions{Name: rel.Name, Namespace: rel.Namespace, Revision: 1, IsInstall: true}
	vals, err := chartutil.ToRenderValues(ch, values, opts, caps)
	if err != nil {
		return nil, nil, err
	}
	if kv := ch.Metadata.KubeVersion; kv != "" && !chartutil.IsCompatibleRange(kv, caps.KubeVersion.String()) {
		return nil, nil, fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", kv, caps.KubeVersion.String())
	}
	var e engine.Engine
	files, err := e.Render(ch, vals)
	if err != nil {
		return nil, nil, err
	}
	for name := range files {
		if strings.HasSuffix(name, "NOTES.txt") {
			delete(files, name)
		}
	}
	hooks, sorted, err := releaseutil.SortManifests(files, nil, releaseutil.InstallOrder)
	if err != nil {
		return nil, nil, err
	}
	var out []Manifest
	for _, crd := range ch.CRDObjects() {
		// One Manifest may hold several documents.
		out = append(out, Manifest{Source: crd.Filename, Content: string(crd.File.Data)})
	}
	for _, m := range sorted {
		out = append(out, Manifest{Source: m.Name, Content: m.Content})
	}
	return out, hooks, nil
}

// appliedHook reports whether HooksApply applies h: an install or upgrade
// hook that is not also a test or deletion hook.
func appliedHook(h *release.Hook) bool {
	applied := false
	for _, e := range h.Events {
		switch e {
		case release.HookPreInstall, release.HookPostInstall, release.HookPreUpgrade, release.HookPostUpgrade:
			applied = true
		default:
			return false
		}
	}
	return applied
}

var tokenRe = regexp.MustCompile(regexp.QuoteMeta(crypto.TokenPrefix) + `[a-z2-7]{` + fmt.Sprint(crypto.TokenDigits) + `}`)

// MaskTokens replaces every token in s by "(sealed value)". A token says
// nothing about its value, but a message is clearer without it.
func MaskTokens(s string) string {
	return tokenRe.ReplaceAllString(s, "(sealed value)")
}
