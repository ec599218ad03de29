package render

import (
	"context"
	"fmt"
	"io/fs"
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
	files     map[string]struct{} // real paths read at least once
	decrypted map[string]string   // real path -> id of the key that opened it
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
	}
}

// read returns the content of the regular file at real (a path the resolver
// returned), decrypted when it is SOPS-encrypted, and whether it was.
func (r *reader) read(real string) (data []byte, encrypted bool, err error) {
	if err := r.ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("%s: %w", real, err)
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
	plain, err := r.decrypt(real, data)
	if err != nil {
		return nil, true, err
	}
	return plain, true, nil
}

// decrypt opens one SOPS file, recovering from a panic in the SOPS parser.
func (r *reader) decrypt(name string, data []byte) (plain []byte, err error) {
	if r.opts.Decryptor == nil {
		return nil, fmt.Errorf("%s: %w: the file is SOPS-encrypted and no decryptor is configured", name, ErrDecryption)
	}
	defer func() {
		if p := recover(); p != nil {
			plain, err = nil, fmt.Errorf("%s: %w: %w while decrypting", name, ErrDecryption, ErrPanic)
		}
	}()
	plain, key, err := r.opts.Decryptor.Decrypt(name, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", name, ErrDecryption, err)
	}
	r.decrypted[name] = key
	return plain, nil
}

// result fills in what the reader counted.
func (r *reader) result(res *Result) {
	res.Files = len(r.files)
	res.KeyUsage = make(map[string]int, len(r.decrypted))
	for _, key := range r.decrypted {
		res.KeyUsage[key]++
	}
}
