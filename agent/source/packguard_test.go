package source

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// packEntry is one object of a hand-made pack: a blob, or (base > 0) an
// offset delta against the entry base entries back.
type packEntry struct {
	data []byte // the blob, or the delta instructions with their header
	base int
}

// makePack builds a pack holding entries, the way git lays one out.
func makePack(t *testing.T, entries ...packEntry) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("PACK")
	binary.Write(&b, binary.BigEndian, uint32(2))
	binary.Write(&b, binary.BigEndian, uint32(len(entries)))
	var offsets []int
	for i, e := range entries {
		offsets = append(offsets, b.Len())
		typ := byte(plumbing.BlobObject)
		if e.base > 0 {
			typ = byte(plumbing.OFSDeltaObject)
		}
		size := len(e.data)
		c := typ<<4 | byte(size&0x0f)
		for size >>= 4; size > 0; size >>= 7 {
			b.WriteByte(c | 0x80)
			c = byte(size & 0x7f)
		}
		b.WriteByte(c)
		if e.base > 0 {
			ofs := offsets[i] - offsets[i-e.base]
			enc := []byte{byte(ofs & 0x7f)}
			for ofs >>= 7; ofs > 0; ofs >>= 7 {
				ofs--
				enc = append([]byte{byte(0x80 | ofs&0x7f)}, enc...)
			}
			b.Write(enc)
		}
		z := zlib.NewWriter(&b)
		z.Write(e.data)
		z.Close()
	}
	sum := sha1.Sum(b.Bytes())
	b.Write(sum[:])
	return b.Bytes()
}

// copyDelta is a delta that copies the first 64 KiB of a base of baseSize
// bytes copies times: a target of copies*64 KiB from copies bytes.
func copyDelta(baseSize, copies int) []byte {
	d := binary.AppendUvarint(nil, uint64(baseSize))
	d = binary.AppendUvarint(d, uint64(copies)<<16)
	return append(d, bytes.Repeat([]byte{0x80}, copies)...) // copy offset 0, size 0 (= 64 KiB)
}

const (
	base64K = 64 << 10
	target  = 32 << 20 // what the delta in deltaPack unpacks to
)

// deltaPack is a 64 KiB blob and a delta of 512 bytes against it that
// unpacks to 32 MiB: a pack of about 1 KiB.
func deltaPack(t *testing.T) []byte {
	return makePack(t, packEntry{data: bytes.Repeat([]byte("seal"), base64K/4)},
		packEntry{data: copyDelta(base64K, target>>16), base: 1})
}

func TestCheckPack(t *testing.T) {
	for _, tc := range []struct {
		name       string
		pack       []byte
		limit      int64
		wantObject int64 // the size a tooLargeError names; 0: no error
		wantErr    error
	}{
		{"delta under the cap", deltaPack(t), 2 * target, 0, nil},
		{"delta target over the cap", deltaPack(t), target - 1, target, nil},
		{"blob over the cap", makePack(t, packEntry{data: make([]byte, 2<<20)}), 1 << 20, 2 << 20, nil},
		{"blob at the cap", makePack(t, packEntry{data: make([]byte, 1<<20)}), 1 << 20, 0, nil},
		{"delta instructions over the cap", makePack(t, packEntry{data: []byte("base")},
			packEntry{data: append(copyDelta(4, 0), make([]byte, 2<<20)...), base: 1}), 1 << 20, 2<<20 + 2, nil},
		{"delta without a header", makePack(t, packEntry{data: []byte("base")}, packEntry{data: []byte{0x84}, base: 1}),
			1 << 20, 0, errBadDelta},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkPack(bytes.NewReader(tc.pack), tc.limit)
			var large *tooLargeError
			switch {
			case tc.wantObject > 0:
				if !errors.As(err, &large) || large.object != tc.wantObject || large.limit != tc.limit ||
					!errors.Is(err, ErrFetchTooLarge) {
					t.Errorf("error %v, want a tooLargeError for an object of %d bytes", err, tc.wantObject)
				}
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("error %v, want %v", err, tc.wantErr)
				}
			case err != nil:
				t.Errorf("error %v, want none", err)
			}
		})
	}
}

