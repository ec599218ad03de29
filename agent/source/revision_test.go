package source_test

import (
	"strings"
	"testing"
	"time"

	"github.com/seal-gitops/seal/agent/source"
)

// TestFetchReturnsAuthorAndSubject: the fetched revision carries the
// author's name and the message's first line, for the history and alerts.
func TestFetchReturnsAuthorAndSubject(t *testing.T) {
	x := newFixture(t)
	sha := x.commit(t, "\nadd the shop\n\nwith a body that is not the subject\n", map[string][]byte{"v.yaml": []byte("v: 1\n")})
	rev, err := x.f.Fetch(ctxTimeout(t, time.Minute), "k", x.srv.HTTPURL("env"), source.Ref{}, x.basic)
	if err != nil {
		t.Fatal(err)
	}
	if rev.SHA != sha || rev.Subject != "add the shop" || rev.Author == "" || strings.Contains(rev.Author, "@") || rev.Time.IsZero() {
		t.Errorf("revision %s: author %q, subject %q, time %v; want %s, a name without an email, \"add the shop\", a time", rev.SHA, rev.Author, rev.Subject, rev.Time, sha)
	}
}

func TestSubject(t *testing.T) {
	for _, tt := range []struct {
		msg  string
		max  int
		want string
	}{
		{"fix it\n\nbody", 72, "fix it"},
		{"  padded  \r\nrest", 72, "padded"},
		{"", 72, ""},
		{"0123456789", 10, "0123456789"},
		{"0123456789a", 10, "0123456…"},
		{"ééééé", 8, "éé…"},
	} {
		if got := source.Subject(tt.msg, tt.max); got != tt.want {
			t.Errorf("Subject(%q, %d) = %q, want %q", tt.msg, tt.max, got, tt.want)
		}
	}
}
