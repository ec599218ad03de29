package agent_test

import (
	"time"

	"github.com/seal-gitops/seal/test/e2e/harness"
)

// maxAgentAnonMiB bounds the anonymous memory (heap, stacks, runtime; not
// the binary's file-backed pages) of every agent these tests start, faults
// included: a garbage-answering git server, a fetch over the cap, a
// repository over the size caps, an apiserver down or answering 429s.
// Their repositories are a few files; the agent peaks near 40 MiB syncing
// 1,001 objects in BenchmarkAgentSync, so a fault that made memory grow
// with what the attacker sends, or with time, would cross this.
const maxAgentAnonMiB = 128

// boundMemory samples p's anonymous memory until the env's checks run
// (after every agent stopped) and fails the test if it ever went over
// maxAgentAnonMiB.
func (e *env) boundMemory(p *harness.Process) {
	stop := p.SampleAnon(20 * time.Millisecond)
	e.afterStop = append(e.afterStop, func() {
		peak := stop()
		e.t.Logf("agent (pid %d) peak anonymous memory: %.1f MiB", p.Pid(), float64(peak)/(1<<20))
		if peak > maxAgentAnonMiB<<20 {
			e.t.Errorf("the agent's anonymous memory reached %.1f MiB, over the %d MiB these tests allow", float64(peak)/(1<<20), maxAgentAnonMiB)
		}
	})
}
