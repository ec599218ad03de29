package health

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"
)

func object(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(j); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestCompute(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want status.Status
	}{
		{"SealedSecret without status waits for its controller", `{apiVersion: bitnami.com/v1alpha1, kind: SealedSecret, metadata: {name: s, generation: 1}}`, status.InProgressStatus},
		{"SealedSecret Synced", `{apiVersion: bitnami.com/v1alpha1, kind: SealedSecret, metadata: {name: s, generation: 1}, status: {observedGeneration: 1, conditions: [{type: Synced, status: "True"}]}}`, status.CurrentStatus},
		{"SealedSecret Synced=False", `{apiVersion: bitnami.com/v1alpha1, kind: SealedSecret, metadata: {name: s, generation: 1}, status: {observedGeneration: 1, conditions: [{type: Synced, status: "False", message: "no key could decrypt secret"}]}}`, status.InProgressStatus},
		{"SealedSecret Synced for an older generation", `{apiVersion: bitnami.com/v1alpha1, kind: SealedSecret, metadata: {name: s, generation: 2}, status: {observedGeneration: 1, conditions: [{type: Synced, status: "True"}]}}`, status.InProgressStatus},
		{"custom resource Ready=False", `{apiVersion: example.com/v1, kind: Widget, metadata: {name: w}, status: {conditions: [{type: Ready, status: "False"}]}}`, status.InProgressStatus},
		{"custom resource Ready", `{apiVersion: example.com/v1, kind: Widget, metadata: {name: w}, status: {conditions: [{type: Ready, status: "True"}]}}`, status.CurrentStatus},
		{"Deployment without status", `{apiVersion: apps/v1, kind: Deployment, metadata: {name: d, generation: 1}, spec: {replicas: 1}}`, status.InProgressStatus},
		{"failed Job", `{apiVersion: batch/v1, kind: Job, metadata: {name: j}, status: {startTime: "2026-01-01T00:00:00Z", conditions: [{type: Failed, status: "True"}]}}`, status.FailedStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := compute(object(t, tt.doc)); got.Status != tt.want {
				t.Errorf("status %s (%s), want %s", got.Status, got.Message, tt.want)
			}
		})
	}
}

func TestVerdict(t *testing.T) {
	deploy := group{gvk: schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, namespace: "web"}
	job := group{gvk: schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: "Job"}, namespace: "web"}
	tests := []struct {
		name   string
		groups map[group]map[string]Result
		final  bool
		done   bool
		msg    string
	}{
		{"all current", map[group]map[string]Result{deploy: {"a": {Status: status.CurrentStatus}}}, false, true, ""},
		{"in progress keeps waiting", map[group]map[string]Result{deploy: {"a": {Status: status.InProgressStatus, Message: "Replicas: 0/1"}}}, false, false, ""},
		{"timeout names each unhealthy object", map[group]map[string]Result{
			deploy: {"a": {Status: status.InProgressStatus, Message: "Replicas: 0/1"}, "b": {Status: status.CurrentStatus}},
			job:    {"m": {Status: status.NotFoundStatus, Message: "not found"}},
		}, true, true, "2 object(s) not healthy when the timeout ran out: Deployment.apps web/a: InProgress: Replicas: 0/1; Job.batch web/m: NotFound: not found"},
		{"a failure ends the wait at once", map[group]map[string]Result{
			deploy: {"a": {Status: status.InProgressStatus, Message: "Replicas: 0/1"}},
			job:    {"m": {Status: status.FailedStatus, Message: "Job Failed. failed: 1/1"}},
		}, false, true, "2 object(s) failed: Deployment.apps web/a: InProgress: Replicas: 0/1; Job.batch web/m: Failed: Job Failed. failed: 1/1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done, err := verdict(tt.groups, tt.final)
			if done != tt.done {
				t.Fatalf("done %v, want %v", done, tt.done)
			}
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.msg {
				t.Errorf("message\n got %q\nwant %q", got, tt.msg)
			}
		})
	}
}
