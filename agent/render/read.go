package render

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/seal-gitops/seal/crypto"
)

// reader reads files of the revision for one render: confined, capped, and
// decrypted in memory when SOPS-encrypted. It counts what it read for the
// Result.
type reader struct {
	ctx       context.Context
	fsys      fs.FS
	opts      *Options
	res       *resolver
	lim       *budget
	files     map[string]struct{}             // real paths read at least once
	decrypted map[string]string               // real path -> id of the key that opened it
	sealed    map[string]crypto.SealedValue   // token -> value
	byFile    map[string][]crypto.SealedValue // real path -> its sealed values
}

func newReader(ctx context.Context, fsys fs.FS, opts *Options) *reader {
	return &reader{
		ctx:       ctx,
		fsys:      fsys,
		opts:      opts,
		res:       newResolver(fsys),
		lim:       newBudget(opts),
		files:     make(map[string]struct{}),
		decrypted: make(map[string]string),
		sealed:    make(map[string]crypto.SealedValue),
		byFile:    make(map[string][]crypto.SealedValue),
	}
}

// read returns the content of the regular file at real (a path the resolver
// returned), decrypted into tokens when it is SOPS-encrypted (whole: one
// token for the whole file), and whether it was.
func (r *reader) read(real string, whole bool) (data []byte, encrypted bool, err error) {
	if err := r.ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("%s: %w", real, err)
	}
	id, opened := r.openedBefore(real, whole)
	if opened != nil {
		text, err := r.reuse(real, opened)
		return text, true, err
	}
	fi, err := fs.Stat(r.fsys, real)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", real, notFound(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, false, fmt.Errorf("%s: not a regular file", real)
	}
	if err := r.lim.file(real, fi.Size()); err != nil {
		return nil, false, err
	}
	data, err = fs.ReadFile(r.fsys, real)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", real, notFound(err))
	}
	if err := r.lim.read(real, int64(len(data))); err != nil {
		return nil, false, err
	}
	r.files[real] = struct{}{}
	if !r.opts.IsEncrypted(data) {
		return data, false, nil
	}
	text, err := r.decrypt(real, id, data, whole)
	if err != nil {
		return nil, true, err
	}
	return text, true, nil
}

// openedBefore returns the content id of the file at real when the
// decryptor remembers files by it, and what it opened before under that id
// (nil when nothing).
func (r *reader) openedBefore(real string, whole bool) (id string, d *Decrypted) {
	cd, ok := r.opts.Decryptor.(ContentDecryptor)
	if !ok {
		return "", nil
	}
	if id, ok = r.contentID(real); !ok {
		return "", nil
	}
	d, _ = cd.Opened(real, id, whole)
	return id, d
}

// reuse takes a file a ContentDecryptor opened before, counted against
// the caps at its size as if read again.
func (r *reader) reuse(real string, d *Decrypted) ([]byte, error) {
	if err := r.lim.file(real, d.Size); err != nil {
		return nil, err
	}
	if err := r.lim.read(real, d.Size); err != nil {
		return nil, err
	}
	r.files[real] = struct{}{}
	r.record(real, d)
	return d.Text, nil
}

// decrypt opens one SOPS file (whose content id is id, or ""), recovering
// from a panic in the SOPS parser.
func (r *reader) decrypt(name, id string, data []byte, whole bool) (text []byte, err error) {
	if r.opts.Decryptor == nil {
		return nil, fmt.Errorf("%s: %w: the file is SOPS-encrypted and no decryptor is configured", name, ErrDecryption)
	}
	defer func() {
		if p := recover(); p != nil {
			text, err = nil, fmt.Errorf("%s: %w: %w while decrypting", name, ErrDecryption, ErrPanic)
		}
	}()
	var d *Decrypted
	if cd, ok := r.opts.Decryptor.(ContentDecryptor); ok && id != "" {
		d, err = cd.DecryptContent(name, id, data, whole)
	} else {
		d, err = r.opts.Decryptor.Decrypt(name, data, whole)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", name, ErrDecryption, err)
	}
	r.record(name, d)
	return d.Text, nil
}

// record counts a file opened, and keeps its values.
func (r *reader) record(name string, d *Decrypted) {
	r.decrypted[name] = d.KeyID
	r.byFile[name] = d.Values
	for _, v := range d.Values {
		r.sealed[v.Token] = v
	}
}

// result fills in what the reader counted.
func (r *reader) result(res *Result) {
	res.Files = len(r.files)
	res.Sealed = make([]crypto.SealedValue, 0, len(r.sealed))
	for _, v := range r.sealed {
		res.Sealed = append(res.Sealed, v)
	}
	res.KeyUsage = make(map[string]int, len(r.decrypted))
	for _, key := range r.decrypted {
		res.KeyUsage[key]++
	}
}
