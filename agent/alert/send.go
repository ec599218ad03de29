package alert

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/time/rate"

	"github.com/seal-gitops/seal/agent/notify"
)

// MaxAddress bounds a target's URL, in bytes.
const MaxAddress = 2048

// Target is where one alert goes.
type Target struct {
	Type string // Slack, Teams or Generic
	// Address is the webhook URL: a credential, never logged or shown.
	Address string
	// Source names where the address came from ("Secret ns/name"), for
	// messages.
	Source string
}

// Options configure a Dispatcher; zero fields take DefaultOptions'.
type Options struct {
	// Addresses says which addresses deliveries may dial.
	Addresses notify.AddressPolicy
	// HTTPClient defaults to Addresses.Client(): no redirects, no refused
	// addresses, 30s per attempt.
	HTTPClient *http.Client
	// RetryMax is how many times a failed delivery (a network error, 429
	// or 5xx) is tried again, waiting RetryWaitMin doubling up to
	// RetryWaitMax in between (or what Retry-After asks).
	RetryMax                   int
	RetryWaitMin, RetryWaitMax time.Duration
	// Rate and Burst limit deliveries per target address; a delivery that
	// would wait past Timeout is dropped and reported.
	Rate  rate.Limit
	Burst int
	// Timeout bounds one delivery, retries and the rate limit's wait
	// included.
	Timeout time.Duration
	// QueueSize bounds the alerts waiting per GitSync; more are dropped
	// and reported.
	QueueSize int
}

// DefaultOptions are the agent's: 4 retries from 1s to 30s, 1 alert per
// 10 seconds per target with bursts of 5, 5 minutes per delivery, 20
// alerts queued per GitSync.
func DefaultOptions() Options {
	return Options{RetryMax: 4, RetryWaitMin: time.Second, RetryWaitMax: 30 * time.Second,
		Rate: rate.Every(10 * time.Second), Burst: 5, Timeout: 5 * time.Minute, QueueSize: 20}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.RetryMax == 0 {
		o.RetryMax = d.RetryMax
	}
	if o.RetryWaitMin == 0 {
		o.RetryWaitMin = d.RetryWaitMin
	}
	if o.RetryWaitMax == 0 {
		o.RetryWaitMax = d.RetryWaitMax
	}
	if o.Rate == 0 {
		o.Rate, o.Burst = d.Rate, d.Burst
	}
	if o.Burst == 0 {
		o.Burst = 1
	}
	if o.Timeout == 0 {
		o.Timeout = d.Timeout
	}
	if o.QueueSize == 0 {
		o.QueueSize = d.QueueSize
	}
	if o.HTTPClient == nil {
		o.HTTPClient = o.Addresses.Client()
	}
	return o
}

// maxLimiters bounds the rate limiters kept; past it they start over.
const maxLimiters = 4096

// Dispatcher delivers alerts in the background. Alerts of one GitSync go
// out one after the other, in the order sent; different GitSyncs do not
// wait for each other. Send never blocks.
type Dispatcher struct {
	opts   Options
	client *retryablehttp.Client

	mu       sync.Mutex
	queues   map[string]chan job        // by GitSync key; a worker runs while one exists
	limiters map[[32]byte]*rate.Limiter // by target address hash
}

type job struct {
	targets []Target
	event   Event
	failed  func(error)
}

// New returns a Dispatcher.
func New(opts Options) *Dispatcher {
	opts = opts.withDefaults()
	c := &retryablehttp.Client{
		HTTPClient:   opts.HTTPClient,
		RetryMax:     opts.RetryMax,
		RetryWaitMin: opts.RetryWaitMin,
		RetryWaitMax: opts.RetryWaitMax,
		Backoff:      retryablehttp.DefaultBackoff,
		CheckRetry:   checkRetry,
		// The last attempt's own response or error, not retryablehttp's
		// summary, which names the URL.
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
		// No Logger: its lines name the URL.
	}
	return &Dispatcher{opts: opts, client: c, queues: map[string]chan job{}, limiters: map[[32]byte]*rate.Limiter{}}
}

