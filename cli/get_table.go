package cli

import (
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// gitSyncColumns are the columns of seal get gitsyncs; those of priority 1
// appear only with -o wide, as in kubectl's tables.
var gitSyncColumns = []metav1.TableColumnDefinition{
	{Name: "Name", Type: "string", Format: "name"},
	{Name: "Ready", Type: "string"},
	{Name: "Reason", Type: "string"},
	{Name: "Revision", Type: "string"},
	{Name: "Age", Type: "string"},
	{Name: "Suspended", Type: "boolean"},
	{Name: "URL", Type: "string", Priority: 1},
	{Name: "Ref", Type: "string", Priority: 1},
	{Name: "Path", Type: "string", Priority: 1},
	{Name: "Last-Attempted", Type: "string", Priority: 1},
	{Name: "Message", Type: "string", Priority: 1},
}

// gitSyncTable is items as a Table, which cli-runtime's table printer
// lays out (and to which it adds NAMESPACE with -A). now dates AGE.
func gitSyncTable(items []*v1alpha1.GitSync, now time.Time) *metav1.Table {
	t := &metav1.Table{ColumnDefinitions: gitSyncColumns}
	for _, gs := range items {
		row := gitSyncRow(gs)
		t.Rows = append(t.Rows, metav1.TableRow{
			Cells: []any{gs.Name, row.Ready, gitSyncReason(gs), row.Revision, age(gs.CreationTimestamp, now),
				gs.Spec.Suspend, gs.Spec.URL, refName(gs.Spec.Ref), row.Path, row.Attempted, row.Message},
			Object: runtime.RawExtension{Object: gs},
		})
	}
	return t
}

// gitSyncReason is the reason behind READY: the Ready condition's for the
// current spec, else the Reconciling condition's, else "-".
func gitSyncReason(gs *v1alpha1.GitSync) string {
	ready := meta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionReady)
	if ready != nil && (ready.ObservedGeneration == 0 || ready.ObservedGeneration >= gs.Generation) && ready.Reason != "" {
		return ready.Reason
	}
	if c := meta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionReconciling); c != nil && c.Reason != "" {
		return c.Reason
	}
	return "-"
}

// age is how long ago t was, the way kubectl prints it ("5m", "3d");
// "<unknown>" when t is not set.
func age(t metav1.Time, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return strings.TrimSpace(duration.HumanDuration(now.Sub(t.Time)))
}
