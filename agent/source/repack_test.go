package source_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/seal-gitops/seal/agent/source"
)

func TestManyFetchesAreRepacked(t *testing.T) {
	x := newFixture(t)
	first := x.commit(t, "first", manyFiles(10))
	var last string
	for i := range 20 {
		last = x.commit(t, "change", map[string][]byte{"apps/app03/cm.yaml": []byte(fmt.Sprintf("n: %d\n", i))})
		rev, err := x.f.Fetch(ctxTimeout(t, time.Minute), "k", x.srv.HTTPURL("env"), source.Ref{}, x.basic)
		if err != nil {
			t.Fatal(err)
		}
		if rev.SHA != last {
			t.Fatalf("fetch %d: SHA = %s, want %s", i, rev.SHA, last)
		}
		if got := readAll(t, rev.FS)["apps/app03/cm.yaml"]; got != fmt.Sprintf("n: %d\n", i) {
			t.Fatalf("fetch %d: changed file = %q", i, got)
		}
	}
	if n := len(packs(t, x.cache)); n > 16 {
		t.Errorf("cache holds %d packs after 21 fetches, want them repacked to at most 16", n)
	}
	// Older history survives the repack.
	x.srv.Close()
	rev, err := x.f.Fetch(ctxTimeout(t, time.Minute), "k", x.srv.HTTPURL("env"), source.Ref{Commit: first}, x.basic)
	if err != nil {
		t.Fatalf("first commit after the repack, server down: %v", err)
	}
	if got := readAll(t, rev.FS)["apps/app03/cm.yaml"]; got != "kind: ConfigMap\nmetadata:\n  name: app03\n" {
		t.Errorf("first commit's file = %q", got)
	}
}
