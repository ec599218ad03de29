package agent_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/keys"
)

const goodPassword = "good-pw-0d9f3a"

// badInput runs one bad-input scenario. The repository first holds
// web-config (greeting hello), keep-config and Secret db, all applied.
// Then one commit changes web-config, deletes keep-config's file and adds
// the bad input (breakIt). The sync must fail with reason, its message
// must contain mention, and the cluster must be untouched: web-config
// still says hello, keep-config is not pruned, db keeps its password.
// Then fixIt repairs the repository and the sync must recover, applying
// the change and pruning keep-config.
func badInput(t *testing.T, reason, mention string, breakIt, fixIt func(e *env)) {
	e := newEnv(t)
	sha := e.commit("good", map[string][]byte{
		"apps/config.yaml": configMap("web-config", "hello"),
		"apps/keep.yaml":   configMap("keep-config", "kept"),
		"apps/db.yaml":     e.seal(secretManifest("db", goodPassword), goodPassword),
	})
	e.createGitSync("apps", 10*time.Second, nil)
	e.waitApplied("apps", sha)
	before := e.get("apps").Status.AppliedObjects

	// The change goes into the same commit as the bad input.
	e.write(map[string][]byte{
		"apps/config.yaml": configMap("web-config", "changed"),
		"apps/keep.yaml":   nil,
	})
	breakIt(e)
	msg := e.waitFailed("apps", reason)
	if !strings.Contains(msg, mention) {
		t.Errorf("Ready message %q does not name %q", msg, mention)
	}
	if got := e.configMapValue("web-config"); got != "hello" {
		t.Errorf("after the failed sync web-config says %q, want hello: a failed sync changed the cluster", got)
	}
	if !e.configMapExists("keep-config") {
		t.Error("keep-config was pruned by a failed sync")
	}
	if diff := cmp.Diff(map[string]string{"password": goodPassword}, e.secretData("db")); diff != "" {
		t.Errorf("Secret db after the failed sync (-want +got):\n%s", diff)
	}
	gs := e.get("apps")
	if diff := cmp.Diff(before, gs.Status.AppliedObjects); diff != "" {
		t.Errorf("a failed sync changed the inventory (-before +after):\n%s", diff)
	}
	if gs.Status.LastAppliedRevision != sha {
		t.Errorf("lastAppliedRevision = %s, want %s", gs.Status.LastAppliedRevision, sha)
	}

	fixIt(e)
	fixed := e.commit("fix", nil)
	e.waitApplied("apps", fixed)
	if got := e.configMapValue("web-config"); got != "changed" {
		t.Errorf("after the fix web-config says %q, want changed", got)
	}
	if e.configMapExists("keep-config") {
		t.Error("after the fix keep-config was not pruned")
	}
}

// removeFile is a fix: delete the bad file.
func removeFile(path string) func(e *env) {
	return func(e *env) {
		if err := os.Remove(filepath.Join(e.repo.Dir(), path)); err != nil {
			e.t.Fatal(err)
		}
	}
}

func TestBadInputTamperedCiphertext(t *testing.T) {
	t.Parallel()
	const other = "tampered-pw-77ac01"
	badInput(t, v1alpha1.ReasonDecryptionFailed, "apps/db.yaml", func(e *env) {
		enc := e.seal(secretManifest("db", other), other)
		// Flip one character inside the value's ciphertext.
		i := bytes.Index(enc, []byte("password: ENC[AES256_GCM,data:")) + len("password: ENC[AES256_GCM,data:")
		enc[i+2] ^= 0x01
		if enc[i+2] == '=' || enc[i+2] == ',' {
			enc[i+2] = 'A'
		}
		e.commit("tamper", map[string][]byte{"apps/db.yaml": enc})
	}, func(e *env) {
		e.commit("restore", map[string][]byte{"apps/db.yaml": e.seal(secretManifest("db", goodPassword), goodPassword)})
	})
}

func TestBadInputWrongKey(t *testing.T) {
	t.Parallel()
	const other = "wrong-key-pw-3b61f0"
	badInput(t, v1alpha1.ReasonDecryptionFailed, "apps/db.yaml", func(e *env) {
		stranger, err := keys.Generate(keys.Hybrid)
		if err != nil {
			t.Fatal(err)
		}
		mine := e.recipient
		e.recipient = stranger.Recipient()
		enc := e.seal(secretManifest("db", other), other)
		e.recipient = mine
		e.commit("wrong key", map[string][]byte{"apps/db.yaml": enc})
	}, func(e *env) {
		e.commit("right key", map[string][]byte{"apps/db.yaml": e.seal(secretManifest("db", goodPassword), goodPassword)})
	})
}

