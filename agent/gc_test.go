package agent

import "testing"

func TestGCPercent(t *testing.T) {
	for _, tt := range []struct {
		gogc    string
		want    int
		wantSet bool
	}{
		{"", defaultGCPercent, true},
		{"100", 0, false},
		{"off", 0, false},
	} {
		got, set := gcPercent(func(k string) string {
			if k == "GOGC" {
				return tt.gogc
			}
			return ""
		})
		if got != tt.want || set != tt.wantSet {
			t.Errorf("GOGC=%q: gcPercent = %d, %v; want %d, %v", tt.gogc, got, set, tt.want, tt.wantSet)
		}
	}
}
