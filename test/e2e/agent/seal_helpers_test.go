package agent_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/test/e2e/harness"
	"github.com/seal-gitops/seal/test/testbin"
)

// sealedPW is the value of the sealed Secret db in the seal tests. It has
// characters that JSON, Go and YAML escape, so that the leak check also
// finds it where a sink quoted it.
const sealedPW = `sealed"pw\<&>-5e1d9a`

// sealedPWYAML is sealedPW as a YAML single-quoted scalar.
const sealedPWYAML = `'sealed"pw\<&>-5e1d9a'`

// sealEnv is an env whose repository is a kustomization in apps/ listing
// config.yaml (web-config), keep.yaml (keep-config) and db.yaml (Secret db
// sealed for the test namespace), synced by GitSync "apps" (path apps), and
// a second namespace, other, that an attack may try to reach.
type sealEnv struct {
	*env
	other string
	// db is the sealed apps/db.yaml of the good revision.
	db []byte
	// good is the SHA of the good revision.
	good string
	// statuses, when set, are the commit statuses the agent posted; the
	// leak check searches them too.
	statuses *statusAPI
}

// newSealEnv starts an agent and a second namespace; the leak check that
// searches every escaped form runs after the agent has stopped, so it sees
// its whole log.
func newSealEnv(t *testing.T, agentArgs ...string) *sealEnv {
	t.Helper()
	s := &sealEnv{env: newEnv(t, agentArgs...)}
	s.afterStop = append(s.afterStop, s.checkNoLeakedForms)
	s.other = s.namespace("e2e-other")
	return s
}

// sub replaces {ns} and {other} in text by the namespaces.
func (s *sealEnv) sub(text string) string {
	return strings.NewReplacer("{ns}", s.ns, "{other}", s.other).Replace(text)
}

// kustomization is apps/kustomization.yaml listing resources, then extra
// (with {ns} and {other} replaced).
func (s *sealEnv) kustomization(extra string, resources ...string) []byte {
	var b strings.Builder
	b.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n")
	for _, r := range resources {
		b.WriteString("- " + r + "\n")
	}
	b.WriteString(s.sub(extra))
	return []byte(b.String())
}

// baseResources are the resources of every revision after the good one.
var baseResources = []string{"config.yaml", "db.yaml"}

// start commits the good revision and waits for GitSync apps to apply it.
func (s *sealEnv) start(mutate func(*v1alpha1.GitSync)) {
	s.t.Helper()
	s.db = s.seal(secretManifestYAML("db", sealedPWYAML), sealedPW)
	s.good = s.commit("good", map[string][]byte{
		"apps/kustomization.yaml": s.kustomization("", "config.yaml", "keep.yaml", "db.yaml"),
		"apps/config.yaml":        configMap("web-config", "hello"),
		"apps/keep.yaml":          configMap("keep-config", "kept"),
		"apps/db.yaml":            s.db,
	})
	s.createGitSync("apps", time.Hour, func(gs *v1alpha1.GitSync) {
		gs.Spec.Path = "apps"
		if mutate != nil {
			mutate(gs)
		}
	})
	s.waitApplied("apps", s.good)
	if got := s.secretData("db")["password"]; got != sealedPW {
		s.t.Fatalf("Secret db of the good revision holds %d bytes, not its sealed value", len(got))
	}
}

// sealAttack is one revision that must be refused.
type sealAttack struct {
	name string
	// reason of the Ready condition; SealViolation when "".
	reason string
	// mention are texts the Ready message must hold ({ns} and {other}
	// replaced): the sealed file, the object, the field.
	mention []string
	// files returns the files the attack adds or changes besides the
	// kustomization (paths under apps/) and the kustomization's extra
	// text; resources are added to baseResources.
	files func(s *sealEnv) (extra string, resources []string, files map[string][]byte)
	// gitsync, when set, adjusts GitSync apps before it is created.
	gitsync func(s *sealEnv, gs *v1alpha1.GitSync)
	// agentArgs are extra flags for the agent.
	agentArgs []string
	// check, when set, checks more once the revision was refused.
	check func(s *sealEnv)
}

