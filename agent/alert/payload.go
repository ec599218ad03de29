package alert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Target types, as spec.alerts[].type names them.
const (
	Slack   = "slack"
	Teams   = "teams"
	Generic = "generic"
)

// maxMessage bounds the Ready message an alert carries, in bytes; the
// GitSync's status has the whole of it.
const maxMessage = 1000

// Title is an event's one-line summary.
func (e Event) Title() string {
	gs := e.Namespace + "/" + e.Name
	switch e.Kind {
	case Recovered:
		return "GitSync " + gs + " recovered"
	case StillFailing:
		return "GitSync " + gs + " is still failing: " + e.Reason
	}
	return "GitSync " + gs + " is failing: " + e.Reason
}

// facts are the event's details as name/value pairs, in display order,
// leaving out what is empty.
func (e Event) facts() [][2]string {
	var out [][2]string
	add := func(name, value string) {
		if value != "" {
			out = append(out, [2]string{name, value})
		}
	}
	add("Reason", e.Reason)
	add("Revision", short(e.Revision))
	add("Author", e.Author)
	add("Commit", e.Subject)
	return out
}

// Payload is the JSON body for a target of type typ.
func Payload(typ string, e Event) ([]byte, error) {
	e.Message = capText(e.Message, maxMessage)
	var body any
	switch typ {
	case Slack:
		body = slackPayload(e)
	case Teams:
		body = teamsPayload(e)
	case Generic:
		body = genericPayload(e)
	default:
		return nil, fmt.Errorf("alert type %q: want %s, %s or %s", typ, Slack, Teams, Generic)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(body); err != nil {
		return nil, fmt.Errorf("alert type %s: %w", typ, err)
	}
	return buf.Bytes(), nil
}

// slackPayload is an incoming-webhook message with one attachment
// (https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks,
// attachments as in https://docs.slack.dev/legacy/legacy-messaging/legacy-secondary-message-attachments),
// which Mattermost and Rocket.Chat accept too. Slack reads &, < and > as
// markup, so they are escaped as its docs ask.
func slackPayload(e Event) map[string]any {
	color := "danger"
	if e.Kind == Recovered {
		color = "good"
	}
	var fields []map[string]any
	for _, f := range e.facts() {
		fields = append(fields, map[string]any{"title": f[0], "value": slackEscape(f[1]), "short": f[0] != "Commit"})
	}
	att := map[string]any{
		"color":    color,
		"fallback": slackEscape(e.Title()),
		"title":    slackEscape(e.Title()),
		"text":     slackEscape(e.Message),
		"fields":   fields,
		"footer":   "seal-agent",
		"ts":       e.Time.Unix(),
	}
	return map[string]any{"text": slackEscape(e.Title()), "attachments": []any{att}}
}

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func slackEscape(s string) string { return slackEscaper.Replace(s) }

// teamsPayload is an Adaptive Card in the message envelope that Teams'
// Workflows webhooks ("When a Teams webhook request is received") take
// (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using#send-adaptive-cards-using-an-incoming-webhook).
func teamsPayload(e Event) map[string]any {
	color := "Attention"
	if e.Kind == Recovered {
		color = "Good"
	}
	var facts []map[string]string
	for _, f := range e.facts() {
		facts = append(facts, map[string]string{"title": f[0], "value": f[1]})
	}
	body := []any{
		map[string]any{"type": "TextBlock", "text": e.Title(), "weight": "Bolder", "size": "Medium", "color": color, "wrap": true},
	}
	if e.Message != "" {
		body = append(body, map[string]any{"type": "TextBlock", "text": e.Message, "wrap": true})
	}
	if len(facts) > 0 {
		body = append(body, map[string]any{"type": "FactSet", "facts": facts})
	}
	card := map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard",
		"version": "1.4",
		"body":    body,
	}
	return map[string]any{
		"type": "message",
		"attachments": []any{map[string]any{
			"contentType": "application/vnd.microsoft.card.adaptive",
			"contentUrl":  nil,
			"content":     card,
		}},
	}
}

// genericBody is Seal's own alert JSON, for receivers that are not chats.
type genericBody struct {
	Kind     Kind       `json:"kind"`
	Summary  string     `json:"summary"`
	GitSync  genericRef `json:"gitSync"`
	Reason   string     `json:"reason"`
	Message  string     `json:"message"`
	Revision string     `json:"revision,omitempty"`
	Author   string     `json:"author,omitempty"`
	Subject  string     `json:"subject,omitempty"`
	Time     string     `json:"time"`
}

type genericRef struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

func genericPayload(e Event) genericBody {
	return genericBody{
		Kind: e.Kind, Summary: e.Title(), GitSync: genericRef{e.Namespace, e.Name},
		Reason: e.Reason, Message: e.Message, Revision: e.Revision, Author: e.Author, Subject: e.Subject,
		Time: e.Time.UTC().Format(time.RFC3339),
	}
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// capText cuts s to at most n bytes on a rune boundary, marking the cut.
func capText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
