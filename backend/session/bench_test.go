package session_test

import (
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"neko/backend/config"
	"neko/backend/llm/llmtest"
)

// BenchmarkDeltaToFrame measures the engine's overhead from a provider's
// realtime text delta arriving on its socket to the gemini_response frame
// leaving for the page (both ends on loopback in this process).
func BenchmarkDeltaToFrame(b *testing.B) {
	t := &testing.T{}
	r := newRigB(b, t)
	hold := make(chan struct{})
	r.prov.ScriptRealtime(func(req llmtest.RealtimeRequest) llmtest.RealtimeReply {
		return llmtest.RealtimeReply{Chunks: []string{"开始"}, Hold: hold}
	})
	c := r.dialB(b, "小天")
	c.Send(map[string]any{"action": "start_session", "input_type": "audio"})
	c.Until(10*time.Second, typeIs("session_started"))
	conn := <-r.prov.RealtimeConns()
	conn.Respond()
	c.Until(10*time.Second, typeIs("gemini_response"))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		marker := "d" + strconv.Itoa(i)
		t0 := time.Now()
		conn.Send(map[string]any{"type": "response.output_audio_transcript.delta", "response_id": "resp_1", "item_id": "item_1",
			"output_index": 0, "content_index": 0, "delta": marker})
		c.Until(10*time.Second, func(f frame) bool {
			return f.JSON != nil && f.JSON["type"] == "gemini_response" && f.JSON["text"] == marker
		})
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	close(hold)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50_us")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99_us")
}

// BenchmarkConcurrentAudioClients: 200 pages (one per character) each
// stream 1 s of mic audio (100 JSON frames) into their own realtime session;
// every frame must reach the provider (loss is reported and fails the run).
func BenchmarkConcurrentAudioClients(b *testing.B) {
	const clients, frames = 200, 100
	for n := 0; n < b.N; n++ {
		t := &testing.T{}
		r := newRigB(b, t, func(c *config.Characters) {
			for i := 0; i < clients; i++ {
				c.List = append(c.List, &config.Character{Name: fmt.Sprintf("c%03d", i), Profile: config.NewObject()})
			}
		})
		connCh := make(chan *llmtest.RealtimeConn, clients)
		go func() {
			for i := 0; i < clients; i++ {
				connCh <- <-r.prov.RealtimeConns()
			}
		}()
		cs := make([]*client, clients)
		for i := range cs {
			cs[i] = r.dialB(b, fmt.Sprintf("c%03d", i))
			cs[i].Send(map[string]any{"action": "start_session", "input_type": "audio"})
		}
		conns := make([]*llmtest.RealtimeConn, 0, clients)
		for i := range cs {
			cs[i].Until(60*time.Second, typeIs("session_started"))
			conns = append(conns, <-connCh)
		}
		micFrame := make([]int, 480)
		for i := range micFrame {
			micFrame[i] = (i % 40) * 300
		}
		t0 := time.Now()
		var wg sync.WaitGroup
		for _, c := range cs {
			wg.Add(1)
			go func(c *client) {
				defer wg.Done()
				for f := 0; f < frames; f++ {
					c.Send(map[string]any{"action": "stream_data", "input_type": "audio", "data": micFrame})
				}
			}(c)
		}
		wg.Wait()
		// 480 samples at 48 kHz → 160 samples at 16 kHz = 320 bytes a frame
		// (OpenAI-family sessions take 24 kHz: 480 bytes).
		deadline := time.Now().Add(30 * time.Second)
		lost := 0
		for {
			lost = 0
			for _, conn := range conns {
				if got := conn.ReceivedAudio(); got < frames*300 {
					lost++
				}
			}
			if lost == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		b.ReportMetric(float64(clients*frames)/time.Since(t0).Seconds(), "frames/s")
		b.ReportMetric(float64(lost), "sessions_with_loss")
		if lost > 0 {
			b.Fatalf("%d of %d sessions did not receive all their audio", lost, clients)
		}
		for _, c := range cs {
			c.Conn.Close()
		}
	}
}

// BenchmarkIdleSessionMemory reports the heap held per character whose page
// is connected but idle (no provider session).
func BenchmarkIdleSessionMemory(b *testing.B) {
	const n = 200
	t := &testing.T{}
	r := newRigB(b, t, func(c *config.Characters) {
		for i := 0; i < n; i++ {
			c.List = append(c.List, &config.Character{Name: fmt.Sprintf("idle%03d", i), Profile: config.NewObject()})
		}
	})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	cs := make([]*client, n)
	for i := range cs {
		cs[i] = r.dialB(b, fmt.Sprintf("idle%03d", i))
		cs[i].Send(map[string]any{"action": "ping"})
		cs[i].Until(10*time.Second, typeIs("pong"))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	for i := 0; i < b.N; i++ {
	}
	// Both ends of each socket live in this process; half is the server's.
	perSession := float64(after.HeapAlloc-before.HeapAlloc) / n / 2
	b.ReportMetric(perSession/1024, "KiB/idle_session")
	_ = strings.TrimSpace
}
