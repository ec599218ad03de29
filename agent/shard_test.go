package agent

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

func TestShardSelector(t *testing.T) {
	tests := []struct {
		shard  string
		labels map[string]string
		want   bool
	}{
		{"", nil, true},
		{"", map[string]string{"app": "x"}, true},
		{"", map[string]string{v1alpha1.LabelShard: "blue"}, false},
		{"", map[string]string{v1alpha1.LabelShard: ""}, false},
		{"blue", map[string]string{v1alpha1.LabelShard: "blue"}, true},
		{"blue", map[string]string{v1alpha1.LabelShard: "green"}, false},
		{"blue", nil, false},
	}
	for _, tt := range tests {
		sel, err := shardSelector(tt.shard)
		if err != nil {
			t.Fatalf("shardSelector(%q): %v", tt.shard, err)
		}
		if got := sel.Matches(labels.Set(tt.labels)); got != tt.want {
			t.Errorf("shard %q (selector %q) matches %v = %v, want %v", tt.shard, sel, tt.labels, got, tt.want)
		}
	}
}

func TestLeaderElectionIDPerShard(t *testing.T) {
	for shard, want := range map[string]string{
		"":     "seal-agent.seal.dev", // the Lease agents used before shards
		"blue": "seal-agent-blue.seal.dev",
	} {
		if got := leaderElectionID(shard); got != want {
			t.Errorf("leaderElectionID(%q) = %q, want %q", shard, got, want)
		}
	}
}

func TestConfigureShard(t *testing.T) {
	opts := defaultOptions(func(string) string { return "" })
	opts.Shard = "blue"
	var mgrOpts manager.Options
	if err := configureShard(&mgrOpts, opts); err != nil {
		t.Fatal(err)
	}
	if mgrOpts.LeaderElectionID != "seal-agent-blue.seal.dev" {
		t.Errorf("LeaderElectionID = %q", mgrOpts.LeaderElectionID)
	}
	var got string
	for obj, by := range mgrOpts.Cache.ByObject {
		if _, ok := obj.(*v1alpha1.GitSync); ok {
			got = by.Label.String()
		}
	}
	if diff := cmp.Diff(v1alpha1.LabelShard+"=blue", got); diff != "" {
		t.Errorf("GitSync cache selector (-want +got):\n%s", diff)
	}
	timings := []time.Duration{*mgrOpts.LeaseDuration, *mgrOpts.RenewDeadline, *mgrOpts.RetryPeriod}
	if diff := cmp.Diff([]time.Duration{15 * time.Second, 10 * time.Second, 2 * time.Second}, timings); diff != "" {
		t.Errorf("lease duration, renew deadline, retry period (-want +got):\n%s", diff)
	}
}

// TestShardFlagErrors runs seal-agent with bad --shard and leader election
// flags: each is a usage error (exit 2) naming the flag.
func TestShardFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--shard", "Blue"}, `--shard "Blue"`},
		{[]string{"--shard", "blue_1"}, `--shard "blue_1"`},
		{[]string{"--shard", strings.Repeat("a", 64)}, "--shard"},
		{[]string{"--leader-election-retry-period", "0s"}, "--leader-election-retry-period must be positive"},
		{[]string{"--leader-election-renew-deadline", "1s"}, "--leader-election-renew-deadline (1s) must be longer"},
		{[]string{"--leader-election-lease-duration", "10s"}, "--leader-election-lease-duration (10s) must be longer"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tt.args, func(string) string { return "" }, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("seal-agent %v: exit %d, stderr %q; want exit 2 and %q", tt.args, code, stderr.String(), tt.want)
		}
	}
}
