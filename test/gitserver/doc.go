// Package gitserver runs a real git server for tests: bare repositories
// served by git's own `git http-backend` over HTTP and HTTPS with basic
// auth, and over SSH by an in-process server that runs `git-upload-pack`
// and `git-receive-pack` behind a real host key and public-key auth.
//
// Repositories are changed the way developers change them: commits are
// made in a work tree with the git CLI and pushed. The server never serves
// a path outside its root.
//
// The HTTP and HTTPS servers keep an access log and count the bytes on the
// wire (TakeTraffic), so tests can assert what a client sent and fetched.
package gitserver
