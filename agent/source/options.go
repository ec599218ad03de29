package source

// DefaultMaxFetchSize is Options.MaxFetchSize when none is given: 256 MiB.
const DefaultMaxFetchSize = 256 << 20

// DefaultMaxObjectSize is Options.MaxObjectSize when none is given:
// 32 MiB. go-git holds an object whole in memory as it unpacks it (with
// its delta base), so with the agent's four fetches at a time the
// worst case stays near 256 MiB, half the chart's memory limit; manifests
// are far smaller (the render refuses a file over 4 MiB).
const DefaultMaxObjectSize = 32 << 20

// Options bound what a Fetcher downloads.
type Options struct {
	// MaxFetchSize caps the bytes of each pack a fetch downloads (as read
	// from the server: the pack, with the side-band framing and progress
	// messages it comes in) and the unpacked size of every object in it.
	// A fetch over it fails with ErrFetchTooLarge. Zero means
	// DefaultMaxFetchSize.
	MaxFetchSize int64
	// MaxObjectSize caps the unpacked size of every object a fetch
	// brings (MaxFetchSize caps it too, when smaller). A fetch with an
	// object over it fails with ErrFetchTooLarge before go-git unpacks
	// anything. Zero means DefaultMaxObjectSize.
	MaxObjectSize int64
}

// withDefaults fills in what o leaves zero.
func (o Options) withDefaults() Options {
	if o.MaxFetchSize <= 0 {
		o.MaxFetchSize = DefaultMaxFetchSize
	}
	if o.MaxObjectSize <= 0 {
		o.MaxObjectSize = DefaultMaxObjectSize
	}
	return o
}
