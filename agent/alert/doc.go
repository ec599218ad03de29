// Package alert tells people when a GitSync stops converging and when it
// recovers: it decides which changes of the Ready condition deserve an
// alert (Tracker), shapes the message for Slack-compatible chats,
// Microsoft Teams and a generic JSON receiver (Payload), and delivers it
// in the background with retries and a rate limit per target
// (Dispatcher).
//
// An alert carries only what the GitSync's status already shows (its
// redacted Ready message, the revision, the commit's author and subject):
// never a value from a decrypted file. A target's URL is a credential
// read from a Secret: it is never logged, and never part of an error.
// Deliveries dial only what notify.AddressPolicy allows and never follow
// a redirect. Nothing here blocks or fails a sync.
package alert
