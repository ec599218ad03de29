package source_test

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seal-gitops/seal/agent/source"
	"github.com/seal-gitops/seal/test/gitserver"
)

// bulkyFiles is n files of 2 KiB of random base64: content that compresses
// badly, so a pack holding it is large and easy to tell from a ref
// advertisement.
func bulkyFiles(n int) map[string][]byte {
	rng := rand.New(rand.NewChaCha8([32]byte{'s', 'e', 'a', 'l'}))
	files := map[string][]byte{}
	for i := range n {
		raw := make([]byte, 1536)
		for j := range raw {
			raw[j] = byte(rng.Uint32())
		}
		files[fmt.Sprintf("apps/app%02d/cm.yaml", i)] = []byte(base64.StdEncoding.EncodeToString(raw))
	}
	return files
}

// advertisementBound is the most a v0 ref advertisement of the refs named
// may take in the body of the info/refs answer: the "# service=" line and
// its flush, one pkt-line per ref (4 length bytes, a 40-byte SHA-1, a
// space, the name, a newline), up to 512 bytes of capabilities on the
// first line (git 2.43 sends about 300), and the closing flush.
func advertisementBound(refs ...string) int64 {
	n := int64(len("001e# service=git-upload-pack\n") + len("0000") + 512 + len("0000"))
	for _, r := range refs {
		n += int64(4 + 40 + 1 + len(r) + 1)
	}
	return n
}

// headerAllowance is what one HTTP/1.1 exchange adds on the wire around
// its bodies: the request line and headers (Host, User-Agent, basic auth,
// Accept), the status line and headers (Content-Type, Cache-Control,
// Expires, Pragma, Date, Transfer-Encoding) and the chunk framing.
const headerAllowance = 1024

// tlsAllowance is what a TLS 1.3 handshake adds: Go's ClientHello with its
// hybrid post-quantum key share (about 1.3 kB), the server's key share,
// its one-certificate chain (ECDSA P-256), signature and Finished messages
// and the record framing: about 3.5 kB measured; 4 kB allowed.
const tlsAllowance = 4096

