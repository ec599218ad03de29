package receiver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// IndexWebhookPath is the field index of Receivers by their webhook path.
const IndexWebhookPath = ".webhookPath"

// IndexReceiver is the function the IndexWebhookPath index is built with.
func IndexReceiver(obj client.Object) []string {
	r, ok := obj.(*v1alpha1.Receiver)
	if !ok || r.WebhookPath() == "" {
		return nil
	}
	return []string{r.WebhookPath()}
}

// Options configure the webhook server.
type Options struct {
	// Addr is the address to listen on, for example ":9292".
	Addr string
	// CertDir, when set, holds tls.crt and tls.key: the server speaks
	// HTTPS with them.
	CertDir string
	// MaxBodyBytes caps a delivery's body; a bigger one gets 413.
	MaxBodyBytes int64
	// Overall and OverallBurst limit deliveries to the whole server
	// (signed or not); PerReceiver and PerReceiverBurst limit the
	// authenticated deliveries of each Receiver. Over either: 429.
	Overall          rate.Limit
	OverallBurst     int
	PerReceiver      rate.Limit
	PerReceiverBurst int
	// ReadHeaderTimeout and ReadTimeout bound how long a client may take
	// to send a request.
	ReadHeaderTimeout, ReadTimeout time.Duration
}

// DefaultOptions are the defaults for addr (and certDir, "" for plain
// HTTP).
func DefaultOptions(addr, certDir string) Options {
	return Options{
		Addr:              addr,
		CertDir:           certDir,
		MaxBodyBytes:      1 << 20,
		Overall:           50,
		OverallBurst:      100,
		PerReceiver:       2,
		PerReceiverBurst:  20,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
	}
}

// Server answers webhook deliveries.
type Server struct {
	opts Options
	// client reads Receivers through the IndexWebhookPath index (cached)
	// and patches GitSyncs.
	client client.Client
	// live reads, uncached, the Receivers' Secrets (the agent keeps no copy
	// of Secrets) and the GitSyncs a push may trigger: the agent's cache
	// holds only its own shard's GitSyncs, while a webhook Service sends a
	// delivery to any shard's agent.
	live client.Reader
	log  logr.Logger
	now  func() time.Time

	overall *rate.Limiter
	mu      sync.Mutex
	limits  map[types.NamespacedName]*rate.Limiter
}

// NewServer builds a server; c must be able to list Receivers by
// IndexWebhookPath.
func NewServer(opts Options, c client.Client, live client.Reader, log logr.Logger) *Server {
	return &Server{
		opts: opts, client: c, live: live, log: log, now: time.Now,
		overall: rate.NewLimiter(opts.Overall, opts.OverallBurst),
		limits:  map[types.NamespacedName]*rate.Limiter{},
	}
}

// Start serves until ctx is done (a manager.Runnable).
func (s *Server) Start(ctx context.Context) error {
	l, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("webhook receiver: listening on %s: %w", s.opts.Addr, err)
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		ReadTimeout:       s.opts.ReadTimeout,
		WriteTimeout:      s.opts.ReadTimeout + 15*time.Second,
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() {
		if s.opts.CertDir != "" {
			errc <- srv.ServeTLS(l, filepath.Join(s.opts.CertDir, "tls.crt"), filepath.Join(s.opts.CertDir, "tls.key"))
			return
		}
		errc <- srv.Serve(l)
	}()
	s.log.Info("webhook receiver listening", "address", l.Addr().String(), "tls", s.opts.CertDir != "")
	select {
	case err := <-errc:
		return fmt.Errorf("webhook receiver: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// NeedLeaderElection is false: every replica answers webhooks; the
// annotation it sets reaches the leader through the API server.
func (s *Server) NeedLeaderElection() bool { return false }

// ServeHTTP answers one delivery.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "only POST", http.StatusMethodNotAllowed)
		return
	}
	if !s.overall.Allow() {
		s.refuse(w, r, http.StatusTooManyRequests, "over the overall delivery rate", "")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.refuse(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes", s.opts.MaxBodyBytes), "")
			return
		}
		s.refuse(w, r, http.StatusBadRequest, "reading the body failed", "")
		return
	}
	rcv, reason := s.authenticate(r, body)
	if rcv == nil {
		s.refuse(w, r, http.StatusUnauthorized, reason, "")
		return
	}
	key := client.ObjectKeyFromObject(rcv)
	if !s.limiter(key).Allow() {
		s.refuse(w, r, http.StatusTooManyRequests, "over the receiver's delivery rate", key.String())
		return
	}
	push, err := ParsePush(rcv.Spec.Provider, r.Header, body)
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, err.Error(), key.String())
		return
	}
	if push == nil {
		s.log.V(1).Info("webhook ignored: not a push", "receiver", key.String())
		fmt.Fprintln(w, "ignored: not a push event")
		return
	}
	names, err := s.trigger(r.Context(), rcv, push)
	if err != nil {
		s.log.Error(err, "webhook: requesting syncs failed", "receiver", key.String(), "triggered", names)
		http.Error(w, "requesting syncs failed", http.StatusInternalServerError)
		return
	}
	s.log.Info("webhook push", "receiver", key.String(), "refs", push.Refs, "triggered", names)
	fmt.Fprintf(w, "triggered %d GitSyncs\n", len(names))
}

