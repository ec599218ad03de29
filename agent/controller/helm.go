package controller

import (
	"context"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/helm"
	"github.com/seal-gitops/seal/agent/render"
)

// capabilitiesTTL is how long the cluster's version and API versions are
// reused before discovery is asked again.
const capabilitiesTTL = 10 * time.Minute

// capabilities reads the cluster's version and API versions through
// discovery for Helm templates, once per capabilitiesTTL.
type capabilities struct {
	config *rest.Config

	mu      sync.Mutex
	caps    helm.Capabilities
	fetched time.Time
}

func (c *capabilities) get(ctx context.Context) (helm.Capabilities, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.fetched.IsZero() && time.Since(c.fetched) < capabilitiesTTL {
		return c.caps, nil
	}
	if c.config == nil {
		return helm.Capabilities{}, nil
	}
	dc, err := discovery.NewDiscoveryClientForConfig(c.config)
	if err != nil {
		return helm.Capabilities{}, err
	}
	v, err := dc.ServerVersion()
	if err != nil {
		return helm.Capabilities{}, err
	}
	caps := helm.Capabilities{KubeVersion: v.GitVersion}
	if strings.HasPrefix(v.GitVersion, "v0.0.0") {
		// A Kubernetes built without a version stamp (development builds,
		// as the test clusters run): assume the version of the API
		// libraries the agent was built with.
		caps.KubeVersion = libraryKubeVersion()
	}
	_, lists, err := dc.ServerGroupsAndResources()
	if err != nil && len(lists) == 0 {
		return helm.Capabilities{}, err
	}
	// Some groups may fail (an aggregated API down); the others still count.
	for _, l := range lists {
		caps.APIVersions = append(caps.APIVersions, l.GroupVersion)
		for _, r := range l.APIResources {
			if !strings.Contains(r.Name, "/") {
				caps.APIVersions = append(caps.APIVersions, l.GroupVersion+"/"+r.Kind)
			}
		}
	}
	slices.Sort(caps.APIVersions)
	caps.APIVersions = slices.Compact(caps.APIVersions)
	c.caps, c.fetched = caps, time.Now()
	return caps, nil
}

// libraryKubeVersion is the Kubernetes version matching the k8s.io/api
// module the agent was built with (v0.37.2 is Kubernetes v1.37.2), or ""
// when the build carries no module information.
func libraryKubeVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, m := range info.Deps {
		if m.Path == "k8s.io/api" {
			if rest, ok := strings.CutPrefix(m.Version, "v0."); ok {
				return "v1." + rest
			}
		}
	}
	return ""
}

// maxWidenedShown bounds status.helmReleases[].widened.
const maxWidenedShown = 20

// widenings maps each release to the kinds it lets hold its sealed values.
func widenings(releases []render.Release) map[string][]string {
	out := map[string][]string{}
	for _, r := range releases {
		if len(r.AllowKinds) > 0 {
			out[r.Identity()] = r.AllowKinds
		}
	}
	return out
}

// releaseStatus is the status entry of each release, with the places
// where its widening let a sealed value land (widened, as
// sealcheck.Result.Widened spells them).
func releaseStatus(releases []render.Release, widened []string) []v1alpha1.HelmReleaseStatus {
	if len(releases) == 0 {
		return nil
	}
	out := make([]v1alpha1.HelmReleaseStatus, len(releases))
	for i, r := range releases {
		s := v1alpha1.HelmReleaseStatus{
			Name: r.Name, Namespace: r.Namespace, File: r.File, Chart: r.Chart, Version: r.Version, Digest: r.Digest,
			Objects: int32(r.Objects), HooksSkipped: int32(r.HooksSkipped), AllowKinds: r.AllowKinds,
		}
		suffix := " (HelmRelease " + r.Namespace + "/" + r.Name + ")"
		for _, w := range widened {
			if place, ok := strings.CutSuffix(w, suffix); ok && len(s.Widened) < maxWidenedShown {
				s.Widened = append(s.Widened, place)
			}
		}
		out[i] = s
	}
	return out
}
