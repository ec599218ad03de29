package source

// DefaultMaxFetchSize is Options.MaxFetchSize when none is given: 256 MiB.
const DefaultMaxFetchSize = 256 << 20

// Options bound what a Fetcher downloads.
type Options struct {
	// MaxFetchSize caps the bytes of each pack a fetch downloads (as read
	// from the server: the pack, with the side-band framing and progress
	// messages it comes in) and the unpacked size of every object in it.
	// A fetch over it fails with ErrFetchTooLarge. Zero means
	// DefaultMaxFetchSize.
	MaxFetchSize int64
}

// withDefaults fills in what o leaves zero.
func (o Options) withDefaults() Options {
	if o.MaxFetchSize <= 0 {
		o.MaxFetchSize = DefaultMaxFetchSize
	}
	return o
}
