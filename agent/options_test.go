package agent

import (
	"strings"
	"testing"
)

func TestClusterNameIsValidated(t *testing.T) {
	for name, wantErr := range map[string]string{
		"default":               "",
		"prod-eu-1":             "",
		"":                      "--cluster-name",
		"Prod":                  "--cluster-name",
		"prod/eu":               "--cluster-name",
		strings.Repeat("a", 33): "at most 32",
	} {
		o := defaultOptions(func(string) string { return "" })
		o.ClusterName = name
		err := o.validate()
		if wantErr == "" {
			if err != nil {
				t.Errorf("%q: %v", name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%q: error %v, want %q", name, err, wantErr)
		}
	}
	if o := defaultOptions(func(string) string { return "" }); o.ClusterName != "default" {
		t.Errorf("default cluster name %q", o.ClusterName)
	}
}
