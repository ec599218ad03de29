package helm

// indexFile is the part of a chart repository's index.yaml the fetcher
// reads. Helm's own repo.IndexFile would do, but importing helm's repo
// package links its getter, plugin and kubectl dependencies into the
// agent: about 40 MiB more resident memory at start for three fields.
type indexFile struct {
	Entries map[string][]*indexEntry `json:"entries"`
}

// indexEntry is one version of one chart in an index.
type indexEntry struct {
	Version string   `json:"version"`
	URLs    []string `json:"urls"`
	Digest  string   `json:"digest"`
}
