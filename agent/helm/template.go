package helm

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"

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
	in := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	in.ClientOnly, in.DryRun, in.Replace, in.IncludeCRDs = true, true, true, true
	in.ReleaseName, in.Namespace = rel.Name, rel.Namespace
	in.DisableHooks = true
	if caps.KubeVersion != "" {
		kv, err := chartutil.ParseKubeVersion(caps.KubeVersion)
		if err != nil {
			return nil, fmt.Errorf("%s: %w: the cluster's version %q: %w", rel, ErrTemplate, caps.KubeVersion, err)
		}
		in.KubeVersion = kv
	}
	in.APIVersions = caps.APIVersions
	type result struct {
		rel *release.Release
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: fmt.Errorf("the template engine panicked (recovered)")}
			}
		}()
		r, err := in.RunWithContext(ctx, ch, values)
		done <- result{r, err}
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
	out := &Rendered{Manifests: splitManifest(res.rel.Manifest)}
	for _, h := range res.rel.Hooks {
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

// sourceLine is the comment Helm writes before each template's manifest.
var sourceLine = regexp.MustCompile(`(?m)^# Source: (.*)$`)

// splitManifest splits a release manifest into its templates.
func splitManifest(m string) []Manifest {
	var out []Manifest
	for _, doc := range strings.Split(m, "\n---\n") {
		doc = strings.TrimPrefix(doc, "---\n")
		if strings.TrimSpace(doc) == "" {
			continue
		}
		src := "(unnamed template)"
		if s := sourceLine.FindStringSubmatch(doc); s != nil {
			src = s[1]
		}
		out = append(out, Manifest{Source: src, Content: doc})
	}
	return out
}

var tokenRe = regexp.MustCompile(regexp.QuoteMeta(crypto.TokenPrefix) + `[a-z2-7]{` + fmt.Sprint(crypto.TokenDigits) + `}`)

// MaskTokens replaces every token in s by "(sealed value)". A token says
// nothing about its value, but a message is clearer without it.
func MaskTokens(s string) string {
	return tokenRe.ReplaceAllString(s, "(sealed value)")
}
