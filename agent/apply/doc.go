// Package apply server-side applies the rendered objects of one GitSync,
// corrects drift and prunes what was removed from Git.
//
// An Applier applies in two stages (CustomResourceDefinitions and
// Namespaces, then everything else in parallel), checks every object it is
// about to write with a server-side dry-run before its first real write, so
// a bad commit leaves the cluster as it was, and remembers in memory what it
// last applied so that a sync in which nothing changed sends no write
// request at all. Prune deletes only objects that still carry the Applier's
// ownership labels, and Apply refuses, before writing anything, an object
// whose labels name another owner unless it was handed over; each owner
// applies with its own field manager.
//
// The package knows nothing of Git, decryption or the GitSync type: it takes
// unstructured objects and returns typed results. It must never build its
// own cluster client (the caller passes one, possibly impersonating), never
// persist anything (its memory of hashes includes Secrets and stays in the
// process), and never put a Secret's data in an error.
package apply
