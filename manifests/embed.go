package manifests

import (
	"embed"
	"io/fs"
)

// files is the install YAML: the base, the generated CRD and the tenant
// and shard components.
//
//go:embed *.yaml crd/*.yaml components/tenant/*.yaml components/shard/*.yaml
var files embed.FS

// FS returns the install YAML, laid out as in the repository:
// kustomization.yaml at the root, crd/ and components/ below it.
func FS() fs.FS { return files }
