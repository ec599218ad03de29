package bench_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/seal-gitops/seal/agent/source"
	"github.com/seal-gitops/seal/test/gitserver"
)

const (
	// pollAgents is how many agents poll the one git server.
	pollAgents = 1000
	// simulatedMinute is the wall time one simulated minute of polling is
	// compressed into. The figures are CPU time per simulated minute, so
	// compressing the minute changes none of them.
	simulatedMinute = 10 * time.Second
	// pollParallel bounds the polls in flight: on a loaded machine a poll
	// whose time has come waits for a free slot rather than piling up.
	pollParallel = 8
)

// BenchmarkIdlePoll1000Agents simulates 1,000 agents polling one git
// server once a minute, the repository unchanged: each agent is a
// goroutine with its own source.Fetcher and cache directory calling Fetch,
// the agent's own poll, over plain HTTP on loopback. The server runs in a
// process of its own (this test binary, started again), as
// "http-backend": test/gitserver, git http-backend behind Go's CGI handler;
// as "in-process-refs": the same, but ref advertisements answered by
// go-git's server in process, to show what a process per request costs;
// and as "in-process-refs-https": that over HTTPS, the agents trusting the
// server's CA through a CA bundle (source.Auth.CA), with which go-git
// opened a new connection, so a TLS handshake, for every poll until the
// fetcher kept one transport per CA bundle.
//
// One agent fetches the repository and the other 999 caches are copies of
// its cache (not measured). Then each benchmark iteration is one simulated
// minute: agent i polls at i/1,000 of it, the minute compressed into ten
// seconds of wall time, at most eight polls in flight. The server's CPU
// time (its own plus that of the processes it spawns and waits for: git
// http-backend and its git upload-pack, from getrusage in the server
// process: CPU seconds, not wall time, so a busy machine changes it
// little and compression not at all) per simulated minute, divided by 60
// seconds, is the share of one core the server needs; the goal is under
// 5%. It also reports the bytes on the wire per poll and the agents' CPU
// per poll, and fails unless every poll was exactly one info/refs request
// and no pack was fetched.
//
// The simulated agents share one process and so go-git's HTTP client and
// its pool of idle connections (two per host): real agents, one process
// each, would reuse a kept-alive connection less or more often.
//
//	go test -run '^$' -bench IdlePoll -benchtime 3x ./test/bench/
func BenchmarkIdlePoll1000Agents(b *testing.B) {
	for _, bc := range []struct {
		name  string
		o     gitserver.Options
		https bool
	}{
		{"http-backend", gitserver.Options{}, false},
		{"in-process-refs", gitserver.Options{AdvertiseInProcess: true}, false},
		{"in-process-refs-https", gitserver.Options{AdvertiseInProcess: true}, true},
	} {
		b.Run(bc.name, func(b *testing.B) { benchIdlePoll(b, bc.name, bc.o, bc.https) })
	}
}

func benchIdlePoll(b *testing.B, name string, o gitserver.Options, https bool) {
	srv := startPollServer(b, o)
	url, auth := srv.URL, source.Auth{Username: srv.Username, Password: srv.Password}
	if https {
		url, auth.CA = srv.HTTPSURL, srv.CA
	}
	dir := b.TempDir()
	var failures atomic.Int64
	agents := make([]*source.Fetcher, pollAgents)
	poll := func(i int) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		rev, err := agents[i].Fetch(ctx, "seal/env", url, source.Ref{Branch: "main"}, auth)
		switch {
		case err != nil:
			b.Errorf("agent %d: %v", i, err)
			failures.Add(1)
		case rev.SHA != srv.SHA:
			b.Errorf("agent %d fetched %s, want %s", i, rev.SHA, srv.SHA)
			failures.Add(1)
		}
	}
	for i := range agents {
		agents[i] = source.NewFetcher(filepath.Join(dir, fmt.Sprintf("agent-%04d", i)), source.Options{})
		if i == 0 {
			poll(0)
			continue
		}
		if err := os.CopyFS(filepath.Join(dir, fmt.Sprintf("agent-%04d", i)), os.DirFS(filepath.Join(dir, "agent-0000"))); err != nil {
			b.Fatal(err)
		}
	}
	if failures.Load() > 0 {
		b.FailNow()
	}
	setup := srv.usage(b)

	b.ResetTimer()
	selfBefore := cpuTime(syscall.RUSAGE_SELF)
	slots := make(chan struct{}, pollParallel)
	var wg sync.WaitGroup
	for range b.N {
		minute := time.Now()
		for i := range agents {
			time.Sleep(time.Until(minute.Add(simulatedMinute * time.Duration(i) / pollAgents)))
			slots <- struct{}{}
			wg.Go(func() {
				defer func() { <-slots }()
				poll(i)
			})
		}
		wg.Wait()
		time.Sleep(time.Until(minute.Add(simulatedMinute)))
	}
	agentCPU := cpuTime(syscall.RUSAGE_SELF) - selfBefore
	b.StopTimer()
	u := srv.usage(b)
	if failures.Load() > 0 {
		b.FailNow()
	}

	polls := b.N * pollAgents
	if u.InfoRefs != polls || u.UploadPacks != 0 || u.Other != 0 {
		b.Fatalf("%d polls of an unchanged repository: want %d info/refs requests and nothing else, got %v", polls, polls, u)
	}
	server := u.Self - setup.Self + u.Children - setup.Children
	children := u.Children - setup.Children
	core := 100 * (server / time.Duration(b.N)).Seconds() / time.Minute.Seconds()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(polls) }
	wire := float64(u.WireIn+u.WireOut) / float64(polls)
	b.ReportMetric(core, "server-core-%")
	b.ReportMetric(ms(server), "server-cpu-ms/poll")
	b.ReportMetric(ms(children), "spawned-cpu-ms/poll")
	b.ReportMetric(wire, "wire-B/poll")
	b.ReportMetric(ms(agentCPU), "agent-cpu-ms/poll")
	b.ReportMetric(float64(u.Conns)/float64(polls), "conns/poll")
	verdict := "under"
	if core >= 5 {
		verdict = "OVER"
	}
	fmt.Fprintf(os.Stderr, "\n1,000 agents polling one git server (%s) once a minute, %d simulated minutes\n", name, b.N)
	fmt.Fprintf(os.Stderr, "  server CPU   %6.2f%% of one core (%s the 5%% goal): %.2f ms a poll, %.2f ms of it in spawned git processes\n",
		core, verdict, ms(server), ms(children))
	fmt.Fprintf(os.Stderr, "  on the wire  %6.0f B a poll (%d B in, %d B out in all): one info/refs request, no pack; %.2f new connections a poll\n",
		wire, u.WireIn, u.WireOut, float64(u.Conns)/float64(polls))
	fmt.Fprintf(os.Stderr, "  agent CPU    %6.2f ms a poll (the 1,000 simulated agents' process)\n\n", ms(agentCPU))
}
