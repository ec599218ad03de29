package cli

import (
	"os"
	"path/filepath"
	"strings"
)

// hookMarker identifies a pre-commit hook seal wrote, so that installing
// again replaces it while a hook someone else wrote is left alone.
const hookMarker = "# seal-hook: pre-commit"

// hookScript is the pre-commit hook. Git runs it at the top of the work
// tree, where `seal check --staged` finds the repository's .sops.yaml as
// sops does. It is plain POSIX sh, so it runs wherever git does.
const hookScript = `#!/bin/sh
` + hookMarker + ` v1
# Installed by ` + "`seal hook install`" + `: before each commit, refuse Secrets in
# plaintext and encrypted files that are stale or damaged, as staged.
# Run ` + "`seal hook install`" + ` again to update this file; delete it to uninstall.
# Skip the check for one commit with: git commit --no-verify
if ! command -v seal >/dev/null 2>&1; then
	echo "seal pre-commit hook: seal is not on PATH, so the staged files cannot be checked." >&2
	echo "Install it: go install github.com/seal-gitops/seal/cmd/seal@latest" >&2
	echo "(and put \$(go env GOPATH)/bin on PATH), or skip the check once: git commit --no-verify" >&2
	exit 1
fi
exec seal check --staged
`

// isSealHook reports whether a hook file was written by seal.
func isSealHook(data []byte) bool {
	return strings.Contains(string(data), hookMarker)
}

// findOnPath looks for an executable named name in the directories of
// path (a PATH value), as the hook's `command -v` will.
func findOnPath(name, path string) string {
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p
		}
	}
	return ""
}