// run commits the attack together with an ordinary change (web-config says
// changed, keep-config's file removed) and checks that the revision is
// refused with the reason and mentions, that nothing in either namespace
// changed (no apply, no prune, same inventory), and that the next revision
// without the attack applies the change and prunes keep-config.
func (a sealAttack) run(t *testing.T) {
	s := newSealEnv(t, a.agentArgs...)
	s.start(func(gs *v1alpha1.GitSync) {
		if a.gitsync != nil {
			a.gitsync(s, gs)
		}
	})
	before := s.get("apps").Status.AppliedObjects
	objects := s.snapshot()

	extra, resources, files := a.files(s)
	if files == nil {
		files = map[string][]byte{}
	}
	files["apps/kustomization.yaml"] = s.kustomization(extra, append(slices.Clone(baseResources), resources...)...)
	files["apps/config.yaml"] = configMap("web-config", "changed")
	files["apps/keep.yaml"] = nil
	s.commit("attack: "+a.name, files)

	reason := a.reason
	if reason == "" {
		reason = v1alpha1.ReasonSealViolation
	}
	msg := s.waitFailed("apps", reason)
	t.Logf("Ready message: %s", msg)
	for _, m := range a.mention {
		if m = s.sub(m); !strings.Contains(msg, m) {
			t.Errorf("Ready message does not name %q:\n%s", m, msg)
		}
	}
	s.checkUnchanged(objects, before)
	if a.check != nil {
		a.check(s)
	}

	// The fix: the kustomization without the attack, its files removed.
	fix := map[string][]byte{"apps/kustomization.yaml": s.kustomization("", baseResources...)}
	for name := range files {
		if _, ok := fix[name]; !ok && name != "apps/config.yaml" && name != "apps/keep.yaml" {
			fix[name] = nil
		}
	}
	fix["apps/db.yaml"] = s.db
	fixed := s.commit("fix", fix)
	s.waitApplied("apps", fixed)
	if got := s.configMapValue("web-config"); got != "changed" {
		t.Errorf("after the fix web-config says %q, want changed", got)
	}
	if s.configMapExists("keep-config") {
		t.Error("after the fix keep-config was not pruned")
	}
	if s.secretData("db")["password"] != sealedPW {
		t.Error("after the fix Secret db does not hold its sealed value")
	}
}

// checkUnchanged checks that a refused revision changed nothing: every
// ConfigMap, Secret and Deployment of both namespaces is as it was
// (resourceVersion included, so not even a no-op write happened), the
// inventory is the same and lastAppliedRevision still the good one.
func (s *sealEnv) checkUnchanged(objects map[string]string, inventory []string) {
	s.t.Helper()
	if diff := cmp.Diff(objects, s.snapshot()); diff != "" {
		s.t.Errorf("a refused revision changed objects (-before +after):\n%s", diff)
	}
	gs := s.get("apps")
	if diff := cmp.Diff(inventory, gs.Status.AppliedObjects); diff != "" {
		s.t.Errorf("a refused revision changed the inventory (-before +after):\n%s", diff)
	}
	if gs.Status.LastAppliedRevision != s.good {
		s.t.Errorf("lastAppliedRevision = %s, want the good revision %s", gs.Status.LastAppliedRevision, s.good)
	}
	if got := s.configMapValue("web-config"); got != "hello" {
		s.t.Errorf("web-config says %q after a refused revision, want hello", got)
	}
	if !s.configMapExists("keep-config") {
		s.t.Error("keep-config was pruned by a refused revision")
	}
}

// snapshot is "Kind namespace/name" -> resourceVersion of every ConfigMap,
// Secret and Deployment in the test namespace and the other one.
func (s *sealEnv) snapshot() map[string]string {
	s.t.Helper()
	out := map[string]string{}
	for _, ns := range []string{s.ns, s.other} {
		var cms corev1.ConfigMapList
		var secrets corev1.SecretList
		var deps appsv1.DeploymentList
		for _, l := range []client.ObjectList{&cms, &secrets, &deps} {
			if err := kube.Client.List(s.ctx, l, client.InNamespace(ns)); err != nil {
				s.t.Fatal(err)
			}
		}
		for _, o := range cms.Items {
			out["ConfigMap "+ns+"/"+o.Name] = o.ResourceVersion
		}
		for _, o := range secrets.Items {
			out["Secret "+ns+"/"+o.Name] = o.ResourceVersion
		}
		for _, o := range deps.Items {
			out["Deployment "+ns+"/"+o.Name] = o.ResourceVersion
		}
	}
	return out
}