// authenticate finds the Receiver served at the request's path and checks
// the delivery against its token. It returns the Receiver, or nil and why
// not (for the log only: every failure answers 401).
func (s *Server) authenticate(r *http.Request, body []byte) (*v1alpha1.Receiver, string) {
	path := r.URL.Path
	if !strings.HasPrefix(path, v1alpha1.WebhookPathPrefix) || len(path) > 200 {
		return nil, "unknown path"
	}
	var list v1alpha1.ReceiverList
	if err := s.client.List(r.Context(), &list, client.MatchingFields{IndexWebhookPath: path}); err != nil {
		return nil, "listing receivers: " + err.Error()
	}
	if len(list.Items) != 1 {
		return nil, "unknown path"
	}
	rcv := &list.Items[0]
	var secret corev1.Secret
	key := client.ObjectKey{Namespace: rcv.Namespace, Name: rcv.Spec.SecretRef.Name}
	if err := s.live.Get(r.Context(), key, &secret); err != nil {
		return nil, fmt.Sprintf("receiver %s/%s: reading Secret %s: %v", rcv.Namespace, rcv.Name, key, err)
	}
	token := secret.Data[v1alpha1.ReceiverTokenKey]
	if len(token) < v1alpha1.MinReceiverTokenLength {
		return nil, fmt.Sprintf("receiver %s/%s: Secret %s holds no usable %q", rcv.Namespace, rcv.Name, key, v1alpha1.ReceiverTokenKey)
	}
	if err := Verify(rcv.Spec.Provider, r.Header, body, token); err != nil {
		return nil, fmt.Sprintf("receiver %s/%s: %v", rcv.Namespace, rcv.Name, err)
	}
	return rcv, ""
}

// refuse answers status with a body that says nothing about why, and logs
// one line without the request body or headers.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, reason, receiver string) {
	s.log.Info("webhook refused", "status", status, "reason", reason, "receiver", receiver, "remote", r.RemoteAddr)
	http.Error(w, http.StatusText(status), status)
}

// limiter is the rate limiter of one Receiver.
func (s *Server) limiter(key types.NamespacedName) *rate.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.limits[key]
	if !ok {
		l = rate.NewLimiter(s.opts.PerReceiver, s.opts.PerReceiverBurst)
		s.limits[key] = l
	}
	return l
}

// trigger sets the sync-requested annotation on every GitSync in the
// Receiver's namespace that the selector admits and push matches, and
// returns their names.
func (s *Server) trigger(ctx context.Context, rcv *v1alpha1.Receiver, push *Push) ([]string, error) {
	opts := []client.ListOption{client.InNamespace(rcv.Namespace)}
	if rcv.Spec.Selector != nil {
		sel, err := metav1.LabelSelectorAsSelector(rcv.Spec.Selector)
		if err != nil {
			return nil, fmt.Errorf("receiver %s/%s: spec.selector: %w", rcv.Namespace, rcv.Name, err)
		}
		opts = append(opts, client.MatchingLabelsSelector{Selector: sel})
	}
	// From the API server's watch cache (resourceVersion 0), which a
	// consistent LIST would wait on, up to 100 ms, to catch up with etcd.
	// A GitSync created or changed in the moments the cache lags by syncs
	// then anyway, so nothing a push asks for is lost.
	opts = append(opts, &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: "0"}})
	var syncs v1alpha1.GitSyncList
	if err := s.live.List(ctx, &syncs, opts...); err != nil {
		return nil, fmt.Errorf("listing GitSyncs in %s: %w", rcv.Namespace, err)
	}
	var names []string
	value := s.now().UTC().Format(time.RFC3339Nano)
	for i := range syncs.Items {
		gs := &syncs.Items[i]
		if gs.Namespace != rcv.Namespace || !push.Matches(gs) {
			continue
		}
		patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, v1alpha1.AnnotationSyncRequested, value)
		if err := s.client.Patch(ctx, gs, client.RawPatch(types.MergePatchType, patch)); err != nil {
			return names, fmt.Errorf("requesting a sync of GitSync %s/%s: %w", gs.Namespace, gs.Name, err)
		}
		names = append(names, gs.Name)
	}
	return names, nil
}
