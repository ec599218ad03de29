package gitserver

import (
	"net/http"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing/format/pktline"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/server"
)

// Options change how StartWithOptions serves.
type Options struct {
	// AdvertiseInProcess answers ref advertisements (GET
	// info/refs?service=git-upload-pack) with go-git's server inside this
	// process instead of spawning git http-backend, which starts a
	// process (and git upload-pack another) for every request. Fetches,
	// pushes and the SSH server still run git. For measuring what a
	// process per poll costs a server.
	AdvertiseInProcess bool
}

// advertiseInProcess answers GET info/refs?service=git-upload-pack for a
// repository under root with go-git's server and hands every other
// request to next.
func advertiseInProcess(root string, next http.Handler) http.Handler {
	srv := server.NewServer(server.NewFilesystemLoader(osfs.New(root, osfs.WithBoundOS())))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		repo, ok := strings.CutSuffix(r.URL.Path, "/info/refs")
		if r.Method != http.MethodGet || !ok || r.URL.Query().Get("service") != transport.UploadPackServiceName {
			next.ServeHTTP(w, r)
			return
		}
		// Refused outright, as git http-backend refuses it, rather than
		// cleaned into the root.
		if strings.Contains(repo, "..") {
			http.Error(w, "invalid repository path", http.StatusNotFound)
			return
		}
		if _, err := repoPath(root, repo); err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		ep, err := transport.NewEndpoint(repo)
		if err != nil {
			http.Error(w, "invalid repository path", http.StatusNotFound)
			return
		}
		s, err := srv.NewUploadPackSession(ep, nil)
		if err != nil {
			http.Error(w, "repository not found", http.StatusNotFound)
			return
		}
		defer s.Close()
		ar, err := s.AdvertisedReferencesContext(r.Context())
		if err != nil {
			http.Error(w, "reading references: "+err.Error(), http.StatusInternalServerError)
			return
		}
		// The smart HTTP protocol's first lines, as git http-backend
		// sends them.
		ar.Prefix = [][]byte{[]byte("# service=" + transport.UploadPackServiceName), pktline.Flush}
		w.Header().Set("Content-Type", "application/x-git-upload-pack-advertisement")
		w.Header().Set("Cache-Control", "no-cache, max-age=0, must-revalidate")
		ar.Encode(w)
	})
}