func TestBadInputPlaintextSecret(t *testing.T) {
	t.Parallel()
	const plain = "plaintext-pw-c0ffee"
	badInput(t, v1alpha1.ReasonRenderFailed, "apps/leak.yaml", func(e *env) {
		e.secrets = append(e.secrets, plain)
		e.commit("plaintext", map[string][]byte{"apps/leak.yaml": []byte(secretManifest("leak", plain))})
	}, removeFile("apps/leak.yaml"))
}

func TestBadInputBrokenYAML(t *testing.T) {
	t.Parallel()
	badInput(t, v1alpha1.ReasonRenderFailed, "apps/broken.yaml", func(e *env) {
		e.commit("broken", map[string][]byte{"apps/broken.yaml": []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: [name: x\n")})
	}, removeFile("apps/broken.yaml"))
}

func TestBadInputSymlinkOutOfTheRepository(t *testing.T) {
	t.Parallel()
	badInput(t, v1alpha1.ReasonRenderFailed, "apps/passwd.yaml", func(e *env) {
		if err := os.Symlink("/etc/passwd", filepath.Join(e.repo.Dir(), "apps", "passwd.yaml")); err != nil {
			t.Fatal(err)
		}
		if _, err := e.repo.CommitAll("symlink"); err != nil {
			t.Fatal(err)
		}
		e.syncNow()
	}, removeFile("apps/passwd.yaml"))
}

func TestBadInputObjectTheAPIServerRejects(t *testing.T) {
	t.Parallel()
	badInput(t, v1alpha1.ReasonApplyFailed, "apps/invalid.yaml", func(e *env) {
		e.commit("invalid", map[string][]byte{"apps/invalid.yaml": configMap("Not_A_Valid_Name", "x")})
	}, removeFile("apps/invalid.yaml"))
}

// TestBadInputSealedSecretCopiedUnderAnotherName: a pusher without the key
// copies a sealed value into a Secret of their choosing; it is refused (the
// MAC covers every value, and the sealed identity what the MAC does not:
// keys, and files whose MAC covers only the encrypted values; crypto's
// binding tests try each).
func TestBadInputSealedSecretCopiedUnderAnotherName(t *testing.T) {
	t.Parallel()
	badInput(t, v1alpha1.ReasonDecryptionFailed, "apps/stolen.yaml", func(e *env) {
		enc := e.seal(secretManifest("db", goodPassword), goodPassword)
		e.commit("copy", map[string][]byte{"apps/stolen.yaml": bytes.Replace(enc, []byte("name: db"), []byte("name: stolen"), 1)})
	}, func(e *env) {
		e.assertNoSecret("stolen")
		removeFile("apps/stolen.yaml")(e)
	})
}

// TestBadInputSealedSecretMovedToAnotherNamespace: a sealed Secret given a
// namespace it was not sealed for is refused, not applied there.
func TestBadInputSealedSecretMovedToAnotherNamespace(t *testing.T) {
	t.Parallel()
	badInput(t, v1alpha1.ReasonDecryptionFailed, "apps/moved.yaml", func(e *env) {
		enc := e.seal(secretManifest("moved", goodPassword), goodPassword)
		e.commit("move", map[string][]byte{"apps/moved.yaml": bytes.Replace(enc, []byte("namespace: "+e.ns+"\n"), []byte("namespace: default\n"), 1)})
	}, func(e *env) {
		var s corev1.Secret
		if err := kube.Client.Get(e.ctx, client.ObjectKey{Namespace: "default", Name: "moved"}, &s); !apierrors.IsNotFound(err) {
			e.t.Errorf("Secret default/moved: %v, want NotFound: a Secret was applied to a namespace it was not sealed for", err)
		}
		removeFile("apps/moved.yaml")(e)
	})
}

// assertNoSecret fails the test when Secret name exists in the test namespace.
func (e *env) assertNoSecret(name string) {
	e.t.Helper()
	var s corev1.Secret
	if err := kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: name}, &s); !apierrors.IsNotFound(err) {
		e.t.Errorf("Secret %s/%s: %v, want NotFound: a copied sealed value was applied", e.ns, name, err)
	}
}
