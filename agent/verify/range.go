package verify

import (
	"errors"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// MaxRange bounds how many commits Range checks.
const MaxRange = 10000

// Range checks head and every commit reachable from it that is not
// reachable through since (the last revision applied, excluded), and
// returns head's signer. An empty since checks head alone. A history that
// reaches a root commit without passing since means since is no ancestor
// of head (history was rewritten): that is refused, since the commits in
// between cannot be told.
func (k *Keys) Range(head *object.Commit, since string) (Signer, error) {
	if since == "" || since == head.Hash.String() {
		return k.Commit(head)
	}
	// Collect first, so that a history not descending from since is
	// refused as such, whatever the signatures on the way.
	var commits []*object.Commit
	iter := object.NewCommitPreorderIter(head, nil, []plumbing.Hash{plumbing.NewHash(since)})
	defer iter.Close()
	for {
		c, err := iter.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Signer{}, fmt.Errorf("walking the history of %s back to %s: %w", head.Hash, since, err)
		}
		if len(commits) == MaxRange {
			return Signer{}, &Error{Commit: head.Hash.String(), Reason: fmt.Sprintf("is more than %d commits ahead of the last applied revision %s: verify them by hand and sync a signed commit on top", MaxRange, since)}
		}
		if c.NumParents() == 0 {
			return Signer{}, &Error{Commit: head.Hash.String(), Reason: "does not descend from the last applied revision " + since + " (history rewritten?): the commits in between cannot be verified"}
		}
		commits = append(commits, c)
	}
	var headSigner Signer
	for _, c := range commits {
		s, err := k.Commit(c)
		if err != nil {
			return Signer{}, err
		}
		if c.Hash == head.Hash {
			headSigner = s
		}
	}
	return headSigner, nil
}
