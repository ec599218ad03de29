package manifests

import (
	"fmt"
	"io/fs"
	"path"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/pkg/util"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// DefaultImage is the agent image the base installs.
const DefaultImage = "ghcr.io/seal-gitops/seal-agent:latest"

// Options choose what Build renders.
type Options struct {
	// Tenant renders tenant mode: the base with components/tenant, where
	// the agent holds no apply rights and impersonates each GitSync's
	// spec.serviceAccountName. False renders cluster mode.
	Tenant bool
	// Image replaces DefaultImage ("repo:tag", "repo@sha256:..." or
	// "repo:tag@sha256:..."); empty keeps it.
	Image string
}

// Build renders the install YAML into objects in apply order (Namespace
// and CRD first). It runs kustomize on an in-memory copy of FS with an
// overlay written from opts, so `kubectl kustomize` on the same overlay
// gives the same objects.
func Build(opts Options) ([]*unstructured.Unstructured, error) {
	mem := filesys.MakeFsInMemory()
	if err := copyInto(mem, "/manifests"); err != nil {
		return nil, err
	}
	overlay, err := overlayKustomization(opts)
	if err != nil {
		return nil, err
	}
	if err := mem.WriteFile("/overlay/kustomization.yaml", overlay); err != nil {
		return nil, fmt.Errorf("manifests: writing the overlay: %w", err)
	}
	kopts := krusty.MakeDefaultOptions()
	kopts.Reorder = krusty.ReorderOptionLegacy
	m, err := krusty.MakeKustomizer(kopts).Run(mem, "/overlay")
	if err != nil {
		return nil, fmt.Errorf("manifests: kustomize build: %w", err)
	}
	var objs []*unstructured.Unstructured
	for _, r := range m.Resources() {
		// Through JSON, so numbers are int64 and float64 as in any
		// unstructured object (kustomize's maps hold Go ints).
		data, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("manifests: %s: %w", r.CurId(), err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(data); err != nil {
			return nil, fmt.Errorf("manifests: %s: %w", r.CurId(), err)
		}
		objs = append(objs, u)
	}
	return objs, nil
}

// overlayKustomization is a kustomization that includes the base, the
// tenant component when asked, and the image when one is given.
func overlayKustomization(opts Options) ([]byte, error) {
	k := map[string]any{
		"apiVersion": "kustomize.config.k8s.io/v1beta1",
		"kind":       "Kustomization",
		"resources":  []string{"../manifests"},
	}
	if opts.Tenant {
		k["components"] = []string{"../manifests/components/tenant"}
	}
	if opts.Image != "" {
		name, tag, digest := util.SplitImageName(opts.Image)
		if name == "" || (tag == "" && digest == "") {
			return nil, fmt.Errorf("manifests: image %q: want repository:tag or repository@digest", opts.Image)
		}
		img := map[string]string{"name": "ghcr.io/seal-gitops/seal-agent", "newName": name}
		if tag != "" {
			img["newTag"] = tag
		}
		if digest != "" {
			img["digest"] = digest
		}
		k["images"] = []map[string]string{img}
	}
	return yaml.Marshal(k)
}

// copyInto writes every embedded file to fsys under dir.
func copyInto(fsys filesys.FileSystem, dir string) error {
	return fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		if err := fsys.WriteFile(path.Join(dir, p), data); err != nil {
			return fmt.Errorf("manifests: copying %s: %w", p, err)
		}
		return nil
	})
}
