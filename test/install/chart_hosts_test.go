package install

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The chart passes the tenancy values to the agent as flags, and none of
// them when they are left empty.
func TestChartTenancyFlags(t *testing.T) {
	for _, tt := range []struct {
		name string
		vals map[string]any
		want []string
	}{
		{"empty", nil, nil},
		{"set", map[string]any{
			"defaultServiceAccount": "deployer",
			"commitStatusHosts":     []any{"api.git.example", "status.example"},
			"allowedNetworks":       []any{"10.0.0.0/8", "fd00::/8"},
		}, []string{"--default-service-account=deployer", "--commit-status-hosts=api.git.example,status.example", "--allowed-networks=10.0.0.0/8,fd00::/8"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rel, err := renderChart(t, "rel", "ops", tt.vals)
			if err != nil {
				t.Fatal(err)
			}
			dep := find(t, objects(t, rel.Manifest), "Deployment", "rel-seal-agent")
			containers, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
			var got []string
			for _, a := range containers[0].(map[string]any)["args"].([]any) {
				s := a.(string)
				for _, flag := range []string{"--default-service-account=", "--commit-status-hosts=", "--allowed-networks="} {
					if len(s) >= len(flag) && s[:len(flag)] == flag {
						got = append(got, s)
					}
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("tenancy flags (-want +got):\n%s", diff)
			}
		})
	}
}
