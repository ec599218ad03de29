package crypto

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var fuzzExts = []string{".yaml", ".json", ".env"}

func fuzzName(ext uint8) string { return "fuzz" + fuzzExts[int(ext)%len(fuzzExts)] }

// addFuzzSeeds seeds a fuzz target with every file in testdata (plain
// inputs with and without bindings, sops-made and golden files) and files
// Encrypt wrote.
func addFuzzSeeds(f *testing.F) {
	xa, ha := loadKey(f, "x25519-a"), loadKey(f, "hybrid-a")
	for _, dir := range []string{"plain", "bound", "sops", "golden"} {
		entries, err := os.ReadDir(filepath.Join("testdata", dir))
		if err != nil {
			f.Fatal(err)
		}
		for _, e := range entries {
			data := readFile(f, filepath.Join("testdata", dir, e.Name()))
			ext := uint8(0)
			for i, x := range fuzzExts {
				if filepath.Ext(e.Name()) == x {
					ext = uint8(i)
				}
			}
			f.Add(data, ext)
			if dir == "plain" || dir == "bound" {
				if enc, err := Encrypt(e.Name(), data, EncryptOptions{Recipients: recipientsOf(xa, ha)}); err == nil {
					f.Add(enc, ext)
				}
			}
		}
	}
}

// checkFuzzErr asserts what every error of this package promises: a
// *FileError around one of our sentinels, no recovered panic (those point at
// input we should refuse earlier), and no value, wrapped key or private key
// in the message.
func checkFuzzErr(t *testing.T, name string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var fe *FileError
	if !errors.As(err, &fe) || fe.Name != name {
		t.Fatalf("error is not a *FileError for %s: %v", name, err)
	}
	known := false
	for _, s := range []error{ErrMACMismatch, ErrIdentityMismatch, ErrNoMatchingIdentity, ErrMalformed, ErrNotSecret, ErrMixedKinds,
		ErrAlreadyEncrypted, ErrNotEncrypted, ErrTooLarge, ErrInvalidRecipient, ErrInvalidOptions, ErrUnsupported} {
		known = known || errors.Is(err, s)
	}
	msg := err.Error()
	if !known {
		t.Fatalf("error wraps none of the sentinels: %v", err)
	}
	if strings.Contains(msg, "a parser failed on it") {
		t.Fatalf("a panic was recovered: %v", err)
	}
	for _, s := range append(testSecrets, "-----BEGIN", "AGE-SECRET-KEY", "dotenv-secret-value") {
		if strings.Contains(msg, s) {
			t.Fatalf("error quotes input (%.6s…): %q", s, msg)
		}
	}
}

func FuzzDecrypt(f *testing.F) {
	addFuzzSeeds(f)
	ids := idsOf(loadKey(f, "x25519-a"), loadKey(f, "hybrid-a"), loadKey(f, "hybrid-b"))
	f.Fuzz(func(t *testing.T, data []byte, ext uint8) {
		name := fuzzName(ext)
		d, err := Decrypt(name, data, ids)
		checkFuzzErr(t, name, err)
		if err == nil && (d == nil || d.Identity < 0 || d.Identity >= len(ids)) {
			t.Fatalf("Decrypt succeeded with %+v", d)
		}
	})
}

func FuzzInspect(f *testing.F) {
	addFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, ext uint8) {
		name := fuzzName(ext)
		m, err := Inspect(name, data)
		checkFuzzErr(t, name, err)
		if err == nil && m == nil {
			t.Fatal("Inspect returned nothing")
		}
	})
}

func FuzzFindPlaintext(f *testing.F) {
	addFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, ext uint8) {
		name := fuzzName(ext)
		fs, err := FindPlaintext(name, data)
		checkFuzzErr(t, name, err)
		for _, fd := range fs {
			if fd.Line < 1 || fd.Document < 0 || fd.Path == "" {
				t.Fatalf("bad finding %+v", fd)
			}
		}
	})
}

// FuzzEncrypt also checks that whatever Encrypt writes decrypts again with
// every Secret bound, and has no plaintext left where it should be
// encrypted.
func FuzzEncrypt(f *testing.F) {
	addFuzzSeeds(f)
	xa := loadKey(f, "x25519-a")
	rs, ids := recipientsOf(xa), idsOf(xa)
	f.Fuzz(func(t *testing.T, data []byte, ext uint8) {
		name := fuzzName(ext)
		out, err := Encrypt(name, data, EncryptOptions{Recipients: rs})
		checkFuzzErr(t, name, err)
		if err != nil {
			return
		}
		d, err := Decrypt(name, out, ids)
		if err != nil {
			t.Fatalf("Encrypt's output does not decrypt: %v", err)
		}
		if d.Unbound != nil {
			t.Fatalf("Encrypt left Secrets %v unbound", d.Unbound)
		}
		fs, err := FindPlaintext(name, out)
		if err != nil || len(fs) > 0 {
			t.Fatalf("Encrypt's output has plaintext: %+v, %v", fs, err)
		}
	})
}
