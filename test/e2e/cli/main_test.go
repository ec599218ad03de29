// Package cli_test drives the built seal binary as a separate process.
package cli_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/seal-gitops/seal/test/e2e/harness"
)

// bin holds the built binaries, shared by every test of the package.
var bin harness.Binaries

func TestMain(m *testing.M) {
	dir, err := harness.TempDir("seal-e2e-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin, err = harness.Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
