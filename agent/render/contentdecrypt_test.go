package render

import (
	"bytes"
	"errors"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// idDecryptor is a ContentDecryptor over fakeDecryptor that counts what it
// opened and what it served again.
type idDecryptor struct {
	fakeDecryptor
	held           map[[3]string]*Decrypted
	opened, reused int
}

func newIDDecryptor() *idDecryptor { return &idDecryptor{held: map[[3]string]*Decrypted{}} }

func idKey(name, id string, whole bool) [3]string {
	w := "0"
	if whole {
		w = "1"
	}
	return [3]string{name, id, w}
}

func (d *idDecryptor) Opened(name, id string, whole bool) (*Decrypted, bool) {
	out, ok := d.held[idKey(name, id, whole)]
	if !ok {
		return nil, false
	}
	d.reused++
	c := *out // the renderer wipes the text it read
	c.Text = bytes.Clone(out.Text)
	return &c, true
}

func (d *idDecryptor) DecryptContent(name, id string, data []byte, whole bool) (*Decrypted, error) {
	out, err := d.Decrypt(name, data, whole)
	if err != nil {
		return nil, err
	}
	d.opened++
	out.Size = int64(len(data))
	c := *out
	c.Text = bytes.Clone(out.Text)
	d.held[idKey(name, id, whole)] = &c
	return out, nil
}

// An encrypted file whose content id a ContentDecryptor remembers is taken
// from it unread: the render is the one without it, and the file still
// counts against the size caps.
func TestContentDecryptorSkipsUnchangedFiles(t *testing.T) {
	files := map[string]string{"a.yaml": cmv("a", "1"), "s.yaml": fakeEnc("key-0", secretDoc)}
	fsys := withIDs(mapFS(files))
	dec := newIDDecryptor()
	opts := fakeOptions("")
	opts.Decryptor = dec

	want := renderWith(t, fsys, fakeOptions(""))
	if got := renderWith(t, fsys, opts); !cmp.Equal(want, got) {
		t.Fatalf("first render differs (-want +got):\n%s", cmp.Diff(want, got))
	}
	if dec.opened != 1 || dec.reused != 0 {
		t.Fatalf("first render: opened %d, reused %d; want 1, 0", dec.opened, dec.reused)
	}

	// The same content id over other bytes: served without reading them,
	// which is what shows the file was not read.
	unread := fstest.MapFS{}
	for name, f := range fsys {
		g := *f
		unread[name] = &g
	}
	unread["s.yaml"].Data = []byte("# fake-sops key=key-0\nFAIL-DECRYPT if read\n")
	if got := renderWith(t, unread, opts); !cmp.Equal(want, got) {
		t.Fatalf("second render differs (-want +got):\n%s", cmp.Diff(want, got))
	}
	if dec.opened != 1 || dec.reused != 1 {
		t.Fatalf("second render: opened %d, reused %d; want 1, 1", dec.opened, dec.reused)
	}

	// The caps count the file at the size it was opened at.
	capped := opts
	capped.MaxFileSize = int64(len(files["s.yaml"])) - 1
	capped.MaxTotalSize = capped.MaxFileSize
	if _, err := Render(t.Context(), fsys, capped); !errors.Is(err, ErrLimit) {
		t.Errorf("file over the cap taken from the decryptor: err %v, want ErrLimit", err)
	}

	// Changed content: opened again.
	files["s.yaml"] = fakeEnc("key-1", secretDoc)
	renderWith(t, withIDs(mapFS(files)), opts)
	if dec.opened != 2 {
		t.Errorf("changed file: opened %d times in all, want 2", dec.opened)
	}
}
