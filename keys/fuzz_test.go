package keys

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzParseIdentities(f *testing.F) {
	h, x := mustGenerate(f, Hybrid), mustGenerate(f, X25519)
	f.Add([]byte(h.MarshalText(testTime)), false)
	f.Add([]byte(x.secret()+"\r\n"+h.secret()), true)
	f.Add([]byte("# c\n\nAGE-SECRET-KEY-1QQQQ\n"), false)
	f.Add([]byte(h.secret()[:40]), false)
	f.Add([]byte(x.Recipient()+"\nAGE-PLUGIN-X-1Q\n-----BEGIN X\n\xff"), true)
	f.Fuzz(func(t *testing.T, data []byte, words bool) {
		ring, err := parseIdentities("fuzz.txt", data, words)
		if err != nil {
			for _, field := range strings.Fields(string(data)) {
				if len(field) >= 24 && strings.HasPrefix(strings.ToUpper(field), "AGE-SECRET-KEY-") &&
					strings.Contains(err.Error(), field[16:]) {
					t.Fatalf("error quotes key material: %v", err)
				}
			}
			return
		}
		for _, id := range ring.Identities() {
			again, err := ParseIdentities("again", id.MarshalText(testTime))
			if err != nil || again.Len() != 1 || again.Recipients()[0] != id.Recipient() {
				t.Fatalf("identity %s does not round-trip: %v", Short(id.Recipient()), err)
			}
		}
	})
}

func FuzzLoadConfig(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/upsert/*.yaml")
	// Short X25519 recipients only: long seeds make minimising slow.
	_, _, x1, x2 := fixed(f)
	expand := strings.NewReplacer("{{h1}}", x1, "{{h2}}", x2, "{{x1}}", x1, "{{x2}}", x2)
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(expand.Replace(string(data))))
	}
	f.Add([]byte("creation_rules:\n  - path_regex: '['\n  - age: [1, 2]\n  - key_groups: [{merge: [{age: [a]}]}]\n"))
	f.Add([]byte("creation_rules: &a\n  - *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parseConfig("/repo/.sops.yaml", data)
		if err != nil {
			return
		}
		for _, file := range []string{"/repo/a.yaml", "/repo/clusters/staging/db.yaml", "/elsewhere/x", "rel/y.yaml"} {
			rule, err := cfg.RuleFor(file)
			if err == nil && len(rule.Recipients) == 0 {
				t.Fatalf("RuleFor(%s) returned a rule without recipients and no error", file)
			}
		}
		cfg.Rules()
	})
}

// FuzzUpsert checks that editing any loadable .sops.yaml never panics and
// always gives a file that loads with the rule in it.
func FuzzUpsert(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/upsert/*.in.yaml")
	for _, s := range seeds {
		data, _ := os.ReadFile(s)
		f.Add(data)
	}
	f.Add([]byte("# only\n# comments\n"))
	f.Add([]byte("---\n"))
	f.Add([]byte("creation_rules: ~ # none yet\n"))
	x := "age1kvgyj6pmr72tkt6zdww23c98mqjk2h0zw5tp860r7myuvlvcrq6q4jv3pm"
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := parseConfig("/repo/.sops.yaml", data); err != nil {
			return
		}
		out, err := upsert("/repo/.sops.yaml", data, `^clusters/`, []string{x})
		if err != nil {
			return
		}
		if err := verifyUpsert("/repo/.sops.yaml", out, `^clusters/`, []string{x}); err != nil && string(out) != string(data) {
			t.Fatalf("%v\ninput:\n%s\noutput:\n%s", err, data, out)
		}
	})
}
