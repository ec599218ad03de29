package crypto

import (
	"bytes"
	"path/filepath"
	"strings"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/config"
	"github.com/getsops/sops/v3/stores/dotenv"
	sopsjson "github.com/getsops/sops/v3/stores/json"
	sopsyaml "github.com/getsops/sops/v3/stores/yaml"
)

// format is a file format the sops stores read and write.
type format int

const (
	formatYAML format = iota
	formatJSON
	formatDotenv
)

func (f format) String() string {
	switch f {
	case formatJSON:
		return "JSON"
	case formatDotenv:
		return "dotenv"
	default:
		return "YAML"
	}
}

// formatFor picks the format from the file name the way sops does for the
// formats we handle; anything that is not .json or .env is YAML.
func formatFor(name string) format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		return formatJSON
	case ".env":
		return formatDotenv
	default:
		return formatYAML
	}
}

// defaultYAMLIndent is used when a YAML file shows no nesting to measure:
// the Kubernetes convention.
const defaultYAMLIndent = 2

// storeFor returns a sops store for the format, indenting output like data.
func storeFor(f format, data []byte) sops.Store {
	switch f {
	case formatJSON:
		return sopsjson.NewStore(&config.JSONStoreConfig{Indent: jsonIndent(data)})
	case formatDotenv:
		return dotenv.NewStore(&config.DotenvStoreConfig{})
	default:
		return sopsyaml.NewStore(&config.YAMLStoreConfig{Indent: yamlIndent(data)})
	}
}

// yamlIndent measures the indentation of block mappings in a YAML file: the
// first line that opens a mapping ("key:" at the end of a line) followed by a
// more indented line that is not a sequence item. sops would re-indent to 4;
// we keep what the author used. A line scan is enough here (and cheap): the
// result only shapes whitespace, never content.
func yamlIndent(data []byte) int {
	prevIndent, prevOpens := 0, false
	for line := range bytes.Lines(data) {
		line = bytes.TrimRight(line, "\r\n")
		trimmed := bytes.TrimLeft(line, " ")
		if len(trimmed) == 0 || trimmed[0] == '#' {
			continue
		}
		if trimmed[0] == '\t' {
			prevOpens = false
			continue
		}
		indent := len(line) - len(trimmed)
		if bytes.HasPrefix(trimmed, []byte("---")) || bytes.HasPrefix(trimmed, []byte("...")) {
			prevOpens = false
			continue
		}
		if prevOpens && indent > prevIndent && trimmed[0] != '-' {
			if d := indent - prevIndent; d >= 2 && d <= 9 {
				return d
			}
			return defaultYAMLIndent
		}
		if i := bytes.Index(trimmed, []byte(" #")); i >= 0 {
			trimmed = bytes.TrimRight(trimmed[:i], " ")
		}
		prevIndent, prevOpens = indent, bytes.HasSuffix(trimmed, []byte(":"))
	}
	return defaultYAMLIndent
}

// jsonIndent measures the indentation of a JSON file: the leading white space
// of the first indented line. -1 means a tab (the sops JSON store's code for
// it, and its default).
func jsonIndent(data []byte) int {
	for line := range bytes.Lines(data) {
		trimmed := bytes.TrimLeft(line, " \t")
		if len(trimmed) == 0 || trimmed[0] == '\n' || trimmed[0] == '\r' {
			continue
		}
		switch {
		case line[0] == '\t':
			return -1
		case line[0] == ' ':
			return min(len(line)-len(trimmed), 16)
		}
	}
	return -1
}
