package agent_test

import (
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// faultScene is the starting point of each fault test: GitSync apps applied
// at a first revision (ConfigMaps web-config and keep-config and a sealed
// Secret db), and a second revision that changes web-config and db and
// removes keep-config from Git.
type faultScene struct {
	e             *env
	first, second string
	pw1, pw2      string
}

// newFaultScene commits the first revision, creates GitSync apps (syncing
// every interval; mutate adjusts its spec) and waits for it to be applied.
// pw1 and pw2 are the Secret's values in the two revisions.
func newFaultScene(e *env, interval time.Duration, pw1, pw2 string, mutate func(*v1alpha1.GitSync)) *faultScene {
	e.t.Helper()
	s := &faultScene{e: e, pw1: pw1, pw2: pw2}
	s.first = e.commit("first", map[string][]byte{
		"apps/config.yaml": configMap("web-config", "hello"),
		"apps/keep.yaml":   configMap("keep-config", "kept"),
		"apps/db.yaml":     e.seal(secretManifest("db", pw1), pw1),
	})
	e.createGitSync("apps", interval, mutate)
	e.waitApplied("apps", s.first)
	return s
}

// change commits the second revision, with extra files (nil deletes) if
// any, and asks for a sync.
func (s *faultScene) change(extra map[string][]byte) {
	s.e.t.Helper()
	files := map[string][]byte{
		"apps/config.yaml": configMap("web-config", "changed"),
		"apps/keep.yaml":   nil,
		"apps/db.yaml":     s.e.seal(secretManifest("db", s.pw2), s.pw2),
	}
	for name, content := range extra {
		files[name] = content
	}
	s.second = s.e.commit("second", files)
}

// checkFirstIntact checks that the cluster still holds the first revision
// whole: nothing changed, nothing pruned, the status still at it.
func (s *faultScene) checkFirstIntact() {
	e := s.e
	e.t.Helper()
	if got := e.configMapValue("web-config"); got != "hello" {
		e.t.Errorf("during the fault web-config = %q, want the first revision's %q", got, "hello")
	}
	if !e.configMapExists("keep-config") {
		e.t.Error("during the fault keep-config, in the applied revision, was pruned")
	}
	if diff := cmp.Diff(map[string]string{"password": s.pw1}, e.secretData("db")); diff != "" {
		e.t.Errorf("during the fault Secret db changed (-want +got):\n%s", diff)
	}
	if got := e.get("apps").Status.LastAppliedRevision; got != s.first {
		e.t.Errorf("during the fault status.lastAppliedRevision = %s, want the first revision %s", got, s.first)
	}
}

// waitSecond waits for the second revision to be applied and checks the
// cluster holds it: web-config changed, keep-config pruned, db's new value.
func (s *faultScene) waitSecond() {
	e := s.e
	e.t.Helper()
	e.waitApplied("apps", s.second)
	if got := e.configMapValue("web-config"); got != "changed" {
		e.t.Errorf("after the fault web-config = %q, want %q", got, "changed")
	}
	if e.configMapExists("keep-config") {
		e.t.Error("after the fault keep-config, removed from Git, was not pruned")
	}
	if diff := cmp.Diff(map[string]string{"password": s.pw2}, e.secretData("db")); diff != "" {
		e.t.Errorf("after the fault Secret db (-want +got):\n%s", diff)
	}
}
