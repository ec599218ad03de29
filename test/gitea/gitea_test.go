package gitea_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seal-gitops/seal/test/gitea"
)

// srv is shared by the tests of this package; each works in its own
// repository.
var srv *gitea.Server

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	start := time.Now()
	var err error
	srv, err = gitea.Start(context.Background(), gitea.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "gitea: started in %s\n", time.Since(start).Round(time.Millisecond))
	defer srv.Stop()
	return m.Run()
}

// delivery is one webhook request as the receiver saw it.
type delivery struct {
	header http.Header
	body   []byte
}

// receiver records webhook deliveries.
type receiver struct {
	mu  sync.Mutex
	got []delivery
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	r.mu.Lock()
	r.got = append(r.got, delivery{header: req.Header.Clone(), body: body})
	r.mu.Unlock()
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s; gitea log tail:\n%s", timeout, what, srv.LogTail(30))
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func createRepo(t *testing.T, name string, private bool) *gitea.Repo {
	t.Helper()
	repo, err := srv.CreateRepo(context.Background(), gitea.RepoOptions{Name: name, Private: private, Work: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

func TestRunsAsAnUnprivilegedUser(t *testing.T) {
	pid := srv.PID()
	if pid == 0 {
		t.Fatal("no gitea web process")
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	var uid string
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
			uid = strings.Fields(rest)[0]
		}
	}
	want := fmt.Sprint(os.Geteuid())
	if os.Geteuid() == 0 {
		want = "65534"
	}
	if uid != want {
		t.Errorf("gitea web runs as uid %s, want %s", uid, want)
	}
}

func TestPushedCommitIsTheBranchHead(t *testing.T) {
	ctx := context.Background()
	repo := createRepo(t, "push", true)
	first, err := repo.Commit("first", map[string][]byte{"apps/cm.yaml": []byte("kind: ConfigMap\n")})
	if err != nil {
		t.Fatal(err)
	}
	second, err := repo.Commit("second", map[string][]byte{"apps/cm.yaml": nil, "apps/other.yaml": []byte("kind: Secret\n")})
	if err != nil {
		t.Fatal(err)
	}
	if first == second {
		t.Fatal("two commits gave one SHA")
	}
	var branch struct {
		Commit struct {
			ID      string `json:"id"`
			Message string `json:"message"`
		} `json:"commit"`
	}
	// Gitea records a push in its database from a queue, after the git
	// push has returned; until then the branch API may answer 404, 500
	// (under load, SQLite busy) or the previous head.
	eventually(t, 30*time.Second, "branch main to point at the second commit", func() bool {
		err := srv.Do(ctx, http.MethodGet, "/repos/"+repo.FullName()+"/branches/main", nil, &branch)
		if err != nil {
			t.Logf("branch lookup (retrying): %v", firstLine(err.Error()))
		}
		return err == nil && branch.Commit.ID == second
	})
	if got := strings.TrimSpace(branch.Commit.Message); got != "second" {
		t.Errorf("branch main head message = %q, want \"second\"", got)
	}
	// A private repository hides from anonymous clients.
	resp, err := http.Get(repo.CloneURL + "/info/refs?service=git-upload-pack")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous fetch of a private repository: %s, want 401", resp.Status)
	}
}

func TestWebhookDeliversASignedPush(t *testing.T) {
	ctx := context.Background()
	repo := createRepo(t, "hooked", false)
	rec := &receiver{}
	hook := httptest.NewServer(rec)
	defer hook.Close()
	const secret = "webhook-secret-for-test"
	if _, err := srv.AddWebhook(ctx, repo.Owner, repo.Name, gitea.Webhook{URL: hook.URL + "/hook", Secret: secret}); err != nil {
		t.Fatal(err)
	}
	sha, err := repo.Commit("deploy", map[string][]byte{"cm.yaml": []byte("kind: ConfigMap\n")})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "a push delivery", func() bool { return len(rec.deliveries()) > 0 })
	d := rec.deliveries()[0]

	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(d.body)
	want := hex.EncodeToString(mac.Sum(nil))
	if got := d.header.Get("X-Gitea-Signature"); !hmac.Equal([]byte(got), []byte(want)) {
		t.Errorf("X-Gitea-Signature = %q, want the HMAC-SHA256 of the body, %q", got, want)
	}
	other := hmac.New(sha256.New, []byte("not-the-secret"))
	other.Write(d.body)
	if hex.EncodeToString(other.Sum(nil)) == d.header.Get("X-Gitea-Signature") {
		t.Error("the signature verifies with another key too")
	}
	if got := d.header.Get("X-Gitea-Event"); got != "push" {
		t.Errorf("X-Gitea-Event = %q, want push", got)
	}
	var payload struct {
		Ref        string `json:"ref"`
		After      string `json:"after"`
		Repository struct {
			FullName string `json:"full_name"`
			CloneURL string `json:"clone_url"`
		} `json:"repository"`
	}
	if err := json.Unmarshal(d.body, &payload); err != nil {
		t.Fatalf("delivery body is not JSON: %v", err)
	}
	type summary struct{ Ref, After, FullName, CloneURL string }
	wantSum := summary{"refs/heads/main", sha, repo.FullName(), repo.CloneURL}
	gotSum := summary{payload.Ref, payload.After, payload.Repository.FullName, payload.Repository.CloneURL}
	if diff := cmp.Diff(wantSum, gotSum); diff != "" {
		t.Errorf("push payload (-want +got):\n%s", diff)
	}

	// Each push is delivered once: Gitea's hook queue may lag a push by
	// seconds, so two quick pushes can arrive together, but never twice.
	next, err := repo.Commit("deploy again", map[string][]byte{"cm.yaml": []byte("kind: ConfigMap\n# v2\n")})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the second push's delivery", func() bool { return len(rec.deliveries()) >= 2 })
	time.Sleep(2 * time.Second) // room for a duplicate to show up
	var afters []string
	for _, d := range rec.deliveries() {
		var p struct {
			After string `json:"after"`
		}
		if err := json.Unmarshal(d.body, &p); err != nil {
			t.Fatalf("delivery body is not JSON: %v", err)
		}
		afters = append(afters, p.After)
	}
	if diff := cmp.Diff([]string{sha, next}, afters); diff != "" {
		t.Errorf("deliveries' after SHAs (-want +got):\n%s", diff)
	}
}

func TestCommitStatusRoundTrip(t *testing.T) {
	ctx := context.Background()
	repo := createRepo(t, "statuses", true)
	sha, err := repo.Commit("first", map[string][]byte{"cm.yaml": []byte("kind: ConfigMap\n")})
	if err != nil {
		t.Fatal(err)
	}
	token, err := srv.CreateToken(ctx, "statuses", "write:repository")
	if err != nil {
		t.Fatal(err)
	}
	// Post the way the agent does: a token header, not the admin's login.
	post := func(state, description string) {
		t.Helper()
		body := fmt.Sprintf(`{"state":%q,"context":"seal/test/apps","description":%q}`, state, description)
		req, err := http.NewRequest(http.MethodPost, srv.APIURL()+"/repos/"+repo.FullName()+"/statuses/"+sha, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "token "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("posting a %s status: %s", state, resp.Status)
		}
	}
	post("pending", "syncing")
	post("success", "applied 1 object")
	if err := srv.PostStatus(ctx, repo.Owner, repo.Name, sha, gitea.CommitStatus{State: "failure", Context: "seal/other/apps", Description: "RenderFailed"}); err != nil {
		t.Fatal(err)
	}
	got, err := srv.CommitStatuses(ctx, repo.Owner, repo.Name, sha)
	if err != nil {
		t.Fatal(err)
	}
	type st struct{ State, Context, Description string }
	var gotSt []st
	for _, s := range got {
		gotSt = append(gotSt, st{s.State, s.Context, s.Description})
	}
	want := []st{
		{"failure", "seal/other/apps", "RenderFailed"},
		{"success", "seal/test/apps", "applied 1 object"},
		{"pending", "seal/test/apps", "syncing"},
	}
	if diff := cmp.Diff(want, gotSt); diff != "" {
		t.Errorf("statuses of %s (-want +got):\n%s", sha[:8], diff)
	}

	// Without a token Gitea refuses.
	resp, err := http.Post(srv.APIURL()+"/repos/"+repo.FullName()+"/statuses/"+sha, "application/json", strings.NewReader(`{"state":"success","context":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		t.Errorf("an anonymous status post got %s", resp.Status)
	}
}

func TestDownAndUpKeepsData(t *testing.T) {
	ctx := context.Background()
	repo := createRepo(t, "restart", true)
	sha, err := repo.Commit("first", map[string][]byte{"cm.yaml": []byte("kind: ConfigMap\n")})
	if err != nil {
		t.Fatal(err)
	}
	pid := srv.PID()
	if err := srv.Down(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(-pid, 0); err != syscall.ESRCH {
		t.Errorf("process group %d still exists after Down (kill 0: %v)", pid, err)
	}
	if err := srv.Do(ctx, http.MethodGet, "/version", nil, nil); err == nil {
		t.Error("the API answered while the server was down")
	}
	if err := srv.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.PostStatus(ctx, repo.Owner, repo.Name, sha, gitea.CommitStatus{State: "success", Context: "seal/after/restart"}); err != nil {
		t.Fatal(err)
	}
	got, err := srv.CommitStatuses(ctx, repo.Owner, repo.Name, sha)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Context != "seal/after/restart" {
		t.Errorf("statuses after restart = %+v", got)
	}
}

func TestStartFailureQuotesTheLog(t *testing.T) {
	_, err := gitea.Start(context.Background(), gitea.Options{ExtraConfig: "\n[database]\nDB_TYPE = nosuchdb\n", StartTimeout: time.Minute})
	if err == nil {
		t.Fatal("Start succeeded with an unknown database type")
	}
	if !strings.Contains(err.Error(), "log tail") || !strings.Contains(err.Error(), "nosuchdb") {
		t.Errorf("error does not quote Gitea's log: %v", err)
	}
}

// BenchmarkStartStop measures a warm start (migrate, admin user, web until
// healthy) and stop of a fresh server.
func BenchmarkStartStop(b *testing.B) {
	for b.Loop() {
		s, err := gitea.Start(context.Background(), gitea.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Stop(); err != nil {
			b.Fatal(err)
		}
	}
}
