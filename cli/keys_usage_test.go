package cli

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// keyUsageFixtures are GitSyncs whose statuses record the keys that opened
// their last applied revision: prod used two keys, staging one of them,
// team-b/shop another; team-b/new never applied a revision.
func keyUsageFixtures() []*v1alpha1.GitSync {
	used := func(rev string, keys map[string]int32) func(*v1alpha1.GitSync) {
		return func(gs *v1alpha1.GitSync) {
			gs.Status.LastAppliedRevision = rev
			for _, fp := range []string{"sha256:00000000000000aa", "sha256:00000000000000bb", "sha256:00000000000000cc"} {
				if n, ok := keys[fp]; ok {
					gs.Status.DecryptionKeys = append(gs.Status.DecryptionKeys, v1alpha1.KeyUsage{Fingerprint: fp, Files: n})
				}
			}
		}
	}
	spec := v1alpha1.GitSyncSpec{URL: "https://git.example.com/acme/fleet.git"}
	return []*v1alpha1.GitSync{
		fixtureGitSync("seal-system", "prod", time.Hour, spec, used(revOne, map[string]int32{"sha256:00000000000000aa": 2, "sha256:00000000000000bb": 1})),
		fixtureGitSync("seal-system", "staging", time.Hour, spec, used(revOne, map[string]int32{"sha256:00000000000000bb": 3})),
		fixtureGitSync("team-b", "shop", time.Hour, spec, used(revTwo, map[string]int32{"sha256:00000000000000cc": 1})),
		fixtureGitSync("team-b", "new", time.Minute, spec, nil),
	}
}

// TestKeysUsage prints the keys the GitSyncs used through every format of
// the listing commands.
func TestKeysUsage(t *testing.T) {
	var objs []client.Object
	for _, gs := range keyUsageFixtures() {
		objs = append(objs, gs)
	}
	c := fakeGitSyncs(t, interceptor.Funcs{}, objs...)
	summary := "cluster test: 4 GitSyncs, 3 keys used\nnever applied a revision, needs unknown: team-b/new\n"
	for _, tt := range []struct {
		name   string
		args   []string
		golden string // of stdout; "" for none
		code   int
		stderr string
	}{
		{"table", nil, "keys-usage.txt", ExitOK, summary},
		{"wide", []string{"-o", "wide"}, "keys-usage-wide.txt", ExitOK, summary},
		{"no headers", []string{"--no-headers"}, "keys-usage-no-headers.txt", ExitOK, summary},
		{"text, deprecated", []string{"-o", "text"}, "keys-usage.txt", ExitOK, "seal: warning: -o text is deprecated: the table is the default, without -o\n" + summary},
		{"json", []string{"-o", "json"}, "keys-usage.json", ExitOK, ""},
		{"yaml", []string{"-o", "yaml"}, "keys-usage.yaml", ExitOK, ""},
		{"name", []string{"-o", "name"}, "keys-usage-name.txt", ExitOK, ""},
		{"jsonpath", []string{"-o", `jsonpath={range .items[*]}{.fingerprint}{range .cluster.gitSyncs[*]} {.gitSync}{end}{"\n"}{end}`}, "keys-usage-jsonpath.txt", ExitOK, ""},
		{"jsonpath-as-json", []string{"-o", "jsonpath-as-json={.cluster.notSynced}"}, "keys-usage-jsonpath-as-json.txt", ExitOK, ""},
		{"one namespace", []string{"-n", "team-b"}, "keys-usage-team-b.txt", ExitOK, "cluster test: 2 GitSyncs, 1 key used\nnever applied a revision, needs unknown: team-b/new\n"},
		{"bad output", []string{"-o", "table"}, "", ExitUsage, "seal: error: --output \"table\": unknown format\nseal: hint: use wide, json, yaml, name, jsonpath=TEMPLATE, jsonpath-as-json=TEMPLATE or go-template=TEMPLATE, or no -o for the table\n"},
		{"no headers with yaml", []string{"-o", "yaml", "--no-headers"}, "", ExitUsage, "seal: error: --no-headers applies only to the table (no -o, or -o wide), not to -o yaml\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runSealWith(t, c, append([]string{"keys", "usage"}, tt.args...)...)
			if r.Code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.Code, tt.code, r.Stderr)
			}
			if diff := cmp.Diff(tt.stderr, r.Stderr); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
			if tt.golden == "" {
				if r.Stdout != "" {
					t.Errorf("stdout %q, want none", r.Stdout)
				}
				return
			}
			golden(t, tt.golden, r.Stdout)
		})
	}
}
