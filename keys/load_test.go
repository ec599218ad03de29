package keys

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var testTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func fakeEnv(vars map[string]string) Env {
	return func(k string) string { return vars[k] }
}

func TestLoadIdentities(t *testing.T) {
	dir := t.TempDir()
	ids := map[string]*Identity{}
	write := func(name string, content []byte) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, content, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, n := range []string{"flag1", "flag2", "envfile", "inline1", "inline2", "xdg", "home"} {
		ids[n] = mustGenerate(t, Hybrid)
	}
	flag1 := write("flag1.txt", ids["flag1"].MarshalText(testTime))
	flag2 := write("flag2.txt", ids["flag2"].MarshalText(testTime))
	envFile := write("env.txt", append(ids["envfile"].MarshalText(testTime), ids["flag1"].MarshalText(testTime)...))
	xdg := filepath.Join(dir, "xdg")
	xdgKeys := write("xdg/sops/age/keys.txt", ids["xdg"].MarshalText(testTime))
	home := filepath.Join(dir, "home")
	homeKeys := write("home/.config/sops/age/keys.txt", ids["home"].MarshalText(testTime))
	emptyHome := filepath.Join(dir, "empty-home")
	commentsOnly := write("comments.txt", []byte("# no keys yet\n"))
	broken := write("broken.txt", []byte("AGE-SECRET-KEY-1NOTAKEY\n"))
	inline := ids["inline1"].secret() + " " + ids["inline2"].secret()

	tests := []struct {
		name     string
		files    []string
		env      map[string]string
		want     []string // identity names in ring order
		wantUsed []string
		wantErr  string
		wantIs   error
	}{
		{"-i files alone win over everything", []string{flag2, flag1},
			map[string]string{EnvKeyFile: envFile, EnvKey: inline, "XDG_CONFIG_HOME": xdg},
			[]string{"flag2", "flag1"}, []string{flag2, flag1}, "", nil},
		{"key file, inline keys, then keys.txt, duplicates dropped", nil,
			map[string]string{EnvKeyFile: envFile, EnvKey: inline, "XDG_CONFIG_HOME": xdg, "HOME": home},
			[]string{"envfile", "flag1", "inline1", "inline2", "xdg"},
			[]string{EnvKeyFile + "=" + envFile, EnvKey, xdgKeys}, "", nil},
		{"XDG_CONFIG_HOME beats HOME", nil, map[string]string{"XDG_CONFIG_HOME": xdg, "HOME": home},
			[]string{"xdg"}, []string{xdgKeys}, "", nil},
		{"HOME/.config without XDG_CONFIG_HOME", nil, map[string]string{"HOME": home},
			[]string{"home"}, []string{homeKeys}, "", nil},
		{"inline keys only", nil, map[string]string{EnvKey: "# comment\n" + inline, "HOME": emptyHome},
			[]string{"inline1", "inline2"}, []string{EnvKey}, "", nil},
		{"empty key file is skipped when keys.txt has keys", nil, map[string]string{EnvKeyFile: commentsOnly, "HOME": home},
			[]string{"home"}, []string{homeKeys}, "", nil},
		{"nothing anywhere", nil, map[string]string{"HOME": emptyHome, EnvKeyCmd: "pass show age"}, nil, nil,
			"no age identity found: looked at SOPS_AGE_KEY_FILE (not set), SOPS_AGE_KEY (not set), " +
				filepath.Join(emptyHome, ".config/sops/age/keys.txt") + " (does not exist); create a key with `seal keygen`, " +
				"or pass an identity file with --identity FILE (SOPS_AGE_KEY_CMD is set, but seal does not run key commands",
			ErrNoIdentity},
		{"no HOME at all", nil, map[string]string{EnvKeyFile: commentsOnly}, nil, nil,
			"SOPS_AGE_KEY_FILE=" + commentsOnly + " (holds no key), SOPS_AGE_KEY (not set), sops' keys.txt (neither $XDG_CONFIG_HOME nor $HOME is set)",
			ErrNoIdentity},
		{"missing -i file", []string{filepath.Join(dir, "nope.txt")}, nil, nil, nil, "nope.txt: reading identity file (--identity)", fs.ErrNotExist},
		{"broken -i file", []string{flag1, broken}, nil, nil, nil, broken + " line 1: malformed", ErrInvalidIdentity},
		{"empty -i file", []string{commentsOnly}, nil, nil, nil, commentsOnly + ": no age identity found", ErrNoIdentity},
		{"missing SOPS_AGE_KEY_FILE", nil, map[string]string{EnvKeyFile: filepath.Join(dir, "gone.txt"), "HOME": home}, nil, nil,
			"gone.txt (from SOPS_AGE_KEY_FILE): reading identity file", fs.ErrNotExist},
		{"broken SOPS_AGE_KEY", nil, map[string]string{EnvKey: "AGE-SECRET-KEY-1XYZ", "HOME": home}, nil, nil,
			"SOPS_AGE_KEY line 1: malformed", ErrInvalidIdentity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ring, used, err := loadIdentities(tt.files, fakeEnv(tt.env), os.ReadFile, "linux")
			if tt.wantErr != "" {
				if err == nil || !errors.Is(err, tt.wantIs) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v\nwant %q wrapping %v", err, tt.wantErr, tt.wantIs)
				}
				for _, id := range ids {
					assertNoSecret(t, err.Error(), id.secret())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, n := range tt.want {
				want = append(want, ids[n].Recipient())
			}
			if diff := cmp.Diff(want, ring.Recipients()); diff != "" {
				t.Errorf("ring (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantUsed, used); diff != "" {
				t.Errorf("sources used (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDefaultKeyFile(t *testing.T) {
	tests := []struct {
		goos    string
		env     map[string]string
		want    string
		wantWhy string
	}{
		{"linux", map[string]string{"XDG_CONFIG_HOME": "/x", "HOME": "/h"}, "/x/sops/age/keys.txt", ""},
		{"linux", map[string]string{"HOME": "/h"}, "/h/.config/sops/age/keys.txt", ""},
		{"linux", map[string]string{"XDG_CONFIG_HOME": "rel", "HOME": "/h"}, "", "$XDG_CONFIG_HOME is a relative path"},
		{"linux", nil, "", "neither $XDG_CONFIG_HOME nor $HOME is set"},
		{"freebsd", map[string]string{"HOME": "/h"}, "/h/.config/sops/age/keys.txt", ""},
		// sops reads XDG_CONFIG_HOME on macOS, where os.UserConfigDir does not.
		{"darwin", map[string]string{"XDG_CONFIG_HOME": "/x", "HOME": "/Users/h"}, "/x/sops/age/keys.txt", ""},
		{"darwin", map[string]string{"HOME": "/Users/h"}, "/Users/h/Library/Application Support/sops/age/keys.txt", ""},
		{"darwin", nil, "", "$HOME is not set"},
		{"windows", map[string]string{"AppData": `C:\Users\h\AppData\Roaming`, "XDG_CONFIG_HOME": "/x"}, `C:\Users\h\AppData\Roaming\sops\age\keys.txt`, ""},
		{"windows", map[string]string{"HOME": "/h"}, "", "%AppData% is not set"},
	}
	for _, tt := range tests {
		got, why := DefaultKeyFile(fakeEnv(tt.env), tt.goos)
		if diff := cmp.Diff([2]string{tt.want, tt.wantWhy}, [2]string{got, why}); diff != "" {
			t.Errorf("%s %v (-want +got):\n%s", tt.goos, tt.env, diff)
		}
	}
}
