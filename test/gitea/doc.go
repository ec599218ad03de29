// Package gitea runs a real Gitea for tests: the gitea binary built from
// source by test/testbin, on a loopback port, with a throwaway work path,
// an sqlite3 database, no mailer, no SSH and no network access of its own
// beyond loopback webhooks.
//
// Gitea refuses to run as root, and CI runs as root: then the server runs
// as the unprivileged uid/gid 65534 (nobody), in a work directory it owns,
// with its binary and its options/, templates/ and public/ linked beside it.
//
// Start migrates the database, creates an admin user and serves; helpers
// create tokens and repositories, push commits over HTTP, add webhooks and
// read commit statuses through Gitea's own API. Stop kills the whole
// process group, so no git or hook process outlives a test.
package gitea
