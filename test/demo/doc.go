// Command demo is `make demo`: a guided run of Seal on this machine with
// the binaries just built. It starts a real kube-apiserver and etcd
// (test/cluster), a git server (test/gitserver) and seal-agent as a local
// process, seals a Secret with the seal CLI the way a developer would, and
// narrates, step by step and with the evidence printed, what the agent does:
// the first sync, the Secret decrypted in the cluster while Git holds only
// ciphertext, drift corrected, a new commit rolled out, a removed file
// pruned, and `seal status` along the way.
//
// It must never leave anything behind: every process it started is stopped
// and its temporary directory removed, on success, on failure and on
// Ctrl-C. It must never print a secret value other than its own throwaway
// demo password, and it checks that seal-agent's log does not hold that
// one either. On failure it names the step that failed and exits non-zero.
package main