// checkRetry retries what retryablehttp retries, except an address the
// policy refused: that will not change.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if errors.Is(err, notify.ErrHostRefused) {
		return false, nil
	}
	return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
}

// Send queues e for every target, in the background, under the GitSync
// key. failed is called (from another goroutine) for each target the
// alert could not be delivered to, with an error that names the target's
// type, host and Source but never its URL.
func (d *Dispatcher) Send(key string, targets []Target, e Event, failed func(error)) {
	if len(targets) == 0 {
		return
	}
	if failed == nil {
		failed = func(error) {}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	q, ok := d.queues[key]
	if !ok {
		q = make(chan job, d.opts.QueueSize)
		d.queues[key] = q
		go d.drain(key, q)
	}
	select {
	case q <- job{targets: targets, event: e, failed: failed}:
	default:
		go failed(fmt.Errorf("alert %s dropped: %d alerts of GitSync %s wait already", e.Kind, d.opts.QueueSize, key))
	}
}

// drain delivers key's alerts until its queue is empty, then ends.
func (d *Dispatcher) drain(key string, q chan job) {
	for {
		d.mu.Lock()
		var j job
		select {
		case j = <-q:
		default:
			delete(d.queues, key)
			d.mu.Unlock()
			return
		}
		d.mu.Unlock()
		for _, t := range j.targets {
			if err := d.deliver(t, j.event); err != nil {
				j.failed(err)
			}
		}
	}
}

// Idle reports whether no alert waits or is being delivered.
func (d *Dispatcher) Idle() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.queues) == 0
}

// deliver posts e to t, within the rate limit of t's address.
func (d *Dispatcher) deliver(t Target, e Event) error {
	u, err := checkAddress(t)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("%s alert %s to %s (%s)", t.Type, e.Kind, u.Host, t.Source)
	body, err := Payload(t.Type, e)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.opts.Timeout)
	defer cancel()
	if err := d.limiter(t.Address).Wait(ctx); err != nil {
		return fmt.Errorf("%s dropped: more than the rate limit allows (%d at once, then one every %s)",
			what, d.opts.Burst, rateEvery(d.opts.Rate))
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, t.Address, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: cannot build the request", what)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "seal-agent")
	resp, err := d.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message names the URL
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode/100 == 2:
		return nil
	case resp.StatusCode/100 == 3:
		return fmt.Errorf("%s: %s: redirects are not followed, so the alert goes nowhere else: put the final URL in the Secret", what, resp.Status)
	}
	return fmt.Errorf("%s: %s", what, resp.Status)
}

// checkAddress parses t's URL, which must be http(s), bounded and hold no
// user info; its errors never quote it.
func checkAddress(t Target) (*url.URL, error) {
	if t.Address == "" {
		return nil, fmt.Errorf("%s alert target (%s): no URL under the key \"address\"", t.Type, t.Source)
	}
	if len(t.Address) > MaxAddress {
		return nil, fmt.Errorf("%s alert target (%s): the URL is longer than %d bytes", t.Type, t.Source, MaxAddress)
	}
	u, err := url.Parse(t.Address)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%s alert target (%s): \"address\" is not an http(s) URL", t.Type, t.Source)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s alert target (%s): the URL must not hold a user or password", t.Type, t.Source)
	}
	return u, nil
}

// limiter is the rate limiter of address, made on first use.
func (d *Dispatcher) limiter(address string) *rate.Limiter {
	sum := sha256.Sum256([]byte(address))
	d.mu.Lock()
	defer d.mu.Unlock()
	l, ok := d.limiters[sum]
	if !ok {
		if len(d.limiters) >= maxLimiters {
			clear(d.limiters)
		}
		l = rate.NewLimiter(d.opts.Rate, d.opts.Burst)
		d.limiters[sum] = l
	}
	return l
}

func rateEvery(r rate.Limit) time.Duration {
	if r <= 0 || r == rate.Inf {
		return 0
	}
	return time.Duration(float64(time.Second) / float64(r))
}
