package keys

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"strings"
)

// Environment variables sops reads age identities from.
const (
	EnvKeyFile = "SOPS_AGE_KEY_FILE" // path of an identity file
	EnvKey     = "SOPS_AGE_KEY"      // identities inline, several a line allowed
	EnvKeyCmd  = "SOPS_AGE_KEY_CMD"  // a command; seal does not run it
)

// Env looks up an environment variable; "" means unset. Pass os.Getenv.
type Env func(string) string

// LoadIdentities finds the identities for decryption, where the sops CLI
// finds them, so a machine set up for sops works with seal unchanged.
//
// Identity files given with --identity (files) are used alone when there are any:
// an explicit choice is never mixed with ambient keys. Otherwise every
// identity found in these places is used, in this order, as sops does:
// SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, and sops' default keys.txt
// ($XDG_CONFIG_HOME/sops/age/keys.txt, else ~/.config/sops/age/keys.txt on
// Linux; ~/Library/Application Support/sops/age/keys.txt on macOS unless
// XDG_CONFIG_HOME is set; %AppData%\sops\age\keys.txt on Windows).
//
// A place that is set but unreadable or malformed is an error (sops would
// skip it silently). It returns the sources used, for messages. When
// nothing is found the error wraps ErrNoIdentity and lists every place
// looked at.
func LoadIdentities(files []string, env Env, readFile func(string) ([]byte, error)) (*Ring, []string, error) {
	return loadIdentities(files, env, readFile, runtime.GOOS)
}

func loadIdentities(files []string, env Env, readFile func(string) ([]byte, error), goos string) (*Ring, []string, error) {
	ring := &Ring{}
	var used []string
	if len(files) > 0 {
		for _, f := range files {
			data, err := readFile(f)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: reading identity file (--identity): %w", f, err)
			}
			r, err := ParseIdentities(f, data)
			if err != nil {
				return nil, nil, err
			}
			ring.Add(r)
			used = append(used, f)
		}
		return ring, used, nil
	}

	var looked []string
	take := func(source string, r *Ring, err error) error {
		switch {
		case isNoIdentity(err):
			looked = append(looked, source+" (holds no key)")
		case err != nil:
			return err
		default:
			ring.Add(r)
			used = append(used, source)
		}
		return nil
	}

	if keyFile := env(EnvKeyFile); keyFile != "" {
		data, err := readFile(keyFile)
		if err != nil {
			return nil, nil, fmt.Errorf("%s (from %s): reading identity file: %w", keyFile, EnvKeyFile, err)
		}
		r, err := ParseIdentities(keyFile, data)
		if err := take(EnvKeyFile+"="+keyFile, r, err); err != nil {
			return nil, nil, err
		}
	} else {
		looked = append(looked, EnvKeyFile+" (not set)")
	}

	if inline := env(EnvKey); inline != "" {
		r, err := parseIdentities(EnvKey, []byte(inline), true)
		if err := take(EnvKey, r, err); err != nil {
			return nil, nil, err
		}
	} else {
		looked = append(looked, EnvKey+" (not set)")
	}

	keyFile, why := DefaultKeyFile(env, goos)
	if keyFile == "" {
		looked = append(looked, "sops' keys.txt ("+why+")")
	} else if data, err := readFile(keyFile); errors.Is(err, fs.ErrNotExist) {
		looked = append(looked, keyFile+" (does not exist)")
	} else if err != nil {
		return nil, nil, fmt.Errorf("%s: reading identity file: %w", keyFile, err)
	} else {
		r, err := ParseIdentities(keyFile, data)
		if err := take(keyFile, r, err); err != nil {
			return nil, nil, err
		}
	}

	if ring.Len() == 0 {
		return nil, nil, noIdentityError(looked, env(EnvKeyCmd) != "")
	}
	return ring, used, nil
}

func noIdentityError(looked []string, keyCmd bool) error {
	msg := fmt.Sprintf("%v: looked at %s; create a key with `seal keygen`, or pass an identity file with --identity FILE",
		ErrNoIdentity, strings.Join(looked, ", "))
	if keyCmd {
		msg += " (" + EnvKeyCmd + " is set, but seal does not run key commands: write the key to a file and pass --identity)"
	}
	return &noIdentity{msg}
}

type noIdentity struct{ msg string }

func (e *noIdentity) Error() string { return e.msg }
func (e *noIdentity) Unwrap() error { return ErrNoIdentity }

// DefaultKeyFile returns where sops looks for keys.txt on goos
// (runtime.GOOS), following sops 3.13's getUserConfigDir: on macOS a
// non-empty XDG_CONFIG_HOME wins, otherwise Go's os.UserConfigDir rule,
// applied to env. When there is no such place, it returns "" and why.
func DefaultKeyFile(env Env, goos string) (file, why string) {
	const rel = "sops/age/keys.txt"
	dir := ""
	switch goos {
	case "darwin", "ios":
		if dir = env("XDG_CONFIG_HOME"); dir == "" {
			if home := env("HOME"); home != "" {
				dir = home + "/Library/Application Support"
			} else {
				return "", "$HOME is not set"
			}
		}
	case "windows":
		if dir = env("AppData"); dir == "" {
			return "", "%AppData% is not set"
		}
	case "plan9":
		if dir = env("home"); dir == "" {
			return "", "$home is not set"
		}
		dir += "/lib"
	default:
		if dir = env("XDG_CONFIG_HOME"); dir == "" {
			if home := env("HOME"); home != "" {
				dir = home + "/.config"
			} else {
				return "", "neither $XDG_CONFIG_HOME nor $HOME is set"
			}
		} else if !strings.HasPrefix(dir, "/") {
			return "", "$XDG_CONFIG_HOME is a relative path"
		}
	}
	if goos == "windows" {
		return strings.TrimRight(dir, `\/`) + `\` + strings.ReplaceAll(rel, "/", `\`), ""
	}
	return path.Join(dir, rel), ""
}
