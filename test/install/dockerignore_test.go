package install

import (
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// TestDockerignore checks that the build context lets in go.mod, go.sum
// and every Go and embedded file of every package of this module that
// seal-agent is built from.
func TestDockerignore(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, line)
		}
	}
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Dir,Module,GoFiles,EmbedFiles", "./cmd/seal-agent")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	files := []string{"go.mod", "go.sum"}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p struct {
			Dir                 string
			Module              *struct{ Main bool }
			GoFiles, EmbedFiles []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if p.Module == nil || !p.Module.Main {
			continue
		}
		rel, err := filepath.Rel(root, p.Dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range append(p.GoFiles, p.EmbedFiles...) {
			files = append(files, filepath.ToSlash(filepath.Join(rel, f)))
		}
	}
	if len(files) < 20 {
		t.Fatalf("go list found only %d files; the test is not looking at the agent", len(files))
	}
	for _, f := range files {
		if !inContext(patterns, f) {
			t.Errorf(".dockerignore leaves out %s, which the agent's build reads", f)
		}
	}
	for _, f := range []string{"bin/seal-agent", ".git/config", "agent/apply/apply_test.go", "agent/render/testdata/x.yaml"} {
		if inContext(patterns, f) {
			t.Errorf(".dockerignore lets in %s, which the build does not need", f)
		}
	}
}

// inContext applies .dockerignore patterns to a slash-separated path the
// way Docker does for the patterns used here: the last pattern matching
// the path or one of its parent directories wins, "!" re-includes, and a
// leading "**/" matches at any depth.
func inContext(patterns []string, p string) bool {
	segs := strings.Split(p, "/")
	in := true
	for _, pat := range patterns {
		include := strings.HasPrefix(pat, "!")
		pat = strings.TrimPrefix(pat, "!")
		anyDepth := strings.HasPrefix(pat, "**/")
		pat = strings.TrimPrefix(pat, "**/")
		matched := false
		for i := 0; i < len(segs) && !matched; i++ {
			if i > 0 && !anyDepth {
				break
			}
			for j := i + 1; j <= len(segs) && !matched; j++ {
				matched, _ = path.Match(pat, strings.Join(segs[i:j], "/"))
			}
		}
		if matched {
			in = include
		}
	}
	return in
}
