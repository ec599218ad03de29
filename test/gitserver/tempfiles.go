package gitserver

import (
	"io/fs"
	"path/filepath"
	"strings"
)

// TempPackFiles lists the temporary pack and object files go-git writes
// under dir (a client's cache) while it fetches: a test of a refused or
// failed fetch checks that none is left behind.
func TempPackFiles(dir string) ([]string, error) {
	var found []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), "tmp_pack_") || strings.HasPrefix(d.Name(), "tmp_obj_") {
			found = append(found, path)
		}
		return nil
	})
	return found, err
}
