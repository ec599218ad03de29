package controller

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seal-gitops/seal/agent/decryptcache"
	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/keys"
)

// A cached open is what decrypting again returns; a GitSync with another
// key ring, or another GitSync, never gets what one GitSync opened.
// sealedDB is the file name sealed for idA, who holds the key, and idB,
// who does not: a Secret whose password is hunter2-value.
func sealedDB(t *testing.T, name string) (idA, idB *keys.Identity, data []byte) {
	t.Helper()
	idA, err := keys.Generate(keys.X25519)
	if err != nil {
		t.Fatal(err)
	}
	idB, err = keys.Generate(keys.X25519)
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: team\nstringData:\n  password: hunter2-value\n")
	data, err = crypto.Encrypt(name, plain, crypto.EncryptOptions{Recipients: []string{idA.Recipient()}})
	if err != nil {
		t.Fatal(err)
	}
	return idA, idB, data
}

func TestDecryptorCache(t *testing.T) {
	const name = "secrets/db.yaml"
	idA, idB, data := sealedDB(t, name)
	cache := decryptcache.New(0)
	scopeA := decryptcache.Scope{Namespace: "team", Name: "app", UID: "1"}

	uncached := &decryptor{ring: keys.NewRing(idA)}
	want, err := uncached.Decrypt(name, data, false)
	if err != nil {
		t.Fatal(err)
	}
	first := &decryptor{ring: keys.NewRing(idA), cache: cache, scope: scopeA}
	if _, err := first.Decrypt(name, data, false); err != nil {
		t.Fatal(err)
	}
	if cache.Len() != 1 {
		t.Fatalf("cache holds %d entries after one open, want 1", cache.Len())
	}
	// The next sync of the same GitSync takes it from the cache: the same
	// result, and the value still known to the redactor.
	second := &decryptor{ring: keys.NewRing(idA), cache: cache, scope: scopeA}
	got, err := second.Decrypt(name, data, false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cached open differs from a fresh one (-want +got):\n%s", diff)
	}
	if msg := second.redactor().Error(errors.New("oops hunter2-value")).Error(); msg == "oops hunter2-value" {
		t.Errorf("a value taken from the cache is not redacted: %q", msg)
	}

	// The same GitSync after its decryption Secret lost the key, and
	// another GitSync without the key, both fail as without a cache.
	for _, d := range []*decryptor{
		{ring: keys.NewRing(idB), cache: cache, scope: scopeA},
		{ring: keys.NewRing(idB), cache: cache, scope: decryptcache.Scope{Namespace: "other", Name: "app", UID: "2"}},
	} {
		if out, err := d.Decrypt(name, data, false); err == nil {
			t.Errorf("%+v opened a file for a key it does not hold: %d values", d.scope, len(out.Values))
		}
	}
	// Another GitSync holding the key opens it itself: its own entry.
	other := &decryptor{ring: keys.NewRing(idA), cache: cache, scope: decryptcache.Scope{Namespace: "other", Name: "app", UID: "2"}}
	if _, err := other.Decrypt(name, data, false); err != nil {
		t.Fatal(err)
	}
	if cache.Len() != 2 {
		t.Errorf("cache holds %d entries, want one per GitSync (2)", cache.Len())
	}
}

// A file opened by content id is served again by that id only: to the
// same GitSync, holding the same keys, for the same name and mode.
func TestDecryptorContentID(t *testing.T) {
	const name, blob = "secrets/db.yaml", "git-blob:1111111111111111111111111111111111111111"
	idA, idB, data := sealedDB(t, name)
	cache := decryptcache.New(0)
	scope := decryptcache.Scope{Namespace: "team", Name: "app", UID: "1"}

	first := &decryptor{ring: keys.NewRing(idA), cache: cache, scope: scope}
	if _, ok := first.Opened(name, blob, false); ok {
		t.Fatal("an empty cache served a file")
	}
	want, err := first.DecryptContent(name, blob, data, false)
	if err != nil {
		t.Fatal(err)
	}
	if want.Size != int64(len(data)) {
		t.Errorf("size %d, want the encrypted file's %d", want.Size, len(data))
	}

	next := &decryptor{ring: keys.NewRing(idA), cache: cache, scope: scope}
	got, ok := next.Opened(name, blob, false)
	if !ok {
		t.Fatal("the next sync of the same GitSync does not find the file by its content id")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("served differs from opened (-want +got):\n%s", diff)
	}
	if msg := next.redactor().Error(errors.New("oops hunter2-value")).Error(); msg == "oops hunter2-value" {
		t.Errorf("a value served by content id is not redacted: %q", msg)
	}

	misses := []struct {
		what     string
		d        *decryptor
		name, id string
		whole    bool
	}{
		{"another content id", next, name, "git-blob:2222222222222222222222222222222222222222", false},
		{"another name", next, "secrets/other.yaml", blob, false},
		{"opened whole", next, name, blob, true},
		{"a ring without the key", &decryptor{ring: keys.NewRing(idB), cache: cache, scope: scope}, name, blob, false},
		{"another GitSync", &decryptor{ring: keys.NewRing(idA), cache: cache, scope: decryptcache.Scope{Namespace: "other", Name: "app", UID: "2"}}, name, blob, false},
		{"the same GitSync recreated", &decryptor{ring: keys.NewRing(idA), cache: cache, scope: decryptcache.Scope{Namespace: "team", Name: "app", UID: "3"}}, name, blob, false},
	}
	for _, m := range misses {
		if _, ok := m.d.Opened(m.name, m.id, m.whole); ok {
			t.Errorf("%s: served from the cache", m.what)
		}
	}
	// The bytes alone do not find an entry kept by content id.
	if cache.Len() != 1 {
		t.Fatalf("cache holds %d entries, want 1", cache.Len())
	}
	if _, err := next.Decrypt(name, data, false); err != nil || cache.Len() != 2 {
		t.Errorf("Decrypt by bytes: err %v, %d entries (want its own entry, 2)", err, cache.Len())
	}
}
