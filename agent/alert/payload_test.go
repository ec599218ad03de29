package alert

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

func fixtureEvent(kind Kind) Event {
	e := Event{Kind: kind, Namespace: "prod", Name: "apps", Reason: "RenderFailed",
		Message:  `apps/web.yaml: yaml: line 3: mapping values are not allowed in this context (<input> & more)`,
		Revision: "0123456789abcdef0123456789abcdef01234567", Author: "Ann Example", Subject: "break the web app",
		Time: time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)}
	if kind == Recovered {
		e.Reason, e.Message, e.Subject = "Succeeded", "Applied revision 0123456789ab (12 objects)", "fix the web app"
	}
	return e
}

// TestPayloadShapes keeps each target type's body in a golden file, and
// checks it is JSON of the documented shape.
func TestPayloadShapes(t *testing.T) {
	for _, typ := range []string{Slack, Teams, Generic} {
		for _, kind := range []Kind{Failing, StillFailing, Recovered} {
			t.Run(typ+"/"+string(kind), func(t *testing.T) {
				body, err := Payload(typ, fixtureEvent(kind))
				if err != nil {
					t.Fatal(err)
				}
				golden(t, typ+"-"+string(kind)+".json", body)
				var m map[string]any
				if err := json.Unmarshal(body, &m); err != nil {
					t.Fatal(err)
				}
				switch typ {
				case Slack:
					if _, ok := m["text"].(string); !ok {
						t.Errorf("slack payload has no text: %s", body)
					}
				case Teams:
					att := m["attachments"].([]any)[0].(map[string]any)
					if m["type"] != "message" || att["contentType"] != "application/vnd.microsoft.card.adaptive" ||
						att["content"].(map[string]any)["type"] != "AdaptiveCard" {
						t.Errorf("teams payload is not an Adaptive Card message: %s", body)
					}
				case Generic:
					if m["kind"] != string(kind) {
						t.Errorf("generic kind %v, want %s", m["kind"], kind)
					}
				}
			})
		}
	}
	if _, err := Payload("email", fixtureEvent(Failing)); err == nil {
		t.Error("unknown type accepted")
	}
}

// TestPayloadCapsTheMessage: a long Ready message is cut.
func TestPayloadCapsTheMessage(t *testing.T) {
	e := fixtureEvent(Failing)
	e.Message = string(make([]byte, 5000))
	body, err := Payload(Generic, e)
	if err != nil {
		t.Fatal(err)
	}
	var g genericBody
	if err := json.Unmarshal(body, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Message) > maxMessage {
		t.Errorf("message of %d bytes, want at most %d", len(g.Message), maxMessage)
	}
}
