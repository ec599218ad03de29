package alert

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/seal-gitops/seal/agent/notify"
)

// receiver is a local webhook receiver that records every body and
// answers with the statuses of answers in turn (then 200).
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	bodies  []string
	answers []int
}

func newReceiver(t *testing.T, answers ...int) *receiver {
	r := &receiver{answers: answers}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, string(body))
		code := http.StatusOK
		if len(r.answers) > 0 {
			code, r.answers = r.answers[0], r.answers[1:]
		}
		r.mu.Unlock()
		if code/100 == 3 {
			w.Header().Set("Location", "http://elsewhere.invalid/hook")
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies...)
}

// loopbackOK lets deliveries reach the test's loopback receiver.
var loopbackOK = notify.AddressPolicy{Allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}

func testOptions() Options {
	return Options{Addresses: loopbackOK, RetryMax: 3, RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond,
		Rate: rate.Inf, Timeout: 10 * time.Second}
}

// sendAndWait sends e to targets and returns the errors reported once
// the dispatcher is idle.
func sendAndWait(t *testing.T, d *Dispatcher, targets []Target, events ...Event) []error {
	t.Helper()
	var mu sync.Mutex
	var errs []error
	for _, e := range events {
		d.Send("prod/apps", targets, e, func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() })
	}
	deadline := time.Now().Add(10 * time.Second)
	for !d.Idle() {
		if time.Now().After(deadline) {
			t.Fatal("alerts still pending after 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond) // a report of a dropped alert runs in its own goroutine
	mu.Lock()
	defer mu.Unlock()
	return errs
}

// secretPath is the part of a webhook URL that is a credential.
const secretPath = "/services/T000/B000/XXXXSECRETXXXX"

func TestDeliver(t *testing.T) {
	for _, tt := range []struct {
		name      string
		answers   []int
		policy    *notify.AddressPolicy // nil: loopbackOK
		address   func(base string) string
		wantCalls int
		wantErr   string // "" for none; contained in the error
	}{
		{"delivered", nil, nil, nil, 1, ""},
		{"retried after 500 and 429", []int{500, 429}, nil, nil, 3, ""},
		{"gives up after the retries", []int{503, 503, 503, 503}, nil, nil, 4, "503 Service Unavailable"},
		{"4xx is not retried", []int{404}, nil, nil, 1, "404 Not Found"},
		{"redirect not followed", []int{302}, nil, nil, 1, "redirects are not followed"},
		{"loopback refused by the address policy, not retried", nil, &notify.AddressPolicy{}, nil, 0, "outbound host refused"},
		{"not a URL", nil, nil, func(string) string { return "ftp://x" + secretPath }, 0, "not an http(s) URL"},
		{"user info refused", nil, nil, func(base string) string { return strings.Replace(base, "http://", "http://u:p@", 1) }, 0, "must not hold a user or password"},
		{"empty", nil, nil, func(string) string { return "" }, 0, "no URL under the key \"address\""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rcv := newReceiver(t, tt.answers...)
			opts := testOptions()
			if tt.policy != nil {
				opts.Addresses = *tt.policy
			}
			addr := rcv.URL + secretPath
			if tt.address != nil {
				addr = tt.address(rcv.URL + secretPath)
			}
			d := New(opts)
			errs := sendAndWait(t, d, []Target{{Type: Generic, Address: addr, Source: "Secret prod/hook"}}, fixtureEvent(Failing))
			if got := len(rcv.got()); got != tt.wantCalls {
				t.Errorf("%d requests, want %d", got, tt.wantCalls)
			}
			if tt.wantErr == "" {
				if len(errs) != 0 {
					t.Errorf("errors %v, want none", errs)
				}
				return
			}
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.wantErr) {
				t.Fatalf("errors %v, want one containing %q", errs, tt.wantErr)
			}
			if msg := errs[0].Error(); strings.Contains(msg, "SECRET") || strings.Contains(msg, "/services/") || !strings.Contains(msg, "Secret prod/hook") {
				t.Errorf("error %q quotes the URL or does not name the Secret", msg)
			}
		})
	}
}

// TestAlertsOfOneGitSyncKeepTheirOrder: a Failing that needs retries is
// still delivered before the Recovered sent after it.
func TestAlertsOfOneGitSyncKeepTheirOrder(t *testing.T) {
	rcv := newReceiver(t, 500, 500)
	d := New(testOptions())
	errs := sendAndWait(t, d, []Target{{Type: Generic, Address: rcv.URL + "/h", Source: "Secret prod/hook"}},
		fixtureEvent(Failing), fixtureEvent(Recovered))
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	var kinds []string
	for _, b := range rcv.got() {
		for _, k := range []Kind{Failing, Recovered} {
			if strings.Contains(b, `"kind": "`+string(k)+`"`) {
				kinds = append(kinds, string(k))
			}
		}
	}
	if strings.Join(kinds, ",") != "Failing,Failing,Failing,Recovered" {
		t.Errorf("received %v, want Failing three times (two 500s) then Recovered", kinds)
	}
}

// TestRateLimit: past the burst, alerts to one target wait for the rate;
// one that would wait past the timeout is dropped and reported, while
// another target is not held back.
func TestRateLimit(t *testing.T) {
	rcv := newReceiver(t)
	other := newReceiver(t)
	opts := testOptions()
	opts.Rate, opts.Burst, opts.Timeout = rate.Every(time.Hour), 2, time.Second
	d := New(opts)
	hook := Target{Type: Slack, Address: rcv.URL + "/h", Source: "Secret prod/hook"}
	errs := sendAndWait(t, d, []Target{hook}, fixtureEvent(Failing), fixtureEvent(Recovered), fixtureEvent(Failing))
	if got := len(rcv.got()); got != 2 {
		t.Errorf("%d alerts delivered, want the burst of 2", got)
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "rate limit") {
		t.Errorf("errors %v, want one saying the rate limit dropped an alert", errs)
	}
	errs = sendAndWait(t, d, []Target{{Type: Slack, Address: other.URL + "/h", Source: "Secret prod/other"}}, fixtureEvent(Failing))
	if len(errs) != 0 || len(other.got()) != 1 {
		t.Errorf("another target: errors %v, %d delivered; want none and 1", errs, len(other.got()))
	}
}

// TestSendNeverBlocks: with the receiver stuck, Send returns at once, and
// what overflows the queue is dropped and reported.
func TestSendNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	t.Cleanup(func() { close(release); srv.Close() })
	opts := testOptions()
	opts.QueueSize = 2
	d := New(opts)
	var mu sync.Mutex
	dropped := 0
	start := time.Now()
	for range 10 {
		d.Send("prod/apps", []Target{{Type: Generic, Address: srv.URL, Source: "Secret prod/hook"}}, fixtureEvent(Failing), func(err error) {
			if strings.Contains(err.Error(), "dropped") {
				mu.Lock()
				dropped++
				mu.Unlock()
			}
		})
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Send blocked for %s", took)
	}
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	// One in delivery, two queued: seven (or eight, when the worker had
	// not taken the first yet) dropped.
	if dropped < 7 {
		t.Errorf("%d alerts reported dropped, want at least 7", dropped)
	}
}
