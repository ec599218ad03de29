package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set by `make build`:
//
//	-ldflags "-X github.com/seal-gitops/seal/internal/version.version=v0.1.0
//	          -X github.com/seal-gitops/seal/internal/version.commit=<sha>"
//
// They are written only by the linker, never at run time.
var (
	version string
	commit  string
)

// Unknown is the version of a build that recorded none (go run, go test).
const Unknown = "(devel)"

// Info is one binary's build.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	Modified  bool   `json:"modified,omitempty"` // built from a work tree with uncommitted changes
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// Get returns this binary's build information.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return fromBuild(version, commit, bi)
}

// fromBuild merges the linker's values (ldVersion, ldCommit) with the build
// info bi (nil when the binary has none): the linker's win.
func fromBuild(ldVersion, ldCommit string, bi *debug.BuildInfo) Info {
	info := Info{Version: ldVersion, Commit: ldCommit, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		if bi.GoVersion != "" {
			info.GoVersion = bi.GoVersion
		}
		if info.Version == "" && bi.Main.Version != "" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if info.Commit == "" {
					info.Commit = s.Value
				}
			case "vcs.modified":
				info.Modified = s.Value == "true" && ldCommit == ""
			}
		}
	}
	if info.Version == "" {
		info.Version = Unknown
	}
	return info
}

// String reads "v0.1.0 (commit 0123456789ab, go1.26.8 linux/amd64)".
func (i Info) String() string {
	var parts []string
	if i.Commit != "" {
		c := "commit " + short(i.Commit)
		if i.Modified {
			c += ", modified"
		}
		parts = append(parts, c)
	}
	parts = append(parts, i.GoVersion+" "+i.Platform)
	return fmt.Sprintf("%s (%s)", i.Version, strings.Join(parts, ", "))
}

// short cuts a commit hash to 12 characters, as `git log --abbrev=12`.
func short(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}
