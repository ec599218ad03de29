package keys

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRing(t *testing.T) {
	a, b, c := mustGenerate(t, Hybrid), mustGenerate(t, X25519), mustGenerate(t, Hybrid)
	tests := []struct {
		name string
		ring func() *Ring
		want []*Identity
	}{
		{"nil ring is empty", func() *Ring { return nil }, nil},
		{"new ring keeps order", func() *Ring { return NewRing(b, a, c) }, []*Identity{b, a, c}},
		{"new ring drops duplicates and nils", func() *Ring { return NewRing(a, nil, a, b, a) }, []*Identity{a, b}},
		{"add appends new identities only", func() *Ring {
			r := NewRing(a, b)
			r.Add(NewRing(b, c, a))
			r.Add(nil)
			return r
		}, []*Identity{a, b, c}},
		{"the same key parsed twice is a duplicate", func() *Ring {
			r := NewRing(a)
			parsed, err := ParseIdentities("k", a.MarshalText(testTime))
			if err != nil {
				t.Fatal(err)
			}
			r.Add(parsed)
			return r
		}, []*Identity{a}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.ring()
			var wantRecips []string
			for _, id := range tt.want {
				wantRecips = append(wantRecips, id.Recipient())
			}
			if diff := cmp.Diff(len(tt.want), r.Len()); diff != "" {
				t.Errorf("Len (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantRecips, r.Recipients()); diff != "" {
				t.Errorf("Recipients (-want +got):\n%s", diff)
			}
			ids, ageIDs := r.Identities(), r.AgeIdentities()
			if len(ids) != len(tt.want) || len(ageIDs) != len(tt.want) {
				t.Fatalf("got %d identities and %d age identities, want %d", len(ids), len(ageIDs), len(tt.want))
			}
			for i := range tt.want {
				if ids[i] != tt.want[i] || ageIDs[i] != tt.want[i].AgeIdentity() {
					t.Errorf("identity %d is not %s", i, Short(tt.want[i].Recipient()))
				}
				if !r.Contains(tt.want[i].Recipient()) {
					t.Errorf("Contains(%s) = false", Short(tt.want[i].Recipient()))
				}
			}
			if len(ids) > 0 {
				ids[0] = nil // the returned slice is the caller's
				if r.Identities()[0] == nil {
					t.Error("Identities returned the ring's own slice")
				}
			}
		})
	}
}
