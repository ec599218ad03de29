package atomicfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/seal-gitops/seal/internal/atomicfile"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		existing os.FileMode // 0: no file before
		perm     os.FileMode
		wantPerm os.FileMode
	}{
		{name: "new file gets perm", perm: 0o600, wantPerm: 0o600},
		{name: "existing file keeps its mode", existing: 0o644, perm: 0o600, wantPerm: 0o644},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "f"+string(rune('a'+i)))
			if tt.existing != 0 {
				if err := os.WriteFile(path, []byte("old"), tt.existing); err != nil {
					t.Fatal(err)
				}
				os.Chmod(path, tt.existing)
			}
			if err := atomicfile.WriteFile(path, []byte("new"), tt.perm); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			fi, _ := os.Stat(path)
			if string(got) != "new" || fi.Mode().Perm() != tt.wantPerm {
				t.Errorf("got %q mode %v, want %q mode %v", got, fi.Mode().Perm(), "new", tt.wantPerm)
			}
		})
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(tests) {
		t.Errorf("directory holds %d entries, want %d (a temporary file was left behind)", len(entries), len(tests))
	}
}

func TestWriteFileFailureLeavesTargetAlone(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "sub")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.WriteFile(target, []byte("x"), 0o600); err == nil {
		t.Fatal("writing over a directory succeeded")
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "missing", "f"), []byte("x"), 0o600); err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want 1", len(entries))
	}
}