// TestIdlePollIsOneRefAdvertisement shows, at the real git http-backend,
// what a poll costs: one info/refs request and no upload-pack POST when
// the ref did not move (none at all for a cached commit), and a fetch of
// only the new objects when it did.
func TestIdlePollIsOneRefAdvertisement(t *testing.T) {
	x := newFixture(t)
	first := x.commit(t, "first", bulkyFiles(100))
	if err := x.repo.Tag("v1"); err != nil {
		t.Fatal(err)
	}
	poll := func(key string, ref source.Ref, https bool) (*source.Revision, gitserver.Traffic) {
		t.Helper()
		url, auth := x.srv.HTTPURL("env"), x.basic
		if https {
			url, auth.CA = x.srv.HTTPSURL("env"), x.srv.CA
		}
		x.srv.TakeTraffic()
		rev, err := x.f.Fetch(ctxTimeout(t, time.Minute), key, url, ref, auth)
		if err != nil {
			t.Fatal(err)
		}
		return rev, x.srv.TakeTraffic()
	}
	type count struct{ InfoRefs, UploadPacks, Other int }
	counts := func(tr gitserver.Traffic) count {
		c := count{InfoRefs: tr.Count("GET", "git-upload-pack"), UploadPacks: tr.Count("POST", "git-upload-pack")}
		c.Other = len(tr.Requests) - c.InfoRefs - c.UploadPacks
		return c
	}

	// refs is what the advertisement holds: HEAD, the branch and the tag
	// (v0 advertises every ref; go-git v5 speaks no protocol v2, whose
	// ls-refs could ask for one prefix).
	refs := []string{"HEAD", "refs/heads/main", "refs/tags/v1"}
	tests := []struct {
		name  string
		ref   source.Ref
		https bool
		want  count
		refs  []string
		// minConns and maxConns bound the connections the poll opened:
		// at most one (go-git reuses the last fetch's when it was left in
		// its pool, not always). Over HTTPS with a CA bundle too: the
		// fetcher keeps one transport per CA bundle (shareHTTPTransports);
		// go-git's default built one per fetch, a TLS handshake a poll.
		minConns, maxConns int
	}{
		{"branch", source.Ref{Branch: "main"}, false, count{InfoRefs: 1}, refs, 0, 1},
		{"tag", source.Ref{Tag: "v1"}, false, count{InfoRefs: 1}, refs, 0, 1},
		{"cached commit", source.Ref{Commit: first}, false, count{}, nil, 0, 0},
		{"branch over https", source.Ref{Branch: "main"}, true, count{InfoRefs: 1}, refs, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "ns/" + tt.name
			_, clone := poll(key, tt.ref, tt.https)
			if clone.WireOut < 150_000 {
				t.Fatalf("the first fetch took %d bytes; the test needs a repository of over 150 kB to tell a pack from an advertisement", clone.WireOut)
			}
			rev, got := poll(key, tt.ref, tt.https)
			if rev.SHA != first {
				t.Errorf("SHA = %s, want %s", rev.SHA, first)
			}
			if diff := cmp.Diff(tt.want, counts(got)); diff != "" {
				t.Errorf("requests of an unchanged poll (-want +got):\n%s", diff)
			}
			if got.Conns < tt.minConns || got.Conns > tt.maxConns {
				t.Errorf("an unchanged poll opened %d connections, want %d to %d", got.Conns, tt.minConns, tt.maxConns)
			}
			body := advertisementBound(tt.refs...)
			wire := int64(0)
			if len(tt.refs) > 0 {
				wire = body + headerAllowance
			}
			if tt.https {
				wire += tlsAllowance
			}
			for _, r := range got.Requests {
				if r.BodyOut > body {
					t.Errorf("%s %s answered %d body bytes, above the advertisement bound %d", r.Method, r.Path, r.BodyOut, body)
				}
			}
			if got.WireIn+got.WireOut > wire {
				t.Errorf("an unchanged poll took %d bytes on the wire (%d in, %d out), above the bound %d", got.WireIn+got.WireOut, got.WireIn, got.WireOut, wire)
			}
			t.Logf("unchanged poll: %d bytes in, %d out (the first fetch: %d out)", got.WireIn, got.WireOut, clone.WireOut)
		})
	}

	t.Run("changed branch", func(t *testing.T) {
		key := "ns/changed"
		poll(key, source.Ref{}, false)
		before := packs(t, x.cache)
		// One changed file two directories deep: a commit, three trees
		// (root, apps, apps/app07) and a blob are new.
		second := x.commit(t, "change app07", map[string][]byte{"apps/app07/cm.yaml": []byte("kind: ConfigMap\n")})
		rev, got := poll(key, source.Ref{}, false)
		if rev.SHA != second {
			t.Fatalf("SHA = %s, want %s", rev.SHA, second)
		}
		if diff := cmp.Diff(count{InfoRefs: 1, UploadPacks: 1}, counts(got)); diff != "" {
			t.Errorf("requests of a poll after a push (-want +got):\n%s", diff)
		}
		var added []uint32
		for name, n := range packs(t, x.cache) {
			if _, ok := before[name]; !ok {
				added = append(added, n)
			}
		}
		if diff := cmp.Diff([]uint32{5}, added); diff != "" {
			t.Errorf("objects in the packs the poll added (-want +got):\n%s", diff)
		}
		// Five objects, the largest the 100-entry apps tree (about 3.2 kB
		// of names and binary SHA-1s), not the 150 kB the cache holds.
		if got.WireOut > 8192 {
			t.Errorf("the fetch of one changed file took %d bytes from the server", got.WireOut)
		}
		t.Logf("changed poll: %d bytes in, %d out", got.WireIn, got.WireOut)
	})
}
