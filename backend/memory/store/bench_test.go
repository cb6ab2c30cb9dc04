//go:build linux

package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"neko/backend/memory/embed"
	"neko/backend/memory/msg"
	"neko/backend/memory/store"
)

// turnGen makes synthetic turns whose words follow Zipf's law over the 30k
// most frequent English words, like real chat text.
type turnGen struct {
	r     *rand.Rand
	z     *rand.Zipf
	vocab []string
}

func newTurnGen(m *embed.Model, seed uint64) *turnGen {
	src := rand.New(rand.NewPCG(seed, seed+1))
	return &turnGen{r: src, z: rand.NewZipf(src, 1.07, 2, 29_999), vocab: m.Vocabulary(30_000)}
}

func (g *turnGen) turn() string {
	n := 6 + g.r.IntN(14)
	w := make([]string, n)
	for i := range w {
		w[i] = g.vocab[g.z.Uint64()]
	}
	return strings.Join(w, " ")
}

// benchDB returns a database with n synthetic entries embedded with the
// local model, cached under os.TempDir() so runs after the first reuse it.
func benchDB(b *testing.B, m *embed.Model, n int) *store.DB {
	b.Helper()
	path := filepath.Join(os.TempDir(), "neko-memory-bench-v3-"+strconv.Itoa(n))
	ctx := context.Background()
	if _, err := os.Stat(path + ".done"); err != nil {
		os.Remove(path)
		os.Remove(path + "-wal")
		db, err := store.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		g := newTurnGen(m, 1)
		start := time.Now().Add(-365 * 24 * time.Hour)
		for i := 0; i < n; i += 500 {
			items := make([]store.Pending, 0, 500)
			for j := i; j < min(n, i+500); j++ {
				t := g.turn()
				items = append(items, store.Pending{Msg: msg.Message{Role: msg.Human, Text: t}, Vec: m.Embed(t)})
			}
			at := start.Add(time.Duration(i) * time.Minute)
			if _, err := db.Append(ctx, store.KindOriginal, "bench-"+strconv.Itoa(i/500), at, items, embed.ModelName); err != nil {
				b.Fatal(err)
			}
		}
		db.Close()
		if err := os.WriteFile(path+".done", nil, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	db, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.IndexSize(ctx, embed.ModelName); err != nil {
		b.Fatal(err)
	}
	return db
}

// BenchmarkIngest measures archiving one turn (user + assistant message,
// local embeddings, FTS5, one fsynced transaction).
func BenchmarkIngest(b *testing.B) {
	m, _ := embed.Bundled()
	db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "ingest"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	g := newTurnGen(m, 3)
	start := time.Now()
	n := 0
	for b.Loop() {
		u, a := g.turn(), g.turn()
		if _, err := db.Append(context.Background(), store.KindOriginal, "s", time.Now(), []store.Pending{
			{Msg: msg.Message{Role: msg.Human, Text: u}, Vec: m.Embed(u)},
			{Msg: msg.Message{Role: msg.AI, Text: a}, Vec: m.Embed(a)}}, embed.ModelName); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "turns/s")
}

func benchRecall(b *testing.B, n int) {
	m, _ := embed.Bundled()
	db := benchDB(b, m, n)
	facts := loadFacts(b)
	ctx := context.Background()
	var lat, cpuLat []time.Duration
	i := 0
	cpu0 := cpuTime()
	// Pin the goroutine so the thread's CPU clock measures each query's
	// own CPU time, which a loaded machine does not inflate.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for b.Loop() {
		q := facts[i%len(facts)].asked
		i++
		t0, c0 := time.Now(), threadCPU()
		sq := store.Query{Text: q, Vec: m.Embed(q), Model: embed.ModelName, Limit: 10}
		if a := m.NewAligner(q); a != nil {
			sq.Rerank = a.Score
		}
		if _, err := db.Search(ctx, sq); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
		cpuLat = append(cpuLat, threadCPU()-c0)
	}
	cpu := cpuTime() - cpu0
	sort.Slice(lat, func(a, c int) bool { return lat[a] < lat[c] })
	// CPU per query is robust against a loaded machine, where wall-clock
	// tails mostly measure waiting for a core.
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(len(lat)), "cpu-ms/op")
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
	lat = cpuLat
	sort.Slice(lat, func(a, c int) bool { return lat[a] < lat[c] })
	b.ReportMetric(pct(0.95), "cpu-p95-ms")
	runtime.GC()
	b.ReportMetric(rssMiB(), "rss-MiB")
}

// BenchmarkRecall10k and BenchmarkRecall100k measure hybrid recall latency
// (BM25 + cosine + word-alignment rerank + recency) over 10k / 100k entries.
func BenchmarkRecall10k(b *testing.B)  { benchRecall(b, 10_000) }
func BenchmarkRecall100k(b *testing.B) { benchRecall(b, 100_000) }

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// threadCPU is the calling thread's CPU time (RUSAGE_THREAD, Linux).
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssMiB reads the process's resident set from /proc (0 elsewhere).
func rssMiB() float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			var kb float64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, "VmRSS:"), "kB")), &kb)
			return kb / 1024
		}
	}
	return 0
}
