package agent

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
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

func TestSizeCapsAreValidated(t *testing.T) {
	for _, tc := range []struct {
		name    string
		set     func(o *Options)
		wantErr string
	}{
		{"defaults", func(*Options) {}, ""},
		{"a fetch cap of one byte", func(o *Options) { o.MaxFetchSize = 1 }, ""},
		{"no fetch cap", func(o *Options) { o.MaxFetchSize = 0 }, "--max-fetch-size must be positive"},
		{"a negative fetch cap", func(o *Options) { o.MaxFetchSize = -1 }, "--max-fetch-size must be positive"},
		{"no object cap", func(o *Options) { o.MaxObjectSize = 0 }, "--max-object-size must be positive"},
		{"no file cap", func(o *Options) { o.MaxFileSize = 0 }, "--max-file-size must be positive"},
		{"a file cap over the render cap", func(o *Options) { o.MaxFileSize = o.MaxRenderSize + 1 }, "at most --max-render-size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := defaultOptions(func(string) string { return "" })
			tc.set(&o)
			err := o.validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Errorf("error %v, want none", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestMaxFetchSizeFlag(t *testing.T) {
	for _, tc := range []struct {
		args             []string
		want, wantObject int64
	}{
		{nil, 256 << 20, 32 << 20},
		{[]string{"--max-fetch-size", "1048576", "--max-object-size", "4096"}, 1 << 20, 4096},
	} {
		o := defaultOptions(func(string) string { return "" })
		fs := pflag.NewFlagSet("seal-agent", pflag.ContinueOnError)
		o.bind(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if o.MaxFetchSize != tc.want || o.MaxObjectSize != tc.wantObject {
			t.Errorf("%v: MaxFetchSize = %d, MaxObjectSize = %d, want %d and %d", tc.args, o.MaxFetchSize, o.MaxObjectSize, tc.want, tc.wantObject)
		}
	}
}
