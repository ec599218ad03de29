package apply_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seal-gitops/seal/agent/apply"
)

func TestRefStringRoundTrip(t *testing.T) {
	tests := []struct {
		ref        apply.Ref
		str, short string
	}{
		{apply.Ref{Version: "v1", Kind: "ConfigMap", Namespace: "web", Name: "cfg"}, "v1/ConfigMap/web/cfg", "ConfigMap/web/cfg"},
		{apply.Ref{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "web", Name: "api"}, "apps/v1/Deployment/web/api", "Deployment/web/api"},
		{apply.Ref{Version: "v1", Kind: "Namespace", Name: "web"}, "v1/Namespace//web", "Namespace/web"},
		{apply.Ref{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition", Name: "widgets.example.com"},
			"apiextensions.k8s.io/v1/CustomResourceDefinition//widgets.example.com", "CustomResourceDefinition/widgets.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.str, func(t *testing.T) {
			if diff := cmp.Diff(tt.str, tt.ref.String()); diff != "" {
				t.Errorf("String (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.short, tt.ref.Short()); diff != "" {
				t.Errorf("Short (-want +got):\n%s", diff)
			}
			got, err := apply.ParseRef(tt.str)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.ref, got); diff != "" {
				t.Errorf("ParseRef (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRefRejects(t *testing.T) {
	for _, s := range []string{"", "v1/ConfigMap/cfg", "a/b/c/d/e/f", "v1/ConfigMap/web/", "/v1/ConfigMap/web/cfg", "v1//web/cfg"} {
		if r, err := apply.ParseRef(s); err == nil {
			t.Errorf("ParseRef(%q) = %+v, want an error", s, r)
		}
	}
}

func TestStale(t *testing.T) {
	cm := func(version, name string) apply.Ref {
		return apply.Ref{Version: version, Kind: "ConfigMap", Namespace: "ns", Name: name}
	}
	tests := []struct {
		name              string
		previous, current []apply.Ref
		want              []apply.Ref
	}{
		{"nothing before", nil, []apply.Ref{cm("v1", "a")}, nil},
		{"removed object", []apply.Ref{cm("v1", "a"), cm("v1", "b")}, []apply.Ref{cm("v1", "b")}, []apply.Ref{cm("v1", "a")}},
		{"new version is the same object", []apply.Ref{cm("v1beta1", "a")}, []apply.Ref{cm("v1", "a")}, nil},
		{"same name in another namespace is another object",
			[]apply.Ref{cm("v1", "a")},
			[]apply.Ref{{Version: "v1", Kind: "ConfigMap", Namespace: "other", Name: "a"}},
			[]apply.Ref{cm("v1", "a")}},
		{"everything removed", []apply.Ref{cm("v1", "a")}, nil, []apply.Ref{cm("v1", "a")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, apply.Stale(tt.previous, tt.current)); diff != "" {
				t.Errorf("Stale (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResultSummary(t *testing.T) {
	ref := apply.Ref{Version: "v1", Kind: "ConfigMap", Name: "x"}
	res := &apply.Result{Objects: []apply.ObjectResult{
		{Ref: ref, Action: apply.Unchanged}, {Ref: ref, Action: apply.Created},
		{Ref: ref, Action: apply.Unchanged}, {Ref: ref, Action: apply.DriftCorrected},
	}}
	if diff := cmp.Diff("1 created, 1 drift-corrected, 2 unchanged", res.Summary()); diff != "" {
		t.Errorf("Summary (-want +got):\n%s", diff)
	}
	if !res.Changed() {
		t.Error("Changed() = false, want true")
	}
	if got := (&apply.Result{}).Summary(); got != "no objects" {
		t.Errorf("empty Summary = %q", got)
	}
}

func TestNewRejectsOptions(t *testing.T) {
	c := testCluster(t).Client
	tests := []struct {
		name string
		opts apply.Options
		want string
	}{
		{"no labels", apply.Options{}, "at least one ownership label"},
		{"bad label key", apply.Options{Labels: map[string]string{"a b": "x"}}, `key "a b"`},
		{"bad label value", apply.Options{Labels: map[string]string{"a": "x y"}}, `value "x y"`},
		{"negative concurrency", apply.Options{Labels: map[string]string{"a": "b"}, Concurrency: -1}, "Concurrency -1"},
		{"bad target namespace", apply.Options{Labels: map[string]string{"a": "b"}, TargetNamespace: "Web"}, `TargetNamespace "Web"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := apply.New(c, tt.opts)
			if err == nil || !contains(err.Error(), tt.want) {
				t.Errorf("New: %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := apply.New(nil, apply.Options{Labels: map[string]string{"a": "b"}}); err == nil {
		t.Error("New(nil client) succeeded")
	}
}
