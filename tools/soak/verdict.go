package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Sample is one reading of the neko process.
type Sample struct {
	Elapsed    time.Duration
	Turns      int64 // turns finished so far
	Errors     int64 // failures so far (turns, agent tasks, recalls, samples)
	RSSKiB     int64 // VmRSS
	AnonKiB    int64 // RssAnon: heap, stacks, private mappings
	FileKiB    int64 // RssFile: mapped files, mostly the executable's own pages
	Goroutines int   // from GET /api/debug/runtime
	HeapAlloc  uint64
	GoHeld     uint64        // bytes the Go runtime holds (Sys − HeapReleased); RSS beyond it is SQLite's and the kernel's
	OpenFiles  int           // entries of /proc/pid/fd
	Threads    int           // Threads: of /proc/pid/status
	CPU        time.Duration // user+system CPU time used so far
}

// Limits are the pass marks of the verdict.
type Limits struct {
	// MaxRSSGrowth is the largest allowed relative growth of the RSS median
	// from the first to the last post-warm-up window (0.05 = 5 %).
	MaxRSSGrowth float64
	// GoroutineSlack and FileSlack are added to the first window's maximum;
	// the last window's maximum may not exceed the sum. Each is the larger
	// of the absolute and the relative figure.
	GoroutineSlack, GoroutineSlackFrac float64
	FileSlack, FileSlackFrac           float64
	// MaxIdleCPU is the largest share of one core neko may use at rest after
	// the load (a spinning loop shows as about 1).
	MaxIdleCPU float64
}

// DefaultLimits are the marks `make soak` uses. Why these slacks: the
// driver keeps three characters busy, each with at most one streaming
// turn, one TTS stream, one agent task and one reconnect in flight, and a
// sample lands at a random phase of that work; the shared HTTP pools
// (backend/clientpool, the internal main → memory/agent client) add at most
// a few idle keep-alive connections per host. In steady 10-minute runs
// that swing was 68–78 goroutines and 55–59 open files over the whole run,
// and the window maxima were equal. A leak of one goroutine or file per
// turn (~1100 turns per 10 minutes), per connection (~200) or per ended
// session (~100, about 60 of them between the two windows) overshoots these
// marks several times over.
func DefaultLimits() Limits {
	return Limits{MaxRSSGrowth: 0.05, GoroutineSlack: 25, GoroutineSlackFrac: 0.15, FileSlack: 12, FileSlackFrac: 0.15,
		MaxIdleCPU: 0.05}
}

// Windows splits the samples for the verdict: warm-up is the first 20 % of
// the run but at least 60 s (capped at the whole run); the samples after it
// form the steady part, whose first and last quarters (at least 3 samples
// each, never overlapping) are compared.
func Windows(samples []Sample, duration time.Duration) (warmup time.Duration, first, last []Sample) {
	warmup = max(duration/5, 60*time.Second)
	warmup = min(warmup, duration)
	var steady []Sample
	for _, s := range samples {
		if s.Elapsed >= warmup {
			steady = append(steady, s)
		}
	}
	w := max(len(steady)/4, 3)
	if 2*w > len(steady) {
		w = len(steady) / 2
	}
	return warmup, steady[:w], steady[len(steady)-w:]
}

// Verdict is the outcome of a soak.
type Verdict struct {
	Pass    bool
	Reasons []string // why it failed
	Lines   []string // the figures behind each check
}

func (v Verdict) String() string {
	var b strings.Builder
	for _, l := range v.Lines {
		b.WriteString("  " + l + "\n")
	}
	if v.Pass {
		b.WriteString("VERDICT: PASS\n")
	} else {
		b.WriteString("VERDICT: FAIL\n")
		for _, r := range v.Reasons {
			b.WriteString("  - " + r + "\n")
		}
	}
	return b.String()
}