// checkNoLeakedForms searches the agent's log, the events of both
// namespaces, every GitSync's status and the commit statuses posted for
// each secret value in the forms a sink may give it: raw, base64 (four
// alphabets), escaped as JSON (with and without HTML escaping, and twice,
// as a JSON log line quoting a JSON message does) and as a Go string.
func (s *sealEnv) checkNoLeakedForms() {
	haystacks := map[string]string{}
	if s.agent != nil {
		haystacks["the agent's log"] = s.agent.Output()
	}
	for _, ns := range []string{s.ns, s.other} {
		if ns == "" {
			continue
		}
		var events eventsv1.EventList
		if err := kube.Client.List(s.ctx, &events, client.InNamespace(ns)); err == nil {
			haystacks["events of "+ns] = jsonText(events)
		}
		var coreEvents corev1.EventList
		if err := kube.Client.List(s.ctx, &coreEvents, client.InNamespace(ns)); err == nil {
			haystacks["core events of "+ns] += jsonText(coreEvents)
		}
	}
	var syncs v1alpha1.GitSyncList
	if err := kube.Client.List(s.ctx, &syncs, client.InNamespace(s.ns)); err == nil {
		haystacks["GitSync status"] = jsonText(syncs)
	}
	if s.statuses != nil {
		s.statuses.mu.Lock()
		haystacks["commit statuses"] = jsonText(s.statuses.received)
		s.statuses.mu.Unlock()
	}
	for _, secret := range s.secrets {
		for _, form := range leakForms(secret) {
			for where, h := range haystacks {
				if strings.Contains(h, form) {
					s.t.Errorf("a secret value leaked into %s (as %q)", where, form)
				}
			}
		}
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// leakForms are the forms of v a sink may hold.
func leakForms(v string) []string {
	forms := []string{v, strings.Trim(strconv.Quote(v), `"`)}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		forms = append(forms, enc.EncodeToString([]byte(v)))
	}
	j := strings.Trim(jsonText(v), `"`)
	forms = append(forms, j, strings.Trim(jsonText(j), `"`))
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	forms = append(forms, strings.Trim(strings.TrimSpace(b.String()), `"`))
	slices.Sort(forms)
	return slices.Compact(forms)
}

// secretManifestYAML is a Secret manifest whose stringData password is
// the YAML scalar value as written.
func secretManifestYAML(name, value string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\ntype: Opaque\nstringData:\n  password: %s\n", name, value)
}

// sealInput encrypts a generator input (file name decides the format)
// with the built seal binary, bound to the Secret ns/name.
func (s *sealEnv) sealInput(file string, content []byte, bind string, plaintexts ...string) []byte {
	s.t.Helper()
	s.secrets = append(s.secrets, plaintexts...)
	res := s.runSeal(file, content, "encrypt", "-r", s.recipient, "--bind-secret", bind)
	if res.ExitCode != 0 {
		s.t.Fatalf("seal encrypt --bind-secret %s %s: exit %d: %s", bind, file, res.ExitCode, res.Stderr)
	}
	return []byte(res.Stdout)
}

// runSeal writes content to a temporary file named file and runs the built
// seal with args and the file's path last.
func (s *sealEnv) runSeal(file string, content []byte, args ...string) harness.Result {
	s.t.Helper()
	dir := s.t.TempDir()
	path := filepath.Join(dir, file)
	if err := os.WriteFile(path, content, 0o600); err != nil {
		s.t.Fatal(err)
	}
	res, err := harness.Run(s.ctx, harness.Command{Path: bin.Seal, Args: append(args, path), Dir: dir})
	if err != nil {
		s.t.Fatalf("seal %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// sops encrypts content, in a file named file, with the real sops CLI for
// the agent's key; args are extra sops flags.
func (s *sealEnv) sops(file string, content []byte, args ...string) []byte {
	s.t.Helper()
	return sopsEncrypt(s.env, file, content, args...)
}

func sopsEncrypt(e *env, file string, content []byte, args ...string) []byte {
	e.t.Helper()
	sops, err := testbin.Path("sops")
	if err != nil {
		e.t.Fatal(err)
	}
	dir := e.t.TempDir()
	path := filepath.Join(dir, file)
	if err := os.WriteFile(path, content, 0o600); err != nil {
		e.t.Fatal(err)
	}
	res, err := harness.Run(e.ctx, harness.Command{Path: sops, Dir: dir,
		Args: append(append([]string{"encrypt", "--age", e.recipient}, args...), path)})
	if err != nil || res.ExitCode != 0 {
		e.t.Fatalf("sops encrypt %s: %v (exit %d): %s", file, err, res.ExitCode, res.Stderr)
	}
	return []byte(res.Stdout)
}
