package helm

// indexFile is the part of a chart repository's index.yaml the fetcher
// reads. Helm's own repo.IndexFile would do, but importing Helm's repo
// package links its getters, plugins and kubectl into the agent, for
// three fields (see Template for what that costs).
type indexFile struct {
	Entries map[string][]*indexEntry `json:"entries"`
}

// indexEntry is one version of one chart in an index.
type indexEntry struct {
	Version string   `json:"version"`
	URLs    []string `json:"urls"`
	Digest  string   `json:"digest"`
}
