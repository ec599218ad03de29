package cli

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/seal-gitops/seal/internal/version"
)

// agentImageRepository is where the agent image of each seal release is
// published.
const agentImageRepository = "ghcr.io/seal-gitops/seal-agent"

// buildVersion is seal's version: the one make build stamps in, else the
// module version Go recorded (a release tag for `go install ...@v1.2.3`, a
// pseudo-version for a build in a Git checkout), else version.Unknown.
func buildVersion() string { return version.Get().Version }

// tagUnsafe is every character an image tag may not hold
// ([A-Za-z0-9_.-] only); a pseudo-version's "+dirty" has one.
var tagUnsafe = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

// defaultAgentImage is the agent image matching the CLI's own version, so
// that seal and seal-agent agree on the file format and the CRD. A build
// without a version names no image: the caller must give --image.
func defaultAgentImage(v string) (string, error) {
	if v == "" || v == version.Unknown {
		return "", withHint(usagef("--image is required: this seal was built without a version, so it cannot tell which seal-agent image matches it"),
			"build and push the agent image (make image IMAGE=REGISTRY/seal-agent:TAG), then pass --image REGISTRY/seal-agent:TAG")
	}
	tag := tagUnsafe.ReplaceAllString(strings.TrimSpace(v), "-")
	if len(tag) > 128 {
		tag = tag[:128]
	}
	return fmt.Sprintf("%s:%s", agentImageRepository, tag), nil
}
