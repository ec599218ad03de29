package receiver

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// provider is one forge: its payload (testdata), the URLs a user would
// write in a GitSync for the pushed repository, and how it signs.
type providerCase struct {
	provider        v1alpha1.ReceiverProvider
	payload         string
	httpsURL        string
	sshURL          string
	sign            func(body []byte, token string) http.Header
	unsignedHeaders http.Header
}

func providerCases() []providerCase {
	return []providerCase{
		{
			provider: v1alpha1.ProviderGitHub, payload: "github-push.json",
			// lowercase and without .git: GitHub names it Octo-Org/Env.
			httpsURL: "https://github.com/octo-org/env", sshURL: "ssh://git@github.com/Octo-Org/Env.git",
			sign: func(body []byte, token string) http.Header {
				return http.Header{"X-Github-Event": {"push"}, "X-Hub-Signature-256": {"sha256=" + Sign(body, []byte(token))}}
			},
			unsignedHeaders: http.Header{"X-Github-Event": {"push"}},
		},
		{
			provider: v1alpha1.ProviderGitLab, payload: "gitlab-push.json",
			httpsURL: "https://gitlab.example.com/octo-org/env.git", sshURL: "git@gitlab.example.com:octo-org/env.git",
			sign: func(_ []byte, token string) http.Header {
				return http.Header{"X-Gitlab-Event": {"Push Hook"}, "X-Gitlab-Token": {token}}
			},
			unsignedHeaders: http.Header{"X-Gitlab-Event": {"Push Hook"}},
		},
		{
			provider: v1alpha1.ProviderGitea, payload: "gitea-push.json",
			httpsURL: "http://gitea.example.com:3000/octo-org/env.git", sshURL: "ssh://git@gitea.example.com:2222/octo-org/env.git",
			sign: func(body []byte, token string) http.Header {
				return http.Header{"X-Gitea-Event": {"push"}, "X-Gitea-Signature": {Sign(body, []byte(token))}}
			},
			unsignedHeaders: http.Header{"X-Gitea-Event": {"push"}},
		},
		{
			provider: v1alpha1.ProviderForgejo, payload: "gitea-push.json",
			httpsURL: "http://gitea.example.com:3000/octo-org/env.git", sshURL: "git@gitea.example.com:octo-org/env.git",
			sign: func(body []byte, token string) http.Header {
				return http.Header{"X-Forgejo-Event": {"push"}, "X-Forgejo-Signature": {Sign(body, []byte(token))}}
			},
			unsignedHeaders: http.Header{"X-Forgejo-Event": {"push"}},
		},
		{
			provider: v1alpha1.ProviderBitbucket, payload: "bitbucket-push.json",
			httpsURL: "https://bitbucket.org/octo-org/env.git", sshURL: "git@bitbucket.org:octo-org/env.git",
			sign: func(body []byte, token string) http.Header {
				return http.Header{"X-Event-Key": {"repo:push"}, "X-Hub-Signature": {"sha256=" + Sign(body, []byte(token))}}
			},
			unsignedHeaders: http.Header{"X-Event-Key": {"repo:push"}},
		},
		{
			provider: v1alpha1.ProviderGeneric, payload: "generic-push.json",
			httpsURL: "https://git.example.com/octo-org/env.git", sshURL: "git@git.example.com:octo-org/env",
			sign: func(body []byte, token string) http.Header {
				return http.Header{"X-Signature": {"sha256=" + Sign(body, []byte(token))}}
			},
			unsignedHeaders: http.Header{},
		},
	}
}

