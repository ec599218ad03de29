// Package source fetches one revision of a Git repository with go-git and
// serves its tree as a read-only io/fs filesystem.
//
// A Fetcher keeps one bare repository per key (for example
// "<namespace>/<name>") in its cache directory and fetches into it
// incrementally: only the ref asked for, only the objects it lacks: a poll
// of a branch or tag that did not move is one ref advertisement (Git
// protocol v0, which go-git v5 speaks, lists every ref) and no pack, and a
// commit already cached needs no request at all. No work tree is ever
// written; a Revision's FS reads the commit's tree straight from git
// objects, reports symbolic links as links and never follows one out of
// the tree. A fetch downloads at most Options.MaxFetchSize bytes of pack
// per request and unpacks no object larger than Options.MaxObjectSize (or
// than that, when smaller); over either, it fails with ErrFetchTooLarge
// and the cache keeps what it had.
//
// The package must never write a credential to disk or put one in an error
// (URLs are shown without userinfo), must never connect over SSH without
// checking the server's host key against known_hosts, and must never fall
// back to credentials from the environment (SSH agent, ~/.git-credentials).
package source
