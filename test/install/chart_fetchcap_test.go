package install

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The chart passes maxFetchSize and maxObjectSize to the agent as
// --max-fetch-size and --max-object-size, in whole bytes however large
// (Helm reads numbers in values as floats), and its schema refuses a cap
// that is not positive.
func TestChartMaxFetchSize(t *testing.T) {
	for _, tt := range []struct {
		name    string
		vals    map[string]any
		want    []string
		wantErr string
	}{
		{"default", nil, []string{"--max-fetch-size=268435456", "--max-object-size=33554432"}, ""},
		{"set", map[string]any{"maxFetchSize": 1 << 20, "maxObjectSize": 1 << 19}, []string{"--max-fetch-size=1048576", "--max-object-size=524288"}, ""},
		{"large, as a float from YAML", map[string]any{"maxFetchSize": float64(8 << 30), "maxObjectSize": float64(4 << 30)},
			[]string{"--max-fetch-size=8589934592", "--max-object-size=4294967296"}, ""},
		{"zero", map[string]any{"maxFetchSize": 0}, nil, "maxFetchSize"},
		{"zero object cap", map[string]any{"maxObjectSize": 0}, nil, "maxObjectSize"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rel, err := renderChart(t, "rel", "ops", tt.vals)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			dep := find(t, objects(t, rel.Manifest), "Deployment", "rel-seal-agent")
			containers, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
			var got []string
			for _, a := range containers[0].(map[string]any)["args"].([]any) {
				if s := a.(string); strings.HasPrefix(s, "--max-fetch-size") || strings.HasPrefix(s, "--max-object-size") {
					got = append(got, s)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("size cap flags (-want +got):\n%s", diff)
			}
		})
	}
}
