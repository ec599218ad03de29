package crypto

import (
	"regexp"
	"strings"

	"github.com/getsops/sops/v3"
)

// sealState is what an encrypted document's binding looked like before
// decryption.
type sealState struct {
	present bool // the document has a binding annotation
	sealed  bool // it is a ciphertext that the file's rules decrypt
}

// sealStates reads the bindings of an encrypted tree before it is
// decrypted: after decryption a plaintext annotation and a decrypted one
// look alike.
func sealStates(branches sops.TreeBranches, r rules) []sealState {
	out := make([]sealState, len(branches))
	for i, b := range branches {
		v, ok := bindingValue(b)
		if !ok {
			continue
		}
		s, isStr := v.(string)
		out[i] = sealState{
			present: true,
			sealed:  isStr && encValueRe.MatchString(s) && (r.byComment || r.encrypted(bindingPath)),
		}
	}
	return out
}

// inputState reads the top-level binding of a whole-file input (see
// InputBindingKey) before decryption.
func inputState(branches sops.TreeBranches, r rules) sealState {
	if len(branches) == 0 {
		return sealState{}
	}
	v, ok := lookup(branches[0], InputBindingKey)
	if !ok {
		return sealState{}
	}
	s, isStr := v.(string)
	return sealState{present: true, sealed: isStr && encValueRe.MatchString(s) && (r.byComment || r.encrypted([]string{InputBindingKey}))}
}

// checkBindings compares each decrypted document's binding with its
// identity, and returns the Secret documents that have none.
func checkBindings(name string, branches sops.TreeBranches, states []sealState) (unbound []int, err error) {
	for i, b := range branches {
		if !states[i].present {
			if kind, _ := docKind(b); kind == "Secret" {
				unbound = append(unbound, i)
			}
			continue
		}
		v, _ := bindingValue(b)
		sealed, isStr := v.(string)
		if !states[i].sealed || !isStr || encValueRe.MatchString(sealed) {
			return nil, fileErr(name, ErrIdentityMismatch, "document %d has a %s annotation that is not encrypted, so anyone could have written it: the file was changed after encryption. Restore it from Git, or encrypt it again with `seal encrypt`", i+1, BindingAnnotation)
		}
		if got := identityOf(b); got != sealed {
			return nil, fileErr(name, ErrIdentityMismatch, "document %d was sealed as %s, but the file now describes %s: its kind or metadata was changed after encryption. Restore it from Git; if you made the change yourself with sops, decrypt it with sops, check it, and encrypt it again with `seal encrypt`", i+1, showIdentity(sealed), showIdentity(got))
		}
	}
	return unbound, nil
}

// showIdentity keeps an identity printable in a message. Identities are
// not secret, but a part of the current one could be any plaintext value
// of the file moved there, so only parts shaped like a Kubernetes kind,
// namespace or name are shown.
func showIdentity(id string) string {
	parts := strings.Split(id, "/")
	if len(parts) != 3 {
		return "(something that is not an identity)"
	}
	if !kindRe.MatchString(parts[0]) {
		parts[0] = "(unusual kind)"
	}
	for i, what := range []string{"", "(unusual namespace)", "(unusual name)"} {
		if i > 0 && !nameRe.MatchString(parts[i]) {
			parts[i] = what
		}
	}
	return strings.Join(parts, "/")
}

var (
	kindRe = regexp.MustCompile(`^[A-Za-z0-9]{0,63}$`)
	nameRe = regexp.MustCompile(`^[a-z0-9.-]{0,253}$`)
)
