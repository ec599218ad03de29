package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestAgentLinksNoHeavyHelmPackages keeps out of the agent binary the
// packages it has no use for: Helm's action, repo
// and kube packages (Helm's install machinery, kubectl and its getters)
// once added 22 MB to the binary and about 6 MiB to its resident memory
// at start.
// agent/helm renders with Helm's engine and parses index.yaml itself.
func TestAgentLinksNoHeavyHelmPackages(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	banned := []string{"helm.sh/helm/v3/pkg/action", "helm.sh/helm/v3/pkg/repo", "helm.sh/helm/v3/pkg/kube", "k8s.io/kubectl/"}
	for _, dep := range strings.Fields(string(out)) {
		for _, b := range banned {
			if strings.HasPrefix(dep, b) {
				t.Errorf("seal-agent links %s; agent/helm avoids it on purpose (see agent/helm/template.go)", dep)
			}
		}
	}
}
