package crypto

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"
)

const benchFiles = 1000

// benchSecrets returns 1,000 Secret manifests of a few keys each, with
// random values.
func benchSecrets(b *testing.B) [][]byte {
	b.Helper()
	files := make([][]byte, benchFiles)
	for i := range files {
		r := make([]byte, 48)
		if _, err := rand.Read(r); err != nil {
			b.Fatal(err)
		}
		files[i] = fmt.Appendf(nil, `apiVersion: v1
kind: Secret
metadata:
  name: app-%04d
  namespace: team-%d
  labels:
    app.kubernetes.io/name: app-%04d
type: Opaque
stringData:
  username: user-%d
  password: %s
  url: postgres://db-%d.internal:5432/app
data:
  token: %s
`, i, i%10, i, i, hex.EncodeToString(r[:16]), i, base64.StdEncoding.EncodeToString(r[16:]))
	}
	return files
}

// benchKeys are the key types the benchmarks compare.
var benchKeys = []struct{ name, key string }{{"x25519", "x25519-a"}, {"hybrid", "hybrid-a"}}

func benchEncrypted(b *testing.B, k testKey, plain [][]byte) [][]byte {
	b.Helper()
	enc := make([][]byte, len(plain))
	for i, p := range plain {
		var err error
		if enc[i], err = Encrypt("s.yaml", p, EncryptOptions{Recipients: recipientsOf(k)}); err != nil {
			b.Fatal(err)
		}
	}
	return enc
}

func reportFiles(b *testing.B) {
	b.ReportMetric(float64(b.N*benchFiles)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkEncrypt1000 encrypts 1,000 Secret files for one recipient.
func BenchmarkEncrypt1000(b *testing.B) {
	plain := benchSecrets(b)
	for _, bk := range benchKeys {
		k := loadKey(b, bk.key)
		b.Run(bk.name, func(b *testing.B) {
			for b.Loop() {
				for _, p := range plain {
					if _, err := Encrypt("s.yaml", p, EncryptOptions{Recipients: recipientsOf(k)}); err != nil {
						b.Fatal(err)
					}
				}
			}
			reportFiles(b)
		})
	}
}

// BenchmarkDecrypt1000 decrypts (and verifies) 1,000 Secret files.
func BenchmarkDecrypt1000(b *testing.B) {
	plain := benchSecrets(b)
	for _, bk := range benchKeys {
		k := loadKey(b, bk.key)
		enc := benchEncrypted(b, k, plain)
		b.Run(bk.name, func(b *testing.B) {
			for b.Loop() {
				for _, e := range enc {
					if _, err := Decrypt("s.yaml", e, idsOf(k)); err != nil {
						b.Fatal(err)
					}
				}
			}
			reportFiles(b)
		})
	}
}

// BenchmarkSOPSCLIEncrypt1000 runs the real sops CLI over the same kind of
// 1,000 files, one process per file, for the ratio to BenchmarkEncrypt1000.
func BenchmarkSOPSCLIEncrypt1000(b *testing.B) {
	sops := sopsPath(b)
	plain := benchSecrets(b)
	dir := b.TempDir()
	for i, p := range plain {
		writeFile(b, filepath.Join(dir, fmt.Sprintf("s%04d.yaml", i)), p)
	}
	for _, bk := range benchKeys {
		k := loadKey(b, bk.key)
		r := newSOPSRunner(b, sops, []testKey{k})
		b.Run(bk.name, func(b *testing.B) {
			for b.Loop() {
				for i := range plain {
					if _, err := r.run(dir, "encrypt", "--age", k.recipient, "--encrypted-regex", DefaultEncryptedRegex, fmt.Sprintf("s%04d.yaml", i)); err != nil {
						b.Fatal(err)
					}
				}
			}
			reportFiles(b)
		})
	}
}

// BenchmarkSOPSCLIDecrypt1000 runs `sops decrypt` over the 1,000 files
// BenchmarkDecrypt1000 decrypts.
func BenchmarkSOPSCLIDecrypt1000(b *testing.B) {
	sops := sopsPath(b)
	plain := benchSecrets(b)
	for _, bk := range benchKeys {
		k := loadKey(b, bk.key)
		dir := b.TempDir()
		for i, e := range benchEncrypted(b, k, plain) {
			writeFile(b, filepath.Join(dir, fmt.Sprintf("s%04d.yaml", i)), e)
		}
		r := newSOPSRunner(b, sops, []testKey{k})
		b.Run(bk.name, func(b *testing.B) {
			for b.Loop() {
				for i := range plain {
					if _, err := r.run(dir, "decrypt", fmt.Sprintf("s%04d.yaml", i)); err != nil {
						b.Fatal(err)
					}
				}
			}
			reportFiles(b)
		})
	}
}
