// Package notify reports a sync's outcome back to the Git host as a commit
// status on the synced revision (GitHub, GitLab, Gitea and Forgejo, and
// Bitbucket Cloud APIs), so a team sees in their pull requests and commit
// lists what each cluster did with a commit: pending while it syncs,
// success, failure, or superseded by a newer revision.
//
// A status carries only what the reconciler already shows on the GitSync:
// never a value from a decrypted file. The API token is sent only to the
// configured API host, over the configured client; posts are retried
// (go-retryablehttp) within a bounded time, and nothing here logs.
package notify
