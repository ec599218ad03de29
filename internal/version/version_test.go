package version

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFromBuild(t *testing.T) {
	platform := runtime.GOOS + "/" + runtime.GOARCH
	vcs := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/seal-gitops/seal", Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"}, {Key: "vcs.modified", Value: "true"}}}
	installed := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/seal-gitops/seal", Version: "v0.2.0"}}
	tests := []struct {
		name              string
		ldVersion, commit string
		bi                *debug.BuildInfo
		want              Info
		str               string
	}{
		{"make build", "v0.1.0-3-gabc", "fedcba9876543210fedcba9876543210fedcba98", vcs,
			Info{Version: "v0.1.0-3-gabc", Commit: "fedcba9876543210fedcba9876543210fedcba98", GoVersion: "go1.26.8", Platform: platform},
			"v0.1.0-3-gabc (commit fedcba987654, go1.26.8 " + platform + ")"},
		{"go build in a checkout", "", "", vcs,
			Info{Version: "(devel)", Commit: "0123456789abcdef0123456789abcdef01234567", Modified: true, GoVersion: "go1.26.8", Platform: platform},
			"(devel) (commit 0123456789ab, modified, go1.26.8 " + platform + ")"},
		{"go install module@version", "", "", installed,
			Info{Version: "v0.2.0", GoVersion: "go1.26.8", Platform: platform},
			"v0.2.0 (go1.26.8 " + platform + ")"},
		{"no build info", "", "", nil,
			Info{Version: Unknown, GoVersion: runtime.Version(), Platform: platform},
			Unknown + " (" + runtime.Version() + " " + platform + ")"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fromBuild(tt.ldVersion, tt.commit, tt.bi)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("fromBuild (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.str, got.String()); diff != "" {
				t.Errorf("String (-want +got):\n%s", diff)
			}
		})
	}
}
