package v1alpha1_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

func TestSpecDefaultsInGo(t *testing.T) {
	no, yes := false, true
	tests := []struct {
		name      string
		spec      v1alpha1.GitSyncSpec
		wantPrune bool
		wantEvery time.Duration
		wantLimit time.Duration
		wantRef   string
	}{
		{name: "zero", wantPrune: true, wantEvery: 5 * time.Minute, wantLimit: 2 * time.Minute, wantRef: `branch "main"`},
		{
			name: "set",
			spec: v1alpha1.GitSyncSpec{
				Prune: &no, Interval: metav1.Duration{Duration: time.Minute}, Timeout: &metav1.Duration{Duration: 30 * time.Second},
				Ref: v1alpha1.GitRef{Tag: "v1.2.0"},
			},
			wantPrune: false, wantEvery: time.Minute, wantLimit: 30 * time.Second, wantRef: `tag "v1.2.0"`,
		},
		{name: "prune true", spec: v1alpha1.GitSyncSpec{Prune: &yes, Ref: v1alpha1.GitRef{Commit: "0123456789abcdef0123456789abcdef01234567"}},
			wantPrune: true, wantEvery: 5 * time.Minute, wantLimit: 2 * time.Minute, wantRef: `commit "0123456789abcdef0123456789abcdef01234567"`},
		{name: "branch", spec: v1alpha1.GitSyncSpec{Ref: v1alpha1.GitRef{Branch: "release/1.2"}},
			wantPrune: true, wantEvery: 5 * time.Minute, wantLimit: 2 * time.Minute, wantRef: `branch "release/1.2"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			type result struct {
				Prune        bool
				Every, Limit time.Duration
				Ref          string
			}
			want := result{tt.wantPrune, tt.wantEvery, tt.wantLimit, tt.wantRef}
			got := result{tt.spec.PruneEnabled(), tt.spec.IntervalOrDefault(), tt.spec.TimeoutOrDefault(), tt.spec.Ref.String()}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestObjectRefString(t *testing.T) {
	tests := []struct {
		ref  v1alpha1.ObjectRef
		want string
	}{
		{v1alpha1.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: "apps", Name: "settings"}, "ConfigMap/v1 apps/settings"},
		{v1alpha1.ObjectRef{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "web", Name: "api"}, "Deployment.apps/v1 web/api"},
		{v1alpha1.ObjectRef{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole", Name: "reader"}, "ClusterRole.rbac.authorization.k8s.io/v1 reader"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.ref.String()); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		back, err := v1alpha1.ParseObjectRef(tt.want)
		if err != nil {
			t.Errorf("ParseObjectRef(%q): %v", tt.want, err)
		} else if diff := cmp.Diff(tt.ref, back); diff != "" {
			t.Errorf("ParseObjectRef(%q) (-want +got):\n%s", tt.want, diff)
		}
	}
}

func TestParseObjectRefRefusesMalformed(t *testing.T) {
	for _, s := range []string{
		"", "ConfigMap", "ConfigMap/v1", "ConfigMap/v1 ", "ConfigMap apps/settings", "/v1 apps/settings",
		"ConfigMap/ apps/settings", "ConfigMap/v1 /settings", "ConfigMap/v1 apps/", "ConfigMap/v1 apps/a/b",
		"ConfigMap/v1 apps/a b", ".apps/v1 web/api",
	} {
		if o, err := v1alpha1.ParseObjectRef(s); err == nil {
			t.Errorf("ParseObjectRef(%q) = %+v; want an error", s, o)
		}
	}
}

func TestSetLastAppliedRevision(t *testing.T) {
	tests := []struct{ sha, wantShort string }{
		{"0123456789abcdef0123456789abcdef01234567", "0123456789ab"},
		{"abc", "abc"},
		{"", ""},
	}
	for _, tt := range tests {
		var s v1alpha1.GitSyncStatus
		s.SetLastAppliedRevision(tt.sha)
		want := v1alpha1.GitSyncStatus{LastAppliedRevision: tt.sha, ShortRevision: tt.wantShort}
		if diff := cmp.Diff(want, s); diff != "" {
			t.Errorf("SetLastAppliedRevision(%q) (-want +got):\n%s", tt.sha, diff)
		}
	}
}

func TestLabelsAndPruneAnnotation(t *testing.T) {
	gs := &v1alpha1.GitSync{ObjectMeta: metav1.ObjectMeta{Name: "apps", Namespace: "flux"}}
	want := map[string]string{"seal.dev/gitsync-name": "apps", "seal.dev/gitsync-namespace": "flux"}
	if diff := cmp.Diff(want, gs.OwnerLabels()); diff != "" {
		t.Errorf("OwnerLabels (-want +got):\n%s", diff)
	}
	tests := []struct {
		annotations map[string]string
		want        bool
	}{
		{nil, false},
		{map[string]string{"seal.dev/prune": "disabled"}, true},
		{map[string]string{"seal.dev/prune": "enabled"}, false},
		{map[string]string{"kustomize.toolkit.fluxcd.io/prune": "disabled"}, false},
	}
	for _, tt := range tests {
		if got := v1alpha1.IsPruneDisabled(tt.annotations); got != tt.want {
			t.Errorf("IsPruneDisabled(%v) = %v, want %v", tt.annotations, got, tt.want)
		}
	}
}