// Judge applies lim to the samples of a run of the given duration; failed
// is the number of failed turns and other errors counted by the driver.
func Judge(samples []Sample, duration time.Duration, failed int64, lim Limits) Verdict {
	v := Verdict{Pass: true}
	fail := func(format string, a ...any) {
		v.Pass = false
		v.Reasons = append(v.Reasons, fmt.Sprintf(format, a...))
	}
	if failed != 0 {
		fail("%d failed turns or errors (want 0)", failed)
	}
	v.Lines = append(v.Lines, fmt.Sprintf("errors: %d (want 0)", failed))
	warmup, first, last := Windows(samples, duration)
	if len(first) < 2 {
		fail("%d samples per window after the %s warm-up (need at least 2): run longer or sample more often", len(first), round(warmup))
		return v
	}
	span := func(w []Sample) string {
		return fmt.Sprintf("%s–%s", round(w[0].Elapsed), round(w[len(w)-1].Elapsed))
	}
	v.Lines = append(v.Lines, fmt.Sprintf("warm-up %s; first window %s, last window %s (%d samples each)",
		round(warmup), span(first), span(last), len(first)))

	m0 := median(first, func(s Sample) float64 { return float64(s.RSSKiB) })
	m1 := median(last, func(s Sample) float64 { return float64(s.RSSKiB) })
	growth := (m1 - m0) / m0
	v.Lines = append(v.Lines, fmt.Sprintf("RSS median %.1f → %.1f MiB: %+.2f %% (limit %+.0f %%)",
		m0/1024, m1/1024, 100*growth, 100*lim.MaxRSSGrowth))
	// The split tells a leak (anonymous memory) from the kernel paging in
	// more of the executable as new code paths run (file-backed, reclaimable).
	a0 := median(first, func(s Sample) float64 { return float64(s.AnonKiB) })
	a1 := median(last, func(s Sample) float64 { return float64(s.AnonKiB) })
	f0 := median(first, func(s Sample) float64 { return float64(s.FileKiB) })
	f1 := median(last, func(s Sample) float64 { return float64(s.FileKiB) })
	v.Lines = append(v.Lines, fmt.Sprintf("  of which anonymous %.1f → %.1f MiB, file-backed %.1f → %.1f MiB",
		a0/1024, a1/1024, f0/1024, f1/1024))
	// What the Go runtime holds tells Go heap growth from memory allocated
	// outside it (SQLite's page caches in the pure-Go driver).
	g0 := median(first, func(s Sample) float64 { return float64(s.GoHeld) / 1024 })
	g1 := median(last, func(s Sample) float64 { return float64(s.GoHeld) / 1024 })
	v.Lines = append(v.Lines, fmt.Sprintf("  the Go runtime holds %.1f → %.1f MiB", g0/1024, g1/1024))
	if m0 <= 0 || growth >= lim.MaxRSSGrowth {
		fail("RSS grew %.2f %% (limit %.0f %%): anonymous memory %+.1f MiB (Go runtime %+.1f MiB), file-backed pages %+.1f MiB",
			100*growth, 100*lim.MaxRSSGrowth, (a1-a0)/1024, (g1-g0)/1024, (f1-f0)/1024)
	}
	flat := func(name string, get func(Sample) float64, abs, frac float64) {
		base := maxOf(first, get)
		slack := math.Max(abs, math.Ceil(frac*base))
		end := maxOf(last, get)
		v.Lines = append(v.Lines, fmt.Sprintf("%s max %.0f → %.0f (limit %.0f = %.0f + slack %.0f)",
			name, base, end, base+slack, base, slack))
		if end > base+slack {
			fail("%s grew from max %.0f to %.0f (allowed %.0f)", name, base, end, base+slack)
		}
	}
	if cpu, wall := last[len(last)-1].CPU-first[0].CPU, last[len(last)-1].Elapsed-first[0].Elapsed; wall > 0 {
		v.Lines = append(v.Lines, fmt.Sprintf("CPU under load %.1f %% of one core (after the warm-up)", 100*cpu.Seconds()/wall.Seconds()))
	}
	flat("goroutines", func(s Sample) float64 { return float64(s.Goroutines) }, lim.GoroutineSlack, lim.GoroutineSlackFrac)
	flat("open files", func(s Sample) float64 { return float64(s.OpenFiles) }, lim.FileSlack, lim.FileSlackFrac)
	return v
}

// JudgeIdle adds the CPU share neko used at rest over d after the load.
func (v *Verdict) JudgeIdle(share float64, d time.Duration, lim Limits) {
	v.Lines = append(v.Lines, fmt.Sprintf("CPU at rest %.2f %% of one core over %s after the load (limit %.0f %%)",
		100*share, round(d), 100*lim.MaxIdleCPU))
	if share > lim.MaxIdleCPU {
		v.Pass = false
		v.Reasons = append(v.Reasons, fmt.Sprintf("neko used %.1f %% of a core at rest (limit %.0f %%): something spins",
			100*share, 100*lim.MaxIdleCPU))
	}
}

func median(w []Sample, get func(Sample) float64) float64 {
	xs := make([]float64, len(w))
	for i, s := range w {
		xs[i] = get(s)
	}
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

func maxOf(w []Sample, get func(Sample) float64) float64 {
	m := math.Inf(-1)
	for _, s := range w {
		m = math.Max(m, get(s))
	}
	return m
}

func round(d time.Duration) time.Duration { return d.Round(time.Second) }
