package cli

import (
	"os"

	"github.com/seal-gitops/seal/keys"
)

// loadRingForRotate loads the identities rotate decrypts with: the -i
// files, else where sops finds them (SOPS_AGE_KEY_FILE, SOPS_AGE_KEY,
// sops' keys.txt), through the factory's environment.
//
// TODO: replace with the shared loadRing of identities.go once it exists.
func loadRingForRotate(f *Factory, identityFlags []string) (*keys.Ring, error) {
	wd, err := auditWorkDir(f)
	if err != nil {
		return nil, err
	}
	files := make([]string, len(identityFlags))
	for i, p := range identityFlags {
		files[i] = joinWD(wd, p)
	}
	ring, _, err := keys.LoadIdentities(files, f.Getenv, os.ReadFile)
	return ring, err
}
