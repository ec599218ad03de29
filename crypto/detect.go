package crypto

import (
	"regexp"
)

var (
	yamlSopsRe   = regexp.MustCompile(`(?m)^sops:[ \t]*(#.*)?\r?$`)
	yamlMACRe    = regexp.MustCompile(`(?m)^[ \t]+mac:[ \t]`)
	jsonSopsRe   = regexp.MustCompile(`"sops"[ \t\r\n]*:[ \t\r\n]*\{`)
	jsonMACRe    = regexp.MustCompile(`"mac"[ \t\r\n]*:`)
	dotenvSopsRe = regexp.MustCompile(`(?m)^sops_mac=`)
)

// IsEncrypted reports whether data carries SOPS metadata (YAML, JSON or
// dotenv). It looks at the text only: cheap, never fails, and says nothing
// about whether the file decrypts.
func IsEncrypted(data []byte) bool {
	switch {
	case yamlSopsRe.Match(data) && yamlMACRe.Match(data):
		return true
	case jsonSopsRe.Match(data) && jsonMACRe.Match(data):
		return true
	default:
		return dotenvSopsRe.Match(data)
	}
}
