package cli

import (
	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// The objects seal prints with -o json, yaml, name, jsonpath=… and
// go-template=… for what is not a Kubernetes object: lists with an
// apiVersion and a kind scripts can rely on, in seal's API group and
// version. They exist only on output: no API server serves them. A
// change that breaks a script is a new version.

const (
	kindKeyList          = "KeyList"
	kindKey              = "Key"
	kindHistoryEntryList = "HistoryEntryList"
	kindHistoryEntry     = "HistoryEntry"
)

// outputAPIVersion is the apiVersion of the objects below.
var outputAPIVersion = v1alpha1.GroupVersion.String()

// objectName is the metadata of an output object: its name alone, the
// one -o name prints.
type objectName struct {
	Name string `json:"name"`
}

// keyList is what seal keys usage prints: one item per key, and the
// cluster read.
type keyList struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Items      []keyItem    `json:"items"`
	Cluster    *clusterRead `json:"cluster,omitempty"` // keys usage, keys list --cluster-usage
}

// repoKeyList is what seal keys list prints: a KeyList with the files it
// read beside the keys.
type repoKeyList struct {
	keyList `json:",inline"`
	Files   []listedFile `json:"files"`
}

// keyItem is one key, named by its recipient's fingerprint.
type keyItem struct {
	APIVersion  string     `json:"apiVersion"`
	Kind        string     `json:"kind"`
	Metadata    objectName `json:"metadata"`
	Fingerprint string     `json:"fingerprint"`
	// Recipient, Files and Stale come from the repository (keys list):
	// the recipient whole, the files wrapped for it, and whether no
	// creation rule of .sops.yaml names it any more.
	Recipient string   `json:"recipient,omitempty"`
	Files     []string `json:"files,omitempty"`
	Stale     bool     `json:"stale,omitempty"`
	// Cluster is whether the GitSyncs read use the key (keys usage, keys
	// list --cluster-usage).
	Cluster *recipientCluster `json:"cluster,omitempty"`
}

// clusterRead is the cluster whose GitSyncs were read.
type clusterRead struct {
	Server    string   `json:"server"`    // the server and context, as messages name it
	GitSyncs  []string `json:"gitSyncs"`  // every GitSync read, namespace/name
	NotSynced []string `json:"notSynced"` // those that never applied a revision: what they need is unknown
}

func newKeyItem(fingerprint string) keyItem {
	return keyItem{APIVersion: outputAPIVersion, Kind: kindKey, Metadata: objectName{Name: fingerprint}, Fingerprint: fingerprint}
}

func newClusterRead(u *clusterUsage) *clusterRead {
	return &clusterRead{Server: u.Where, GitSyncs: orEmpty(u.GitSyncs), NotSynced: orEmpty(u.NotSynced)}
}

// historyList is what seal history gitsync prints: the entries of one
// GitSync's status.history, newest first.
type historyList struct {
	APIVersion string        `json:"apiVersion"`
	Kind       string        `json:"kind"`
	GitSync    gitSyncRef    `json:"gitSync"`
	Items      []historyItem `json:"items"`
}

type gitSyncRef struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// historyItem is one entry, named by its revision (a revision that had
// two outcomes in a row, Failed then Applied, has two entries).
type historyItem struct {
	APIVersion            string     `json:"apiVersion"`
	Kind                  string     `json:"kind"`
	Metadata              objectName `json:"metadata"`
	v1alpha1.HistoryEntry `json:",inline"`
}
