package decryptcache

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seal-gitops/seal/agent/render"
	"github.com/seal-gitops/seal/crypto"
)

func baseKey() KeyParts {
	return KeyParts{
		Scope:      Scope{Namespace: "team-a", Name: "app", UID: "uid-1"},
		Name:       "secrets/db.yaml",
		Whole:      false,
		Data:       []byte("sops file bytes"),
		Recipients: []string{"age1aaa", "age1bbb"},
	}
}

// Every input that changes what opening a file returns changes the key,
// so neither a stale hit nor a hit across GitSyncs can happen.
func TestKeyCoversEveryInput(t *testing.T) {
	tests := []struct {
		name   string
		change func(*KeyParts)
	}{
		{"another GitSync's namespace", func(k *KeyParts) { k.Scope.Namespace = "team-b" }},
		{"another GitSync's name", func(k *KeyParts) { k.Scope.Name = "app2" }},
		{"the GitSync deleted and created again", func(k *KeyParts) { k.Scope.UID = "uid-2" }},
		{"another file name", func(k *KeyParts) { k.Name = "secrets/db2.yaml" }},
		{"opened whole (generator input)", func(k *KeyParts) { k.Whole = true }},
		{"other bytes", func(k *KeyParts) { k.Data = []byte("sops file bytes!") }},
		{"a key removed from the ring", func(k *KeyParts) { k.Recipients = []string{"age1aaa"} }},
		{"a key added to the ring", func(k *KeyParts) { k.Recipients = []string{"age1aaa", "age1bbb", "age1ccc"} }},
		{"another key ring", func(k *KeyParts) { k.Recipients = []string{"age1ccc", "age1bbb"} }},
		{"the ring in another order (the opening key's index differs)", func(k *KeyParts) { k.Recipients = []string{"age1bbb", "age1aaa"} }},
		// Fields that run into each other must not collide.
		{"name and data shifted", func(k *KeyParts) { k.Name, k.Data = "secrets/db.yamls", []byte("ops file bytes") }},
		{"namespace and name shifted", func(k *KeyParts) { k.Scope.Namespace, k.Scope.Name = "team-aa", "pp" }},
		{"recipients joined", func(k *KeyParts) { k.Recipients = []string{"age1aaaage1bbb"} }},
		{"a content id in place of the bytes", func(k *KeyParts) { k.Data, k.ContentID = nil, "git-blob:aaaa" }},
		{"the bytes named as a content id", func(k *KeyParts) { k.Data, k.ContentID = nil, "sops file bytes" }},
	}
	base := baseKey().Key()
	if again := baseKey().Key(); again != base {
		t.Fatalf("the same inputs gave two keys")
	}
	seen := map[Key]string{base: "base"}
	for _, tt := range tests {
		k := baseKey()
		tt.change(&k)
		got := k.Key()
		if prev, ok := seen[got]; ok {
			t.Errorf("%s: same key as %s", tt.name, prev)
		}
		seen[got] = tt.name
	}
}

func decrypted(n int) *render.Decrypted {
	return &render.Decrypted{
		Text:  fmt.Appendf(nil, "stringData:\n  password: TOKEN-%d\n", n),
		KeyID: "fp",
		Values: []crypto.SealedValue{{Token: fmt.Sprintf("TOKEN-%d", n), Value: fmt.Appendf(nil, "value-%d", n),
			Where: "document 1, stringData.password", SealedFor: "Secret/team/db", File: "secrets/db.yaml"}},
	}
}

func keyN(n int) Key {
	k := baseKey()
	k.Data = fmt.Appendf(nil, "file %d", n)
	return k.Key()
}

func TestGetReturnsACopy(t *testing.T) {
	c := New(1 << 20)
	want := decrypted(1)
	c.Add(baseKey().Scope, keyN(1), decrypted(1))
	got, ok := c.Get(keyN(1))
	if !ok {
		t.Fatal("miss right after Add")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	// The renderer wipes what it read; the entry must not change.
	clear(got.Text)
	clear(got.Values[0].Value)
	got.Values[0].Token = "x"
	again, _ := c.Get(keyN(1))
	if diff := cmp.Diff(want, again); diff != "" {
		t.Fatalf("wiping a copy changed the entry (-want +got):\n%s", diff)
	}
	if _, ok := c.Get(keyN(2)); ok {
		t.Fatal("hit for a key never added")
	}
}

func TestEvictsLeastRecentlyUsedPastMaxBytes(t *testing.T) {
	size := entrySize(decrypted(1))
	c := New(3 * size) // room for three entries
	scope := baseKey().Scope
	for n := 1; n <= 3; n++ {
		c.Add(scope, keyN(n), decrypted(n))
	}
	if _, ok := c.Get(keyN(1)); !ok { // 1 is now the most recently used
		t.Fatal("entry 1 missing before the cache was full")
	}
	c.Add(scope, keyN(4), decrypted(4))
	for n, want := range map[int]bool{1: true, 2: false, 3: true, 4: true} {
		if _, ok := c.Get(keyN(n)); ok != want {
			t.Errorf("entry %d cached: %v, want %v", n, ok, want)
		}
	}
	if c.Bytes() > 3*size {
		t.Errorf("holds %d bytes, more than its %d", c.Bytes(), 3*size)
	}
	// An entry larger than the whole cache is not kept at all.
	big := decrypted(5)
	big.Text = make([]byte, 4*size)
	c.Add(scope, keyN(5), big)
	if _, ok := c.Get(keyN(5)); ok {
		t.Error("an entry larger than the cache was kept")
	}
	if _, ok := c.Get(keyN(4)); !ok {
		t.Error("adding an oversized entry evicted the others")
	}
}

func TestForgetDropsOneGitSyncsEntries(t *testing.T) {
	c := New(1 << 20)
	a := Scope{Namespace: "team-a", Name: "app", UID: "1"}
	b := Scope{Namespace: "team-b", Name: "app", UID: "2"}
	ka, kb := KeyParts{Scope: a, Name: "f.yaml", Data: []byte("x")}, KeyParts{Scope: b, Name: "f.yaml", Data: []byte("x")}
	c.Add(a, ka.Key(), decrypted(1))
	c.Add(b, kb.Key(), decrypted(2))
	c.Forget("team-a", "app")
	if _, ok := c.Get(ka.Key()); ok {
		t.Error("the forgotten GitSync's entry is still there")
	}
	if _, ok := c.Get(kb.Key()); !ok {
		t.Error("another GitSync's entry went too")
	}
	if got, want := c.Bytes(), entrySize(decrypted(2)); got != want {
		t.Errorf("holds %d bytes, want %d", got, want)
	}
}

func TestNilCacheNeverHits(t *testing.T) {
	var c *Cache
	c.Add(baseKey().Scope, keyN(1), decrypted(1))
	if _, ok := c.Get(keyN(1)); ok {
		t.Fatal("a nil cache hit")
	}
	c.Forget("team-a", "app")
}
