// Package sealcheck is the seal check: the stage between render and apply
// that decides where decrypted values may go.
//
// Renderers never hold a decrypted value: crypto.DecryptTokens hands them a
// token in place of each one, and kustomize (or any renderer after it)
// moves, copies and transforms tokens as it would the values. Check then
// looks at the final objects about to be applied. A token may stand only as
// a whole data or stringData value of the Secret whose kind, namespace and
// name it was sealed for (for a generator input, of the Secret its
// secretGenerator makes); there, and only there, Check puts the real value
// in its place. A token anywhere else (another object, a name, a label, an
// annotation, a key, part of a value), in raw or base64 form, refuses the
// whole revision, and so does a Secret value that came from no sealed file
// unless plaintext Secrets are allowed.
//
// Check never changes an object unless the whole set passes, and its errors
// name the sealed file and the object and field where the value would have
// landed, never a value.
package sealcheck
