package bridge_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"neko/backend/bridge"
)

// BenchmarkAnalyzeRoundTrip measures send → agent ack → waiter released over
// real loopback ZeroMQ sockets, reporting p50/p99 in microseconds.
func BenchmarkAnalyzeRoundTrip(b *testing.B) {
	cfg := testConfig(b)
	m, a := startPair(b, cfg, nil)
	go func() {
		for range a.Analyze() {
		}
	}()
	ev := bridge.Event{LanlanName: bridge.For("小天"), Messages: []bridge.Message{{Role: "user", Content: "查一下明天的天气"}}}
	lat := make([]time.Duration, 0, b.N)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := m.Analyze(ctx, ev); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50_us")
	b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds()), "p99_us")
}
