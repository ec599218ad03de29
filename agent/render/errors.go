package render

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Sentinel errors callers can branch on with errors.Is. Every error Render
// returns starts with the file or directory it concerns.
var (
	// ErrOutsideRepository: a path, reference or symlink leaves the repository root.
	ErrOutsideRepository = errors.New("leaves the repository")
	// ErrRemoteReference: a kustomization refers to a URL or a remote git base.
	ErrRemoteReference = errors.New("remote references are not allowed")
	// ErrLimit: a file, the render or its object count is over a cap (see LimitError).
	ErrLimit = errors.New("render limit exceeded")
	// ErrPlaintextSecret: a Secret, or a secretGenerator input, is not SOPS-encrypted.
	ErrPlaintextSecret = errors.New("plaintext Secret refused")
	// ErrInvalidManifest: a file or document is not a valid Kubernetes manifest.
	ErrInvalidManifest = errors.New("invalid manifest")
	// ErrDecryption: a SOPS-encrypted file could not be decrypted.
	ErrDecryption = errors.New("decryption failed")
	// ErrKustomize: kustomize failed to build the kustomization.
	ErrKustomize = errors.New("kustomize build failed")
	// ErrUnsupported: the input uses a feature render refuses (helm charts, ...).
	ErrUnsupported = errors.New("not supported")
	// ErrPanic: a third-party parser panicked; the panic was recovered.
	ErrPanic = errors.New("parser panicked")
)

// LimitError reports which cap was hit and how to get past it.
type LimitError struct {
	Path  string // the file or directory being read when the cap was hit
	Limit string // "MaxFileSize", "MaxTotalSize" or "MaxObjects"
	Max   int64
	Got   int64
}

func (e *LimitError) Error() string {
	switch e.Limit {
	case "MaxFileSize":
		return fmt.Sprintf("%s: %v: the file is %s, over the per-file limit of %s (MaxFileSize); split it into smaller files",
			e.Path, ErrLimit, size(e.Got), size(e.Max))
	case "MaxTotalSize":
		return fmt.Sprintf("%s: %v: reading it brings the render to %s, over the limit of %s (MaxTotalSize); split the repository into smaller paths or raise the agent's --max-render-size flag",
			e.Path, ErrLimit, size(e.Got), size(e.Max))
	default:
		return fmt.Sprintf("%s: %v: %d objects, over the limit of %d (MaxObjects); split the repository into smaller paths",
			e.Path, ErrLimit, e.Got, e.Max)
	}
}

// Is makes errors.Is(err, ErrLimit) true for every LimitError.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

var lineNumber = regexp.MustCompile(`line (\d+)`)

// safeYAMLProblems are parser messages that never quote input. Anything else
// a YAML or JSON parser says may quote a value, so it is dropped.
var safeYAMLProblems = []string{
	"mapping values are not allowed in this context",
	"did not find expected key",
	"could not find expected ':'",
	"found character that cannot start any token",
	"found a tab character",
	"did not find expected node content",
	"block sequence entries are not allowed in this context",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected '-' indicator",
	"found unexpected end of stream",
	"found unknown escape character",
	"control characters are not allowed",
	"invalid leading UTF-8 octet",
	"incomplete UTF-8 octet sequence",
	"found undefined alias",
	"contains itself",
	"excessive aliasing",
	"exceeded max depth",
	"already set in map",
	"already defined",
	"unsupported value",
}

// yamlProblem maps a parser error to our own words: the line number (plus
// offset, the line the document starts on), and the problem only when it is
// one of the known messages that quote nothing.
func yamlProblem(err error, offset int) string {
	msg := err.Error()
	what := "invalid YAML"
	for _, p := range safeYAMLProblems {
		if strings.Contains(msg, p) {
			switch p {
			case "already set in map", "already defined":
				what = "invalid YAML: duplicate key"
			case "contains itself", "excessive aliasing":
				what = "invalid YAML: recursive or excessive aliases"
			default:
				what = "invalid YAML: " + p
			}
			break
		}
	}
	if m := lineNumber.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		what += " (line " + strconv.Itoa(n+offset) + ")"
	}
	return what
}