// allocated is how many bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestGuardedStorageStoresOrRefuses writes deltaPack through the storage
// a fetch uses: under a large enough cap it is stored and the delta reads
// back whole; under a smaller one it is refused, nothing is stored, no
// temporary file is left, and the 32 MiB are never unpacked.
func TestGuardedStorageStoresOrRefuses(t *testing.T) {
	pack := deltaPack(t)
	t.Run("under the cap", func(t *testing.T) {
		dir := t.TempDir()
		st := storage(dir)
		defer st.Close()
		if err := writePack(&guardedStorage{Storage: st, limit: objectLimit{bytes: target}}, pack); err != nil {
			t.Fatal(err)
		}
		h := plumbing.ComputeHash(plumbing.BlobObject, bytes.Repeat([]byte("seal"), target/4))
		o, err := st.EncodedObject(plumbing.BlobObject, h)
		if err != nil || o.Size() != target {
			t.Fatalf("the delta's target %s: %v, size %d", h, err, sizeOf(o))
		}
	})
	t.Run("over the cap", func(t *testing.T) {
		dir := t.TempDir()
		st := storage(dir)
		defer st.Close()
		var err error
		alloc := allocated(func() { err = writePack(&guardedStorage{Storage: st, limit: objectLimit{bytes: target - 1}}, pack) })
		if !errors.Is(err, ErrFetchTooLarge) {
			t.Fatalf("error %v, want ErrFetchTooLarge", err)
		}
		if alloc > target/2 {
			t.Errorf("refusing the pack allocated %d bytes: the delta was unpacked", alloc)
		}
		if _, err := removeTempPacks(st); err != nil {
			t.Fatal(err)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "*")); len(left) > 0 {
			t.Errorf("files left after the refused pack: %v", left)
		}
	})
}

func writePack(s *guardedStorage, pack []byte) (err error) {
	w, err := s.PackfileWriter()
	if err != nil {
		return err
	}
	defer func() {
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}()
	_, err = io.Copy(w, bytes.NewReader(pack))
	return err
}

func sizeOf(o plumbing.EncodedObject) int64 {
	if o == nil {
		return -1
	}
	return o.Size()
}

// TestCutPackIsNotUnpacked writes deltaPack without its checksum, as when
// the transport's cap cuts a pack right after its last object. go-git's
// own pack writer then unpacks every object anyway (the control below);
// through the guard it fails without unpacking the delta.
func TestCutPackIsNotUnpacked(t *testing.T) {
	cut := deltaPack(t)
	cut = cut[:len(cut)-trailerSize]
	for _, tc := range []struct {
		name    string
		guarded bool
	}{{"go-git alone (control)", false}, {"through the guard", true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			st := storage(dir)
			defer st.Close()
			var err error
			alloc := allocated(func() {
				var w io.WriteCloser
				if w, err = st.PackfileWriter(); err != nil {
					return
				}
				if tc.guarded {
					w = newPackGuard(w, objectLimit{bytes: 2 * target})
				}
				w.Write(cut)
				err = w.Close()
			})
			t.Logf("allocated %d bytes, Close: %v", alloc, err)
			if tc.guarded && (err == nil || alloc > target/2) {
				t.Errorf("through the guard a cut pack was stored or unpacked: allocated %d bytes, error %v", alloc, err)
			}
			if !tc.guarded && alloc < target {
				t.Errorf("go-git alone allocated %d bytes for a cut pack: the control no longer shows the danger the guard prevents", alloc)
			}
		})
	}
}

// TestRefusedDeltaIsNotUnpackedWhateverFollows writes deltaPack with bytes
// after its checksum, a few bytes at a time, under a cap below the
// delta's target: go-git is handed the checksum only after the check has
// read every object, so the refused delta is never unpacked.
func TestRefusedDeltaIsNotUnpackedWhateverFollows(t *testing.T) {
	pack := append(deltaPack(t), bytes.Repeat([]byte("junk"), 64)...)
	for _, chunk := range []int{1, 7, 4096} {
		t.Run(fmt.Sprintf("%d bytes a write", chunk), func(t *testing.T) {
			st := storage(t.TempDir())
			defer st.Close()
			var err error
			alloc := allocated(func() {
				var w io.WriteCloser
				if w, err = (&guardedStorage{Storage: st, limit: objectLimit{bytes: target - 1}}).PackfileWriter(); err != nil {
					return
				}
				for rest := pack; len(rest) > 0 && err == nil; rest = rest[min(chunk, len(rest)):] {
					_, err = w.Write(rest[:min(chunk, len(rest))])
				}
				w.Close()
			})
			if !errors.Is(err, ErrFetchTooLarge) {
				t.Errorf("error %v, want ErrFetchTooLarge", err)
			}
			if alloc > target/2 {
				t.Errorf("refusing the pack allocated %d bytes: the delta was unpacked", alloc)
			}
		})
	}
}
