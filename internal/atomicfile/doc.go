// Package atomicfile writes files so that readers, and a crash, see either
// the old content or the new, never a part: it writes a temporary file in
// the same directory, syncs it and renames it over the target.
package atomicfile
