package render

// Default caps. A single file rarely needs more than a few MiB (the largest
// CRD bundles in common use are about that size, and the API server refuses
// objects over 1.5 MiB); a whole environment rarely reads more than a few
// tens of MiB or holds more than a few thousand objects.
const (
	DefaultMaxFileSize  int64 = 4 << 20
	DefaultMaxTotalSize int64 = 64 << 20
	DefaultMaxObjects         = 10000
)

// budget enforces the caps of one render. Re-reads count again: kustomize
// reads a base once per overlay that includes it, and counting every read
// bounds the work a crafted diamond of bases can cause.
type budget struct {
	maxFile, maxTotal int64
	maxObjects        int
	total             int64
	objects           int
}

func newBudget(o *Options) *budget {
	b := &budget{maxFile: o.MaxFileSize, maxTotal: o.MaxTotalSize, maxObjects: o.MaxObjects}
	if b.maxFile <= 0 {
		b.maxFile = DefaultMaxFileSize
	}
	if b.maxTotal <= 0 {
		b.maxTotal = DefaultMaxTotalSize
	}
	if b.maxObjects <= 0 {
		b.maxObjects = DefaultMaxObjects
	}
	return b
}

// file checks a file's size before it is read.
func (b *budget) file(name string, size int64) error {
	if size > b.maxFile {
		return &LimitError{Path: name, Limit: "MaxFileSize", Max: b.maxFile, Got: size}
	}
	if b.total+size > b.maxTotal {
		return &LimitError{Path: name, Limit: "MaxTotalSize", Max: b.maxTotal, Got: b.total + size}
	}
	return nil
}

// read records n bytes read from name, checking again in case the size Stat
// reported was wrong.
func (b *budget) read(name string, n int64) error {
	if err := b.file(name, n); err != nil {
		return err
	}
	b.total += n
	return nil
}

// add records n more objects rendered from where.
func (b *budget) add(where string, n int) error {
	if b.objects+n > b.maxObjects {
		return &LimitError{Path: where, Limit: "MaxObjects", Max: int64(b.maxObjects), Got: int64(b.objects + n)}
	}
	b.objects += n
	return nil
}
