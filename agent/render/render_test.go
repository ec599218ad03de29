package render

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestRenderGolden(t *testing.T) {
	tests := []struct {
		name  string
		path  string
		allow bool
	}{
		{name: "plain-basic"},
		{name: "plain-nested"},
		{name: "plain-json"},
		{name: "plain-multidoc"},
		{name: "plain-encrypted"},
		{name: "kustomize-overlay", path: "overlays/prod"},
		{name: "kustomize-secrets", path: "app"},
		{name: "kustomize-shared-base", path: "clusters/prod"},
		{name: "kustomize-root", path: "."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := fakeOptions(tt.path)
			opts.AllowPlaintextSecrets = tt.allow
			res, err := Render(context.Background(), os.DirFS(filepath.Join("testdata", tt.name, "repo")), opts)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			golden(t, tt.name, res)
		})
	}
}
