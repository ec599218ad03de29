// Package receiver serves forge push webhooks (GitHub, GitLab, Gitea and
// Forgejo, Bitbucket Cloud, and a generic HMAC form) for Receiver objects,
// and asks for an immediate sync of the GitSyncs in the Receiver's
// namespace whose repository and branch the push names.
//
// A delivery is trusted only after its signature (or GitLab's token) is
// checked in constant time against the token of the Receiver's Secret.
// It must never trigger a GitSync outside the Receiver's namespace, never
// log or echo a request body or a token, and never read more than the
// body cap; every refusal looks the same from outside (401), whether the
// path names no Receiver or the signature is wrong.
package receiver
