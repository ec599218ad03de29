// Package worktree is a git work tree for tests: it writes files, commits
// them with a fixed identity and no user or system configuration, and
// pushes to its origin, the way a developer does. The git servers the
// tests start (test/gitserver, test/gitea) hand out their repositories as
// one of these.
package worktree
