package agent_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

func TestSyncOverSSHWithKnownHosts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const password = "ssh-pw-6e0b2d"
	sha := e.commit("app", map[string][]byte{"db.yaml": e.seal(secretManifest("db", password), password)})
	creds := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "ssh-creds", Namespace: e.ns},
		Data:       map[string][]byte{"identity": git.ClientKey(), "known_hosts": git.KnownHosts()},
	}
	if err := kube.Client.Create(e.ctx, creds); err != nil {
		t.Fatal(err)
	}
	e.createGitSync("over-ssh", time.Hour, func(gs *v1alpha1.GitSync) {
		gs.Spec.URL = git.SSHURL(e.repo.Name)
		gs.Spec.SecretRef.Name = creds.Name
	})
	e.waitApplied("over-ssh", sha)
	if diff := cmp.Diff(map[string]string{"password": password}, e.secretData("db")); diff != "" {
		t.Errorf("Secret db (-want +got):\n%s", diff)
	}
}

func TestSyncOverSSHRefusesAnUnknownHostKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.commit("app", map[string][]byte{"config.yaml": configMap("web-config", "hello")})
	creds := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "ssh-creds", Namespace: e.ns},
		// A known_hosts line for another key than the server's.
		Data: map[string][]byte{"identity": git.ClientKey(), "known_hosts": otherHostKey(t)},
	}
	if err := kube.Client.Create(e.ctx, creds); err != nil {
		t.Fatal(err)
	}
	e.createGitSync("over-ssh", time.Hour, func(gs *v1alpha1.GitSync) {
		gs.Spec.URL = git.SSHURL(e.repo.Name)
		gs.Spec.SecretRef.Name = creds.Name
	})
	e.waitFailed("over-ssh", v1alpha1.ReasonGitFetchFailed)
	if e.configMapExists("web-config") {
		t.Error("a repository behind an unknown host key was applied")
	}
}

func TestSyncOverHTTPSWithBasicAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const password = "https-pw-91d4aa"
	sha := e.commit("app", map[string][]byte{"db.yaml": e.seal(secretManifest("db", password), password)})
	creds := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "https-creds", Namespace: e.ns},
		Data: map[string][]byte{
			"username": []byte(git.Username), "password": []byte(git.Password), "ca.crt": git.CA,
		},
	}
	if err := kube.Client.Create(e.ctx, creds); err != nil {
		t.Fatal(err)
	}
	e.createGitSync("over-https", time.Hour, func(gs *v1alpha1.GitSync) {
		gs.Spec.URL = git.HTTPSURL(e.repo.Name)
		gs.Spec.SecretRef.Name = creds.Name
	})
	e.waitApplied("over-https", sha)
	if diff := cmp.Diff(map[string]string{"password": password}, e.secretData("db")); diff != "" {
		t.Errorf("Secret db (-want +got):\n%s", diff)
	}
}
