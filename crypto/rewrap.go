package crypto

import (
	"strings"

	"filippo.io/age"
	"github.com/getsops/sops/v3"
)

// Rewrap is `seal keys rotate`: it wraps the data key for exactly
// recipients (dropping any other key, age or not). With newDataKey it also
// generates a new data key and re-encrypts every value (anyone who had the
// old key learns nothing from later edits). changed is false, and out equals
// data byte for byte, when nothing needed doing. The MAC is verified first.
// Files that split their data key over several Shamir key groups are refused
// with ErrUnsupported.
func Rewrap(name string, data []byte, ids []age.Identity, recipients []string, newDataKey bool) (out []byte, changed bool, err error) {
	defer recoverInto(name, &err)
	rs, err := parseRecipients(name, recipients)
	if err != nil {
		return nil, false, err
	}
	o, err := openEncrypted(name, data, ids, false)
	if err != nil {
		return nil, false, err
	}
	if n := len(o.tree.Metadata.KeyGroups); n > 1 {
		return nil, false, fileErr(name, ErrUnsupported, "it splits its data key over %d Shamir key groups, and rotation wraps the key for one group of recipients; rotate it with `sops updatekeys` and `sops rotate`", n)
	}
	if !newDataKey && sameRecipients(o.tree.Metadata.KeyGroups[0], rs) {
		return data, false, nil
	}
	if !newDataKey {
		// Only the key list changes: start again from the file as it is, so
		// every value, the MAC and lastmodified stay byte for byte.
		store, tree, err := loadEncrypted(name, o.format, data)
		if err != nil {
			return nil, false, err
		}
		group, err := keyGroup(name, o.dataKey, rs)
		if err != nil {
			return nil, false, err
		}
		tree.Metadata.KeyGroups, tree.Metadata.ShamirThreshold = []sops.KeyGroup{group}, 0
		out, err := emitEncrypted(name, store, tree)
		return out, err == nil, err
	}
	dataKey, err := generateDataKey(name)
	if err != nil {
		return nil, false, err
	}
	group, err := keyGroup(name, dataKey, rs)
	if err != nil {
		return nil, false, err
	}
	md := &o.tree.Metadata
	md.KeyGroups, md.ShamirThreshold, md.DataKey = []sops.KeyGroup{group}, 0, nil
	md.Version = bumpVersion(md.Version)
	if err := encryptTree(name, o.tree, dataKey, newValueCipher()); err != nil {
		return nil, false, err
	}
	out, err = emitEncrypted(name, o.store, o.tree)
	return out, err == nil, err
}

// sameRecipients reports whether a key group holds exactly the recipients,
// as age keys and nothing else.
func sameRecipients(group sops.KeyGroup, rs []recipient) bool {
	have := ageKeys(group)
	if len(have) != len(group) || len(have) != len(rs) {
		return false
	}
	want := make(map[string]bool, len(rs))
	for _, r := range rs {
		want[r.s] = true
	}
	for _, k := range have {
		if !want[strings.ToLower(strings.TrimSpace(k.Recipient))] {
			return false
		}
		delete(want, strings.ToLower(strings.TrimSpace(k.Recipient)))
	}
	return len(want) == 0
}
