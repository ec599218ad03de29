package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seal-gitops/seal/keys"
)

func TestKeysList(t *testing.T) {
	a := newAuditKey(t, keys.X25519, "A")
	b := newAuditKey(t, keys.Hybrid, "B")
	c := newAuditKey(t, keys.X25519, "C")
	dir := t.TempDir()
	auditWrite(t, filepath.Join(dir, ".sops.yaml"), auditSopsConfig(
		auditRule{`^secrets/`, []*auditKey{a, b}}, auditRule{`^legacy/`, []*auditKey{a}}))
	auditWrite(t, filepath.Join(dir, "secrets/ok.yaml"), auditEncrypt(t, "ok.yaml", auditPlainSecret, a, b))
	auditWrite(t, filepath.Join(dir, "secrets/stale.yaml"), auditEncrypt(t, "stale.yaml", auditPlainSecret, a, c))
	auditWrite(t, filepath.Join(dir, "legacy/ok.yaml"), auditEncrypt(t, "ok.yaml", auditPlainSecret, a))
	auditWrite(t, filepath.Join(dir, "apps/norule.yaml"), auditEncrypt(t, "norule.yaml", auditPlainSecret, c))
	auditWrite(t, filepath.Join(dir, "apps/plain.yaml"), auditPlainSecret)
	auditWrite(t, filepath.Join(dir, "apps/settings.yaml"), auditConfigMap)

	summary := "4 encrypted files, 3 recipients; 1 file differs from its rule: run `seal keys rotate`; 1 stale recipient no rule names\n"
	for _, tt := range []struct {
		golden string
		args   []string
		stderr string
	}{
		{"keys-list.txt", nil, summary},
		{"keys-list-wide.txt", []string{"-o", "wide"}, summary},
		{"keys-list-no-headers.txt", []string{"--no-headers"}, summary},
		{"keys-list.txt", []string{"-o", "text"}, "seal: warning: -o text is deprecated: the table is the default, without -o\n" + summary},
		{"keys-list.json", []string{"-o", "json"}, ""},
		{"keys-list.yaml", []string{"-o", "yaml"}, ""},
		{"keys-list-name.txt", []string{"-o", "name"}, ""},
		{"keys-list-jsonpath.txt", []string{"-o", `jsonpath={range .items[*]}{.fingerprint} {.stale} {.files}{"\n"}{end}`}, ""},
		{"keys-list-jsonpath-stale.txt", []string{"-o", `jsonpath={range .items[?(@.stale==true)]}{.fingerprint}{"\n"}{end}`}, ""}, // the help's example
		{"keys-list-go-template.txt", []string{"-o", `go-template={{range .files}}{{.file}} {{.status}}{{"\n"}}{{end}}`}, ""},
	} {
		t.Run(strings.Join(append([]string{tt.golden}, tt.args...), " "), func(t *testing.T) {
			r := runSeal(t, dir, nil, "", append([]string{"keys", "list"}, tt.args...)...)
			auditNoLeak(t, r)
			if r.Code != ExitOK {
				t.Errorf("exit %d, stderr:\n%s", r.Code, r.Stderr)
			}
			if diff := cmp.Diff(tt.stderr, r.Stderr); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
			scrub := auditScrub
			if table := len(tt.args) == 0 || tt.args[0] == "--no-headers" || tt.args[1] == "wide" || tt.args[1] == "text"; table {
				scrub = auditScrubTable // placeholders padded: the columns stay aligned
			}
			golden(t, tt.golden, scrub(r.Stdout, dir, a, b, c))
		})
	}

	// The object holds recipients whole, and inverts files correctly.
	r := runSeal(t, dir, nil, "", "keys", "list", "-o", "json", "secrets")
	var list repoKeyList
	if err := json.Unmarshal([]byte(r.Stdout), &list); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, k := range list.Items {
		if k.APIVersion != "seal.dev/v1alpha1" || k.Kind != "Key" || k.Metadata.Name != keys.Fingerprint(k.Recipient) {
			t.Errorf("item %+v: want apiVersion seal.dev/v1alpha1, kind Key, named by its fingerprint", k)
		}
		got[k.Recipient] = k.Files
	}
	want := map[string][]string{
		a.recipient(): {"secrets/ok.yaml", "secrets/stale.yaml"},
		b.recipient(): {"secrets/ok.yaml"},
		c.recipient(): {"secrets/stale.yaml"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files by recipient (-want +got):\n%s", diff)
	}
	if list.APIVersion != "seal.dev/v1alpha1" || list.Kind != "KeyList" || len(list.Files) != 2 {
		t.Errorf("list: apiVersion %q, kind %q, %d files; want seal.dev/v1alpha1, KeyList, 2", list.APIVersion, list.Kind, len(list.Files))
	}
}

func TestKeysListProblems(t *testing.T) {
	dir := t.TempDir()
	r := runSeal(t, dir, nil, "", "keys", "list")
	if diff := cmp.Diff(cliRun{Stderr: "no encrypted files found\n"}, r); diff != "" {
		t.Errorf("empty (-want +got):\n%s", diff)
	}
	r = runSeal(t, dir, nil, "", "keys", "list", "-o", "json")
	if diff := cmp.Diff(cliRun{Stdout: "{\n    \"apiVersion\": \"seal.dev/v1alpha1\",\n    \"files\": [],\n    \"items\": [],\n    \"kind\": \"KeyList\"\n}\n"}, r); diff != "" {
		t.Errorf("empty -o json (-want +got):\n%s", diff)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-o", "table"}, "seal: error: --output \"table\": unknown format\n"},
		{[]string{"-o", "json", "--no-headers"}, "seal: error: --no-headers applies only to the table (no -o, or -o wide), not to -o json\n"},
		{[]string{"-o", "jsonpath={.items[}"}, "seal: error: --output jsonpath={.items[}: "},
	} {
		r = runSeal(t, dir, nil, "", append([]string{"keys", "list"}, tt.args...)...)
		if r.Code != ExitUsage || !strings.HasPrefix(r.Stderr, tt.want) || r.Stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %d and %q", tt.args, r.Code, r.Stdout, r.Stderr, ExitUsage, tt.want)
		}
	}
	auditWrite(t, filepath.Join(dir, "broken.yaml"), "kind: Secret\nsops:\n  age: 3\n  mac: x\n")
	r = runSeal(t, dir, nil, "", "keys", "list")
	if r.Code != ExitFailure || !strings.Contains(r.Stdout, "broken.yaml   -           unreadable: ") ||
		r.Stderr != "1 encrypted file, 0 recipients\nseal: error: 1 encrypted file could not be read: broken.yaml\n" {
		t.Errorf("got %+v", r)
	}
}
