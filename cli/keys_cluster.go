package cli

import (
	"context"
	"slices"
	"strings"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// keyUse is one GitSync whose last applied revision a key opened files of,
// from the GitSync's status.decryptionKeys.
type keyUse struct {
	GitSync  string `json:"gitSync"` // namespace/name
	Revision string `json:"revision"`
	Files    int    `json:"files"`
}

// clusterUsage is which keys the GitSyncs of a cluster used, by recipient
// fingerprint.
type clusterUsage struct {
	Where     string              // the cluster, for messages
	GitSyncs  []string            // every GitSync read, namespace/name
	ByKey     map[string][]keyUse // fingerprint → the GitSyncs it opened files for
	NotSynced []string            // GitSyncs without an applied revision: their needs are unknown
}

// uses returns the GitSyncs fingerprint opened files for.
func (u *clusterUsage) uses(fingerprint string) []keyUse {
	if u == nil {
		return nil
	}
	return u.ByKey[fingerprint]
}

// readClusterUsage lists the GitSyncs in namespace (every namespace when
// "") and collects the keys each one's last applied revision was opened
// with. The agent records them on every successful sync.
func readClusterUsage(ctx context.Context, f *Factory, target kubeTarget, namespace string) (*clusterUsage, error) {
	c, where, err := target.gitSyncClient(f)
	if err != nil {
		return nil, err
	}
	scope := statusScope{namespace: namespace}
	items, _, err := listGitSyncs(ctx, c, where, scope)
	if err != nil {
		return nil, err
	}
	return usageOf(where, items), nil
}

// usageOf collects the key usage of GitSyncs.
func usageOf(where string, items []*v1alpha1.GitSync) *clusterUsage {
	u := &clusterUsage{Where: where, ByKey: map[string][]keyUse{}}
	for _, gs := range items {
		name := gs.Namespace + "/" + gs.Name
		u.GitSyncs = append(u.GitSyncs, name)
		if gs.Status.LastAppliedRevision == "" {
			u.NotSynced = append(u.NotSynced, name)
			continue
		}
		for _, k := range gs.Status.DecryptionKeys {
			u.ByKey[k.Fingerprint] = append(u.ByKey[k.Fingerprint],
				keyUse{GitSync: name, Revision: gs.Status.LastAppliedRevision, Files: int(k.Files)})
		}
	}
	for fp := range u.ByKey {
		slices.SortFunc(u.ByKey[fp], func(a, b keyUse) int { return strings.Compare(a.GitSync, b.GitSync) })
	}
	return u
}
