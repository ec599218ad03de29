package install

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/lint/support"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

var update = flag.Bool("update", false, "copy manifests/crd into the chart's files/")

// tenantValues is tenant mode with two GitSyncs, a custom key Secret name
// and rights limited to the team namespaces.
func tenantValues(teams ...string) map[string]any {
	ns := make([]any, len(teams))
	syncs := make([]any, len(teams))
	for i, team := range teams {
		ns[i] = team
		syncs[i] = map[string]any{"name": "apps", "namespace": team, "spec": map[string]any{
			"url": "https://git.example/env.git", "ref": map[string]any{"branch": "main"},
			"path": "apps", "serviceAccountName": "deployer", "prune": true,
		}}
	}
	return map[string]any{
		"keySecretName": "custom-key",
		"rbac":          map[string]any{"scope": "tenant", "namespaces": ns},
		"gitSyncs":      syncs,
	}
}

func TestChartLint(t *testing.T) {
	for _, tt := range []struct {
		name string
		vals map[string]any
	}{
		{"defaults", nil},
		{"tenant mode with GitSyncs", tenantValues("team-a", "team-b")},
		{"one watched namespace", map[string]any{"watchNamespace": "team-a", "extraArgs": []any{"--concurrency=8"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lint := action.NewLint()
			lint.Strict, lint.Namespace, lint.KubeVersion = true, "seal-system", kubeVersion
			res := lint.Run([]string{chartDir}, tt.vals)
			for _, err := range res.Errors {
				t.Errorf("lint error: %v", err)
			}
			for _, m := range res.Messages {
				// INFO is advice (an icon); anything above fails strict lint.
				if m.Severity > support.InfoSev {
					t.Errorf("lint: %s", m)
				}
			}
		})
	}
}

// TestChartCRD checks that the chart's CRDs are manifests/crd's, which `make
// generate` writes from the Go types. -update copies it.
func TestChartCRD(t *testing.T) {
	for _, name := range []string{"seal.dev_gitsyncs.yaml", "seal.dev_receivers.yaml"} {
		src := filepath.Join(root, "manifests", "crd", name)
		dst := filepath.Join(chartDir, "files", name)
		want, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := os.WriteFile(dst, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(dst)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(want, got) {
			t.Errorf("%s differs from %s: run go test ./test/install -run TestChartCRD -update", dst, src)
		}
	}
}

func TestChartRender(t *testing.T) {
	tests := []struct {
		name      string
		vals      map[string]any
		wantKinds []string
		wantArgs  []string
		wantErr   string
	}{{
		name: "defaults",
		wantKinds: []string{
			"ClusterRole /rel-seal-agent", "ClusterRole /rel-seal-agent-credentials",
			"ClusterRoleBinding /rel-seal-agent", "ClusterRoleBinding /rel-seal-agent-apply",
			"ClusterRoleBinding /rel-seal-agent-credentials",
			"CustomResourceDefinition /gitsyncs.seal.dev", "CustomResourceDefinition /receivers.seal.dev",
			"Deployment ops/rel-seal-agent", "Role ops/rel-seal-agent", "RoleBinding ops/rel-seal-agent",
			"Service ops/rel-seal-agent-metrics", "Service ops/rel-seal-agent-webhook", "ServiceAccount ops/rel-seal-agent",
		},
		wantArgs: []string{"--leader-elect", "--key-secret=seal-agent-key", "--cluster-name=default", "--data-dir=/var/cache/seal-agent", "--max-fetch-size=268435456", "--max-object-size=33554432",
			"--metrics-bind-address=:8080", "--health-probe-bind-address=:8081", "--webhook-bind-address=:9292", "--log-format=json"},
	}, {
		name: "tenant mode with GitSyncs",
		vals: tenantValues("team-a", "team-b"),
		wantKinds: []string{
			"ClusterRole /rel-seal-agent", "ClusterRole /rel-seal-agent-impersonate",
			"ClusterRoleBinding /rel-seal-agent",
			"CustomResourceDefinition /gitsyncs.seal.dev", "CustomResourceDefinition /receivers.seal.dev",
			"Deployment ops/rel-seal-agent",
			"GitSync team-a/apps", "GitSync team-b/apps",
			"Role ops/rel-seal-agent", "RoleBinding ops/rel-seal-agent",
			"RoleBinding team-a/rel-seal-agent-impersonate",
			"RoleBinding team-b/rel-seal-agent-impersonate",
			"Service ops/rel-seal-agent-metrics", "Service ops/rel-seal-agent-webhook", "ServiceAccount ops/rel-seal-agent",
			"ValidatingAdmissionPolicy /rel-seal-agent-gitsync-tenant", "ValidatingAdmissionPolicy /rel-seal-agent-own-objects",
			"ValidatingAdmissionPolicyBinding /rel-seal-agent-gitsync-tenant", "ValidatingAdmissionPolicyBinding /rel-seal-agent-own-objects",
		},
		wantArgs: []string{"--leader-elect", "--key-secret=custom-key", "--cluster-name=default", "--data-dir=/var/cache/seal-agent", "--max-fetch-size=268435456", "--max-object-size=33554432",
			"--metrics-bind-address=:8080", "--health-probe-bind-address=:8081", "--webhook-bind-address=:9292", "--log-format=json"},
	}, {
		name: "one watched namespace, no leader election",
		vals: map[string]any{"watchNamespace": "team-a", "leaderElection": false, "extraArgs": []any{"--concurrency=8"}},
		wantKinds: []string{
			"ClusterRole /rel-seal-agent", "ClusterRole /rel-seal-agent-credentials",
			"ClusterRoleBinding /rel-seal-agent-apply",
			"CustomResourceDefinition /gitsyncs.seal.dev", "CustomResourceDefinition /receivers.seal.dev",
			"Deployment ops/rel-seal-agent", "Role ops/rel-seal-agent", "RoleBinding ops/rel-seal-agent",
			"RoleBinding team-a/rel-seal-agent", "RoleBinding team-a/rel-seal-agent-credentials",
			"Service ops/rel-seal-agent-metrics", "Service ops/rel-seal-agent-webhook", "ServiceAccount ops/rel-seal-agent",
		},
		wantArgs: []string{"--namespace=team-a", "--key-secret=seal-agent-key", "--cluster-name=default", "--data-dir=/var/cache/seal-agent", "--max-fetch-size=268435456", "--max-object-size=33554432",
			"--metrics-bind-address=:8080", "--health-probe-bind-address=:8081", "--webhook-bind-address=:9292", "--log-format=json", "--concurrency=8"},
	}, {
		name: "tenant GitSync without an account",
		vals: map[string]any{"rbac": map[string]any{"scope": "tenant"},
			"gitSyncs": []any{map[string]any{"name": "apps", "spec": map[string]any{"url": "https://git.example/env.git"}}}},
		wantErr: "gitSyncs: apps needs spec.serviceAccountName with rbac.scope=tenant",
	}, {
		name: "PodDisruptionBudget, ServiceMonitor and PrometheusRule",
		vals: map[string]any{"podDisruptionBudget": map[string]any{"enabled": true}, "serviceMonitor": map[string]any{"enabled": true},
			"prometheusRule": map[string]any{"enabled": true},
			"crds":           map[string]any{"install": false}},
		wantKinds: []string{
			"ClusterRole /rel-seal-agent", "ClusterRole /rel-seal-agent-credentials",
			"ClusterRoleBinding /rel-seal-agent", "ClusterRoleBinding /rel-seal-agent-apply",
			"ClusterRoleBinding /rel-seal-agent-credentials",
			"Deployment ops/rel-seal-agent", "PodDisruptionBudget ops/rel-seal-agent", "PrometheusRule ops/rel-seal-agent",
			"Role ops/rel-seal-agent", "RoleBinding ops/rel-seal-agent",
			"Service ops/rel-seal-agent-metrics", "Service ops/rel-seal-agent-webhook", "ServiceAccount ops/rel-seal-agent", "ServiceMonitor ops/rel-seal-agent",
		},
		wantArgs: []string{"--leader-elect", "--key-secret=seal-agent-key", "--cluster-name=default", "--data-dir=/var/cache/seal-agent", "--max-fetch-size=268435456", "--max-object-size=33554432",
			"--metrics-bind-address=:8080", "--health-probe-bind-address=:8081", "--webhook-bind-address=:9292", "--log-format=json"},
	}, {
		name: "shard blue",
		vals: map[string]any{"shard": "blue", "crds": map[string]any{"install": false},
			"gitSyncs": []any{map[string]any{"name": "apps", "spec": map[string]any{"url": "https://git.example/env.git"}}}},
		wantKinds: []string{
			"ClusterRole /rel-seal-agent", "ClusterRole /rel-seal-agent-credentials",
			"ClusterRoleBinding /rel-seal-agent", "ClusterRoleBinding /rel-seal-agent-apply",
			"ClusterRoleBinding /rel-seal-agent-credentials",
			"Deployment ops/rel-seal-agent", "GitSync ops/apps",
			"Role ops/rel-seal-agent", "RoleBinding ops/rel-seal-agent",
			"Service ops/rel-seal-agent-metrics", "Service ops/rel-seal-agent-webhook", "ServiceAccount ops/rel-seal-agent",
		},
		wantArgs: []string{"--leader-elect", "--shard=blue", "--key-secret=seal-agent-key", "--cluster-name=default", "--data-dir=/var/cache/seal-agent", "--max-fetch-size=268435456", "--max-object-size=33554432",
			"--metrics-bind-address=:8080", "--health-probe-bind-address=:8081", "--webhook-bind-address=:9292", "--log-format=json"},
	}, {
		name:    "a shard that is no DNS label",
		vals:    map[string]any{"shard": "Blue_1"},
		wantErr: "shard",
	}, {
		name:    "an unknown value",
		vals:    map[string]any{"podLabel": map[string]any{"team": "x"}},
		wantErr: "podLabel",
	}, {
		name:    "an unknown nested value",
		vals:    map[string]any{"serviceMonitor": map[string]any{"enable": true}},
		wantErr: "enable",
	}, {
		name: "webhook over TLS from a Secret, on a LoadBalancer",
		vals: map[string]any{"webhook": map[string]any{"tls": map[string]any{"secretName": "webhook-tls"}, "service": map[string]any{"type": "LoadBalancer"}},
			"crds": map[string]any{"install": false}},
		wantKinds: []string{
			"ClusterRole /rel-seal-agent", "ClusterRole /rel-seal-agent-credentials",
			"ClusterRoleBinding /rel-seal-agent", "ClusterRoleBinding /rel-seal-agent-apply",
			"ClusterRoleBinding /rel-seal-agent-credentials",
			"Deployment ops/rel-seal-agent", "Role ops/rel-seal-agent", "RoleBinding ops/rel-seal-agent",
			"Service ops/rel-seal-agent-metrics", "Service ops/rel-seal-agent-webhook", "ServiceAccount ops/rel-seal-agent",
		},
		wantArgs: []string{"--leader-elect", "--key-secret=seal-agent-key", "--cluster-name=default", "--data-dir=/var/cache/seal-agent", "--max-fetch-size=268435456", "--max-object-size=33554432",
			"--metrics-bind-address=:8080", "--health-probe-bind-address=:8081", "--webhook-bind-address=:9292",
			"--webhook-cert-dir=/etc/seal-agent/webhook-tls", "--log-format=json"},
	}, {
		name: "webhook off",
		vals: map[string]any{"webhook": map[string]any{"enabled": false}, "crds": map[string]any{"install": false}},
		wantKinds: []string{
			"ClusterRole /rel-seal-agent", "ClusterRole /rel-seal-agent-credentials",
			"ClusterRoleBinding /rel-seal-agent", "ClusterRoleBinding /rel-seal-agent-apply",
			"ClusterRoleBinding /rel-seal-agent-credentials",
			"Deployment ops/rel-seal-agent", "Role ops/rel-seal-agent", "RoleBinding ops/rel-seal-agent",
			"Service ops/rel-seal-agent-metrics", "ServiceAccount ops/rel-seal-agent",
		},
		wantArgs: []string{"--leader-elect", "--key-secret=seal-agent-key", "--cluster-name=default", "--data-dir=/var/cache/seal-agent", "--max-fetch-size=268435456", "--max-object-size=33554432",
			"--metrics-bind-address=:8080", "--health-probe-bind-address=:8081", "--webhook-bind-address=0", "--log-format=json"},
	}, {
		name:    "unknown rbac scope",
		vals:    map[string]any{"rbac": map[string]any{"scope": "namespace"}},
		wantErr: "scope",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rel, err := renderChart(t, "rel", "ops", tt.vals)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("render: error %v; want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			objs := objects(t, rel.Manifest)
			if diff := cmp.Diff(tt.wantKinds, kinds(objs)); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
			dep := find(t, objs, "Deployment", "rel-seal-agent")
			containers, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
			args, _, _ := unstructured.NestedStringSlice(containers[0].(map[string]any), "args")
			if diff := cmp.Diff(tt.wantArgs, args); diff != "" {
				t.Errorf("agent args (-want +got):\n%s", diff)
			}
			if !strings.Contains(rel.Info.Notes, "seal keys fetch --namespace ops") {
				t.Errorf("NOTES.txt does not say how to fetch the key:\n%s", rel.Info.Notes)
			}
		})
	}
}

// TestChartMatchesManifests checks that `helm install seal-agent -n
// seal-system` installs what manifests/ does in cluster mode: the same
// objects by kind and name, the same RBAC, the same pod. The Namespace is
// the exception: Helm installs into an existing one (--create-namespace).
func TestChartMatchesManifests(t *testing.T) {
	rel, err := renderChart(t, "seal-agent", "seal-system", nil)
	if err != nil {
		t.Fatal(err)
	}
	chartObjs := objects(t, rel.Manifest)
	kustomized := build(t, manifestsDefaults)
	if diff := cmp.Diff(kinds(kustomized, "Namespace"), kinds(chartObjs)); diff != "" {
		t.Errorf("objects (-manifests +chart):\n%s", diff)
	}
	if diff := cmp.Diff(rbacOf(t, kustomized), rbacOf(t, chartObjs)); diff != "" {
		t.Errorf("RBAC (-manifests +chart):\n%s", diff)
	}
	want, got := podSpec(t, kustomized), podSpec(t, chartObjs)
	// The chart always passes --key-secret; the base relies on the default.
	c := got["containers"].([]any)[0].(map[string]any)
	c["args"] = slices.DeleteFunc(c["args"].([]any), func(a any) bool { return a == "--key-secret=seal-agent-key" })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pod spec (-manifests +chart):\n%s", diff)
	}
}

// TestChartShard renders a release for shard blue: its Role may take only
// the shard's own Lease, and the GitSyncs it creates carry the shard label,
// so its agent syncs them.
func TestChartShard(t *testing.T) {
	rel, err := renderChart(t, "rel", "ops", map[string]any{"shard": "blue",
		"gitSyncs": []any{map[string]any{"name": "apps", "spec": map[string]any{"url": "https://git.example/env.git"}}}})
	if err != nil {
		t.Fatal(err)
	}
	objs := objects(t, rel.Manifest)
	rules, _, _ := unstructured.NestedSlice(find(t, objs, "Role", "rel-seal-agent").Object, "rules")
	var leases []any
	for _, r := range rules {
		if names, ok := r.(map[string]any)["resourceNames"].([]any); ok && fmt.Sprint(r.(map[string]any)["resources"]) == "[leases]" {
			leases = append(leases, names...)
		}
	}
	if diff := cmp.Diff([]any{"seal-agent-blue.seal.dev"}, leases); diff != "" {
		t.Errorf("Lease names the Role grants (-want +got):\n%s", diff)
	}
	if got := find(t, objs, "GitSync", "apps").GetLabels()["seal.dev/shard"]; got != "blue" {
		t.Errorf("GitSync apps label seal.dev/shard = %q, want blue", got)
	}
}
