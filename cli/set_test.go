package cli

import (
	"encoding/base64"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// changedLines returns the lines of after that are not in before and the
// lines of before that are not in after (as multisets).
func changedLines(before, after string) (added, removed []string) {
	count := map[string]int{}
	for _, l := range strings.Split(before, "\n") {
		count[l]++
	}
	for _, l := range strings.Split(after, "\n") {
		if count[l] > 0 {
			count[l]--
			continue
		}
		added = append(added, l)
	}
	for l, n := range count {
		for range n {
			removed = append(removed, l)
		}
	}
	return added, removed
}

// keysOf returns the YAML keys of lines ("password:"), sorted, leaving
// out the sops metadata a rewrite always changes (mac, lastmodified); it
// reports whether a mac line was among them.
func keysOf(lines []string) (out []string, mac bool) {
	for _, l := range lines {
		k, _, _ := strings.Cut(strings.TrimSpace(l), " ")
		switch k {
		case "mac:":
			mac = true
		case "lastmodified:":
		default:
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out, mac
}

// TestSetUnset: seal set and unset change one value; every other line of
// the encrypted file, ciphertexts included, stays byte for byte, and only
// the MAC and lastmodified change besides.
func TestSetUnset(t *testing.T) {
	dir, a, _ := decryptSetup(t)
	file := filepath.Join(dir, "secret.yaml")
	env := map[string]string{"SEAL_AGE_KEY_FILE": "keys/A.txt"}
	const newValue = "rotated-never-print"
	binary := []byte{0, 1, 2, 0xff, '\n'}
	cryptWrite(t, filepath.Join(dir, "ca.bin"), string(binary))

	for _, tt := range []struct {
		name      string
		args      []string
		stdin     string
		stderr    string
		wantKeys  []string // keys of the lines added and removed
		wantPlain func(string) string
	}{
		{"set from stdin", []string{"set", "secret.yaml", "stringData.password", "--secret", "db"}, newValue,
			"secret.yaml: stringData.password set; other values kept their ciphertext\n",
			[]string{"password:", "password:"},
			func(s string) string { return strings.Replace(s, "password: "+cryptValue, "password: "+newValue, 1) }},
		{"set a new data key from a file, base64", []string{"set", "secret.yaml", `["data"]["ca.crt"]`, "--secret", "api", "--value-file", "ca.bin"}, "",
			"secret.yaml: data.ca.crt set; other values kept their ciphertext\n",
			[]string{"ca.crt:"},
			func(s string) string {
				return strings.Replace(s, "    token: dG9rZW4tbmV2ZXItcHJpbnQ=\n", "    token: dG9rZW4tbmV2ZXItcHJpbnQ=\n    ca.crt: "+base64.StdEncoding.EncodeToString(binary)+"\n", 1)
			}},
		{"unset", []string{"unset", "secret.yaml", "stringData.user", "--secret", "db"}, "",
			"secret.yaml: stringData.user removed; other values kept their ciphertext\n",
			[]string{"user:"},
			func(s string) string { return strings.Replace(s, "    user: admin\n", "", 1) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := cryptRead(t, file)
			plainBefore := cryptDecrypt(t, file, a)
			r := runSeal(t, dir, env, tt.stdin, tt.args...)
			if diff := cryptDiff(cliRun{Stderr: tt.stderr}, r); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
			cryptNoLeak(t, tt.name, r)
			after := cryptRead(t, file)
			added, removed := changedLines(before, after)
			changed, mac := keysOf(append(added, removed...))
			if diff := cryptDiff(tt.wantKeys, changed); diff != "" || !mac {
				t.Errorf("lines changed besides mac and lastmodified (-want +got):\n%s\nmac changed: %v", diff, mac)
			}
			if diff := cryptDiff(tt.wantPlain(plainBefore), cryptDecrypt(t, file, a)); diff != "" {
				t.Errorf("decrypted (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("the same value leaves the file alone", func(t *testing.T) {
		before := cryptRead(t, file)
		r := runSeal(t, dir, env, newValue, "set", "secret.yaml", "stringData.password", "--secret", "db")
		if diff := cryptDiff(cliRun{Stderr: "secret.yaml: stringData.password unchanged, left as is\n"}, r); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if cryptRead(t, file) != before {
			t.Error("the file was rewritten")
		}
	})
}

func TestSetErrors(t *testing.T) {
	dir, a, b := decryptSetup(t)
	cryptWrite(t, filepath.Join(dir, "plain.yaml"), cryptTwoSecrets)
	before := cryptRead(t, filepath.Join(dir, "secret.yaml"))
	env := map[string]string{"SEAL_AGE_KEY_FILE": "keys/A.txt"}
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		stdin string
		code  int
	}{
		{"several Secrets, no --secret", env, []string{"set", "secret.yaml", "stringData.password"}, "x", ExitUsage},
		{"no such Secret", env, []string{"set", "secret.yaml", "stringData.password", "--secret", "nope"}, "x", ExitFailure},
		{"bad path", env, []string{"set", "secret.yaml", "metadata.name", "--secret", "db"}, "x", ExitUsage},
		{"no value on stdin", env, []string{"set", "secret.yaml", "stringData.password", "--secret", "db"}, "", ExitUsage},
		{"value file missing", env, []string{"set", "secret.yaml", "stringData.password", "--secret", "db", "--value-file", "nothere"}, "", ExitFailure},
		{"value as an argument", env, []string{"set", "secret.yaml", "stringData.password", cryptValue}, "", ExitUsage},
		{"not UTF-8 for stringData", env, []string{"set", "secret.yaml", "stringData.password", "--secret", "db"}, "\xff\xfe", ExitFailure},
		{"unset a missing key", env, []string{"unset", "secret.yaml", "stringData.nope", "--secret", "db"}, "", ExitFailure},
		{"wrong key", map[string]string{"SEAL_AGE_KEY_FILE": "keys/B.txt"}, []string{"unset", "secret.yaml", "stringData.user", "--secret", "db"}, "", ExitFailure},
		{"plaintext file", env, []string{"set", "plain.yaml", "stringData.user", "--secret", "db"}, "x", ExitFailure},
		{"stdin as the file", env, []string{"unset", "-", "stringData.user"}, "", ExitUsage},
	}
	var transcript strings.Builder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runSeal(t, dir, tt.env, tt.stdin, tt.args...)
			if r.Code != tt.code {
				t.Errorf("exit %d, want %d: %s", r.Code, tt.code, cryptRedact(r.Stderr))
			}
			cryptNoLeak(t, tt.name, r)
			transcript.WriteString("# " + tt.name + "\n" + cryptTranscript(tt.args, r, func(s string) string {
				return strings.ReplaceAll(cryptScrub(s, dir, a, b), cryptValue, "<VALUE>")
			}) + "\n")
			if strings.Contains(r.Stderr, cryptValue) {
				t.Error("the value given on the command line was echoed")
			}
		})
	}
	if cryptRead(t, filepath.Join(dir, "secret.yaml")) != before {
		t.Error("a failed seal set or unset changed the file")
	}
	golden(t, "set-errors.txt", transcript.String())
}

func TestSetHelp(t *testing.T) {
	for _, cmd := range []string{"set", "unset"} {
		t.Run(cmd, func(t *testing.T) {
			r := runSeal(t, t.TempDir(), nil, "", cmd, "--help")
			if r.Code != ExitOK || r.Stderr != "" {
				t.Fatalf("exit %d: %s", r.Code, r.Stderr)
			}
			golden(t, cmd+"-help.txt", r.Stdout)
		})
	}
}
