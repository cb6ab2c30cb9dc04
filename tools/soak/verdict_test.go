package main

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// samples makes one sample every 10 s over d, with the figures f returns.
func samples(d time.Duration, f func(i int, at time.Duration) Sample) []Sample {
	var out []Sample
	for i, at := 0, 10*time.Second; at <= d; i, at = i+1, at+10*time.Second {
		s := f(i, at)
		s.Elapsed = at
		out = append(out, s)
	}
	return out
}

func steady(i int, at time.Duration) Sample {
	// Startup spike in the warm-up, then noise around a flat line.
	rss := int64(200 << 10)
	if at < 60*time.Second {
		rss = 300 << 10
	}
	return Sample{RSSKiB: rss + int64(i%3)*1024, Goroutines: 120 + i%7, OpenFiles: 40 + i%3}
}

func TestWindows(t *testing.T) {
	s := samples(10*time.Minute, steady)
	warm, first, last := Windows(s, 10*time.Minute)
	if warm != 2*time.Minute {
		t.Fatalf("warm-up %s, want 20 %% of 10 min", warm)
	}
	// 60 samples, 48 after warm-up (120 s … 600 s), quarters of 12.
	if len(first) != 12 || len(last) != 12 || first[0].Elapsed != 120*time.Second || last[11].Elapsed != 600*time.Second {
		t.Fatalf("windows %d %d %s %s", len(first), len(last), first[0].Elapsed, last[11].Elapsed)
	}
	// A short run keeps at least 60 s of warm-up.
	if warm, _, _ := Windows(samples(2*time.Minute, steady), 2*time.Minute); warm != time.Minute {
		t.Fatalf("short warm-up %s", warm)
	}
}

func TestJudgePassesFlatRun(t *testing.T) {
	v := Judge(samples(10*time.Minute, steady), 10*time.Minute, 0, DefaultLimits())
	if !v.Pass {
		t.Fatalf("flat run failed:\n%s", v)
	}
}

func TestJudgeCatchesLeaks(t *testing.T) {
	cases := map[string]struct {
		f      func(i int, at time.Duration) Sample
		failed int64
		want   string
	}{
		"rss": {func(i int, at time.Duration) Sample {
			s := steady(i, at)
			s.RSSKiB += int64(i) * 400 // +0.4 MiB per sample: ~+10 % over the steady part
			return s
		}, 0, "RSS grew"},
		"rss held by the Go runtime": {func(i int, at time.Duration) Sample {
			s := steady(i, at)
			s.RSSKiB += int64(i) * 400
			s.AnonKiB += int64(i) * 400
			s.GoHeld += uint64(i) * 400 << 10 // the same growth, inside the Go heap
			return s
		}, 0, "anonymous memory +14.5 MiB (Go runtime +14.5 MiB)"},
		"goroutines": {func(i int, at time.Duration) Sample {
			s := steady(i, at)
			s.Goroutines += 2 * i // two per sample: +72 between the windows
			return s
		}, 0, "goroutines grew"},
		"files": {func(i int, at time.Duration) Sample {
			s := steady(i, at)
			s.OpenFiles += i // one per sample: +36 between the windows
			return s
		}, 0, "open files grew"},
		"failed turns": {steady, 1, "1 failed"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			v := Judge(samples(10*time.Minute, c.f), 10*time.Minute, c.failed, DefaultLimits())
			if v.Pass || !strings.Contains(strings.Join(v.Reasons, ";"), c.want) {
				t.Fatalf("want a failure %q, got:\n%s", c.want, v)
			}
		})
	}
}

func TestJudgeNeedsSamplesAfterWarmup(t *testing.T) {
	v := Judge(samples(70*time.Second, steady), 70*time.Second, 0, DefaultLimits())
	if v.Pass || !strings.Contains(v.String(), "need at least 2") {
		t.Fatalf("too short a run passed:\n%s", v)
	}
}

func TestMedian(t *testing.T) {
	get := func(s Sample) float64 { return float64(s.RSSKiB) }
	if m := median([]Sample{{RSSKiB: 5}, {RSSKiB: 1}, {RSSKiB: 3}}, get); m != 3 {
		t.Fatalf("odd median %v", m)
	}
	if m := median([]Sample{{RSSKiB: 4}, {RSSKiB: 1}, {RSSKiB: 3}, {RSSKiB: 2}}, get); m != 2.5 {
		t.Fatalf("even median %v", m)
	}
}

func TestJudgeIdle(t *testing.T) {
	var v Verdict
	v.Pass = true
	v.JudgeIdle(0.004, 30*time.Second, DefaultLimits())
	if !v.Pass || !strings.Contains(v.String(), "CPU at rest 0.40 %") {
		t.Fatalf("a quiet process failed:\n%s", v)
	}
	v.JudgeIdle(0.97, 30*time.Second, DefaultLimits())
	if v.Pass || !strings.Contains(strings.Join(v.Reasons, ";"), "spins") {
		t.Fatalf("a spinning process passed:\n%s", v)
	}
}

// cpuTime reads this very process and agrees with getrusage(2) about the
// CPU it burns (to the 10 ms tick of /proc).
func TestCPUTimeOfARealProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here")
	}
	rusage := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			t.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	r0 := rusage()
	c0, err := cpuTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for x := 0; rusage()-r0 < 300*time.Millisecond; x++ {
	}
	c1, err := cpuTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	r1 := rusage()
	if got, want := c1-c0, r1-r0; got < want-60*time.Millisecond || got > want+60*time.Millisecond {
		t.Fatalf("/proc says %v of CPU, getrusage %v", got, want)
	}
}
