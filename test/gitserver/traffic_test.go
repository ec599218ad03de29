package gitserver_test

import (
	"testing"

	"github.com/go-git/go-git/v5"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/google/go-cmp/cmp"

	"github.com/seal-gitops/seal/test/gitserver"
)

func TestTrafficLogsRequestsAndWireBytes(t *testing.T) {
	s, _ := start(t)
	good := &githttp.BasicAuth{Username: s.Username, Password: s.Password}
	type entry struct {
		Method, Service string
		Status          int
	}
	tests := []struct {
		name string
		url  string
		auth *githttp.BasicAuth
		ca   []byte
		want []entry
	}{
		{name: "http clone", url: s.HTTPURL("env"), auth: good, want: []entry{
			{"GET", "git-upload-pack", 200}, {"POST", "git-upload-pack", 200}}},
		{name: "https clone", url: s.HTTPSURL("env"), auth: good, ca: s.CA, want: []entry{
			{"GET", "git-upload-pack", 200}, {"POST", "git-upload-pack", 200}}},
		{name: "refused", url: s.HTTPURL("env"), auth: &githttp.BasicAuth{Username: s.Username, Password: "nope"}, want: []entry{
			{"GET", "git-upload-pack", 401}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.TakeTraffic()
			git.PlainClone(t.TempDir(), true, &git.CloneOptions{URL: tt.url, Auth: tt.auth, CABundle: tt.ca})
			got := s.TakeTraffic()
			var entries []entry
			var bodyIn, bodyOut int64
			for _, r := range got.Requests {
				entries = append(entries, entry{r.Method, r.Service, r.Status})
				bodyIn += r.BodyIn
				bodyOut += r.BodyOut
				if r.Path != "/env.git/info/refs" && r.Path != "/env.git/git-upload-pack" {
					t.Errorf("logged path %q", r.Path)
				}
			}
			if diff := cmp.Diff(tt.want, entries); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			// The wire carries the bodies plus request lines and headers.
			if got.WireIn <= bodyIn || got.WireOut <= bodyOut || bodyOut == 0 {
				t.Errorf("wire in %d out %d, bodies in %d out %d: want the wire above the bodies", got.WireIn, got.WireOut, bodyIn, bodyOut)
			}
			// go-git may reuse a connection an earlier case left open.
			if got.Conns > len(got.Requests) {
				t.Errorf("%d connections for %d requests", got.Conns, len(got.Requests))
			}
			if again := s.TakeTraffic(); len(again.Requests) != 0 || again.WireIn != 0 || again.WireOut != 0 || again.Conns != 0 {
				t.Errorf("TakeTraffic did not start afresh: %+v", again)
			}
		})
	}
}

func TestTrafficCount(t *testing.T) {
	tr := gitserver.Traffic{Requests: []gitserver.Request{
		{Method: "GET", Service: "git-upload-pack"}, {Method: "POST", Service: "git-upload-pack"},
		{Method: "GET", Service: "git-upload-pack"}, {Method: "POST", Service: "git-receive-pack"},
	}}
	for _, tt := range []struct {
		method, service string
		want            int
	}{
		{"GET", "git-upload-pack", 2}, {"POST", "git-upload-pack", 1}, {"POST", "git-receive-pack", 1}, {"GET", "git-receive-pack", 0},
	} {
		if got := tr.Count(tt.method, tt.service); got != tt.want {
			t.Errorf("Count(%s, %s) = %d, want %d", tt.method, tt.service, got, tt.want)
		}
	}
}