func TestSignedPushTriggersMatchingGitSyncsOnly(t *testing.T) {
	for _, pc := range providerCases() {
		t.Run(string(pc.provider), func(t *testing.T) {
			w := newWorld(t, pc.provider, pc.httpsURL, pc.sshURL, nil, nil)
			body := readTestdata(t, pc.payload)
			rec := w.post(w.rcv.WebhookPath(), pc.sign(body, testToken), body)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, want 200; body %q; log:\n%s", rec.Code, rec.Body, w.logs)
			}
			want := []string{"team/match", "team/match-ssh"}
			if diff := cmp.Diff(want, w.triggered()); diff != "" {
				t.Errorf("GitSyncs triggered (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRefusedDeliveriesGet401AndTriggerNothing(t *testing.T) {
	for _, pc := range providerCases() {
		t.Run(string(pc.provider), func(t *testing.T) {
			w := newWorld(t, pc.provider, pc.httpsURL, pc.sshURL, nil, nil)
			body := readTestdata(t, pc.payload)
			tampered := bytes.Replace(body, []byte("main"), []byte("mainx"), 1)
			tests := []struct {
				name   string
				path   string
				header http.Header
				body   []byte
			}{
				{"unsigned", w.rcv.WebhookPath(), pc.unsignedHeaders, body},
				{"wrong secret", w.rcv.WebhookPath(), pc.sign(body, "another-secret-of-enough-length"), body},
				{"signature of another body", w.rcv.WebhookPath(), pc.sign(body, testToken), tampered},
				{"unknown path", v1alpha1.WebhookPathPrefix + strings.Repeat("0", 64), pc.sign(body, testToken), body},
				{"path outside /hook/", "/" + w.rcv.WebhookPath(), pc.sign(body, testToken), body},
			}
			switch pc.provider {
			case v1alpha1.ProviderGeneric:
				// The generic form's body is short: tamper with the url.
				tests[2].body = bytes.Replace(body, []byte("octo-org"), []byte("octo-orh"), 1)
			case v1alpha1.ProviderGitLab:
				// GitLab sends its token, not a signature of the body.
				tests = slices.Delete(tests, 2, 3)
			}
			var bodies []string
			for _, tt := range tests {
				rec := w.post(tt.path, tt.header, tt.body)
				if rec.Code != http.StatusUnauthorized {
					t.Errorf("%s: status %d, want 401", tt.name, rec.Code)
				}
				bodies = append(bodies, rec.Body.String())
			}
			for i, b := range bodies {
				if b != bodies[0] {
					t.Errorf("%s answered %q, %s answered %q: refusals must not tell apart", tests[i].name, b, tests[0].name, bodies[0])
				}
			}
			if got := w.triggered(); len(got) > 0 {
				t.Errorf("refused deliveries triggered %v", got)
			}
			logs := w.logs.String()
			if n := strings.Count(logs, "webhook refused"); n != len(tests) {
				t.Errorf("%d refusal log lines, want one per refusal (%d):\n%s", n, len(tests), logs)
			}
			for _, secret := range []string{testToken, "Monalisa", "fixed readme", "709d658dc5b6", "bffeb7422404"} {
				if strings.Contains(logs, secret) {
					t.Errorf("the log holds %q (the token or the body):\n%s", secret, logs)
				}
			}
		})
	}
}

func TestEventsThatAreNotPushesAreAcceptedAndIgnored(t *testing.T) {
	tests := []struct {
		provider v1alpha1.ReceiverProvider
		payload  string
		header   func(body []byte) http.Header
	}{
		{v1alpha1.ProviderGitHub, "github-ping.json", func(body []byte) http.Header {
			return http.Header{"X-Github-Event": {"ping"}, "X-Hub-Signature-256": {"sha256=" + Sign(body, []byte(testToken))}}
		}},
		{v1alpha1.ProviderGitLab, "gitlab-merge-request.json", func([]byte) http.Header {
			return http.Header{"X-Gitlab-Event": {"Merge Request Hook"}, "X-Gitlab-Token": {testToken}}
		}},
		{v1alpha1.ProviderGitea, "gitea-push.json", func(body []byte) http.Header {
			return http.Header{"X-Gitea-Event": {"create"}, "X-Gitea-Signature": {Sign(body, []byte(testToken))}}
		}},
		{v1alpha1.ProviderBitbucket, "bitbucket-push.json", func(body []byte) http.Header {
			return http.Header{"X-Event-Key": {"repo:fork"}, "X-Hub-Signature": {"sha256=" + Sign(body, []byte(testToken))}}
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.provider)+" "+tt.payload, func(t *testing.T) {
			w := newWorld(t, tt.provider, "https://github.com/octo-org/env", "git@github.com:octo-org/env", nil, nil)
			body := readTestdata(t, tt.payload)
			rec := w.post(w.rcv.WebhookPath(), tt.header(body), body)
			if rec.Code != http.StatusOK {
				t.Errorf("status %d, want 200", rec.Code)
			}
			if got := w.triggered(); len(got) > 0 {
				t.Errorf("a %s event triggered %v", tt.payload, got)
			}
		})
	}
}

func TestSelectorNarrowsTheGitSyncs(t *testing.T) {
	pc := providerCases()[0]
	w := newWorld(t, pc.provider, pc.httpsURL, pc.sshURL, nil, func(r *v1alpha1.Receiver) {
		r.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	})
	body := readTestdata(t, pc.payload)
	if rec := w.post(w.rcv.WebhookPath(), pc.sign(body, testToken), body); rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", rec.Code)
	}
	if diff := cmp.Diff([]string{"team/match"}, w.triggered()); diff != "" {
		t.Errorf("GitSyncs triggered (-want +got):\n%s", diff)
	}
}

func TestGenericWithoutURLTriggersEverySelectedGitSync(t *testing.T) {
	w := newWorld(t, v1alpha1.ProviderGeneric, "https://git.example.com/octo-org/env.git", "git@git.example.com:octo-org/env", nil, nil)
	body := []byte(`{"ref":"main"}`)
	rec := w.post(w.rcv.WebhookPath(), http.Header{"X-Signature": {"sha256=" + Sign(body, []byte(testToken))}}, body)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", rec.Code)
	}
	// Every GitSync of the namespace following main, whatever its URL;
	// never the suspended one, nor one in another namespace.
	want := []string{"team/match", "team/match-ssh", "team/other-repo"}
	if diff := cmp.Diff(want, w.triggered()); diff != "" {
		t.Errorf("GitSyncs triggered (-want +got):\n%s", diff)
	}
}

func TestBodyOverTheCapGets413(t *testing.T) {
	pc := providerCases()[0]
	opts := DefaultOptions(":0", "")
	opts.MaxBodyBytes = 4 << 10
	w := newWorld(t, pc.provider, pc.httpsURL, pc.sshURL, &opts, nil)
	body := readTestdata(t, pc.payload)
	big := append(bytes.TrimSuffix(bytes.TrimSpace(body), []byte("}")), []byte(`,"padding":"`+strings.Repeat("x", 4<<10)+`"}`)...)
	rec := w.post(w.rcv.WebhookPath(), pc.sign(big, testToken), big)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", rec.Code)
	}
	if got := w.triggered(); len(got) > 0 {
		t.Errorf("an oversized delivery triggered %v", got)
	}
}

func TestRateLimits(t *testing.T) {
	pc := providerCases()[0]
	t.Run("per receiver", func(t *testing.T) {
		opts := DefaultOptions(":0", "")
		opts.PerReceiver, opts.PerReceiverBurst = 0.001, 2
		w := newWorld(t, pc.provider, pc.httpsURL, pc.sshURL, &opts, nil)
		body := readTestdata(t, pc.payload)
		var codes []int
		for range 3 {
			codes = append(codes, w.post(w.rcv.WebhookPath(), pc.sign(body, testToken), body).Code)
		}
		if diff := cmp.Diff([]int{200, 200, 429}, codes); diff != "" {
			t.Errorf("status codes (-want +got):\n%s", diff)
		}
		// Unauthenticated deliveries do not spend the receiver's budget.
		opts.PerReceiverBurst = 1
		w = newWorld(t, pc.provider, pc.httpsURL, pc.sshURL, &opts, nil)
		for range 5 {
			w.post(w.rcv.WebhookPath(), pc.sign(body, "a-wrong-secret-of-some-length"), body)
		}
		if code := w.post(w.rcv.WebhookPath(), pc.sign(body, testToken), body).Code; code != 200 {
			t.Errorf("a signed delivery after unsigned ones: status %d, want 200", code)
		}
	})
	t.Run("overall", func(t *testing.T) {
		opts := DefaultOptions(":0", "")
		opts.Overall, opts.OverallBurst = 0.001, 2
		w := newWorld(t, pc.provider, pc.httpsURL, pc.sshURL, &opts, nil)
		body := readTestdata(t, pc.payload)
		var codes []int
		codes = append(codes, w.post("/hook/nothing", nil, body).Code)
		codes = append(codes, w.post(w.rcv.WebhookPath(), pc.sign(body, testToken), body).Code)
		codes = append(codes, w.post(w.rcv.WebhookPath(), pc.sign(body, testToken), body).Code)
		if diff := cmp.Diff([]int{401, 200, 429}, codes); diff != "" {
			t.Errorf("status codes (-want +got):\n%s", diff)
		}
	})
}

func TestOnlyPOST(t *testing.T) {
	pc := providerCases()[0]
	w := newWorld(t, pc.provider, pc.httpsURL, pc.sshURL, nil, nil)
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodHead} {
		req := httptest.NewRequest(method, w.rcv.WebhookPath(), nil)
		rec := httptest.NewRecorder()
		w.srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("%s: status %d, want 405", method, rec.Code)
		}
	}
}

// shardCache is the agent's cached client of another shard: it lists no
// GitSyncs, as a cache filtered by the seal.dev/shard label holds none of
// the default shard's.
type shardCache struct{ client.Client }

func (c shardCache) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	if _, ok := list.(*v1alpha1.GitSyncList); ok {
		return nil
	}
	return c.Client.List(ctx, list, opts...)
}

// A webhook Service sends a delivery to any shard's agent: the GitSyncs a
// push triggers are read live, not from the agent's own shard's cache.
func TestAnyShardsAgentTriggersEveryShardsGitSyncs(t *testing.T) {
	pc := providerCases()[0]
	w := newWorld(t, pc.provider, pc.httpsURL, pc.sshURL, nil, nil)
	w.srv = NewServer(DefaultOptions(":0", ""), shardCache{w.client}, w.client, logr.Discard())
	body := readTestdata(t, pc.payload)
	if rec := w.post(w.rcv.WebhookPath(), pc.sign(body, testToken), body); rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200; body %q", rec.Code, rec.Body)
	}
	if diff := cmp.Diff([]string{"team/match", "team/match-ssh"}, w.triggered()); diff != "" {
		t.Errorf("GitSyncs triggered (-want +got):\n%s", diff)
	}
}
