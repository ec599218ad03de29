package cli

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

// cliRun is the outcome of one command line.
type cliRun struct {
	Stdout, Stderr string
	Code           int
}

// testFactory returns a Factory with an empty environment (plus env), dir
// as the working directory and a fixed clock.
func testFactory(dir string, env map[string]string, stdin string) (*Factory, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	f := &Factory{
		IO:     IO{In: strings.NewReader(stdin), Out: &out, Err: &errOut},
		Getenv: func(k string) string { return env[k] },
		Getwd:  func() (string, error) { return dir, nil },
		Now:    func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) },
	}
	return f, &out, &errOut
}

// runSeal runs a seal command line in dir with env.
func runSeal(t *testing.T, dir string, env map[string]string, stdin string, args ...string) cliRun {
	t.Helper()
	f, out, errOut := testFactory(dir, env, stdin)
	code := run(context.Background(), f, args)
	return cliRun{Stdout: out.String(), Stderr: errOut.String(), Code: code}
}

// golden compares got with testdata/golden/name, rewriting it with -update.
// Callers replace what varies between runs (temp dirs, ciphertexts) first.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}
