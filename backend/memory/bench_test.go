package memory_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"neko/backend/memory"
	"neko/backend/memory/msg"
)

// BenchmarkCacheTurn measures one /cache of a user+assistant turn through
// the server: archive transaction with local embeddings and FTS5, then the
// atomic recent-file rewrite (both fsynced). A settle every 10 turns keeps
// recent memory at its usual size.
// The nofsync variant shows the CPU cost without the disk.
func BenchmarkCacheTurn(b *testing.B) {
	b.Run("fsync", func(b *testing.B) { benchCacheTurn(b, false) })
	b.Run("nofsync", func(b *testing.B) { benchCacheTurn(b, true) })
}

func benchCacheTurn(b *testing.B, noFsync bool) {
	cfg := memory.DefaultConfig(b.TempDir())
	cfg.NoFsync = noFsync
	srv, err := memory.New(cfg, memory.Deps{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	i := 0
	start := time.Now()
	for b.Loop() {
		turn := []msg.Message{{Role: msg.Human, Text: "I went to the market today and bought apples number " + strconv.Itoa(i)},
			{Role: msg.AI, Text: "[20260312 Thu 21:05] Apples are great, what will you make with them?"}}
		if _, err := srv.Cache(ctx, "bench", turn); err != nil {
			b.Fatal(err)
		}
		i++
		if i%10 == 0 {
			if err := srv.Settle(ctx, "bench", nil, false); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(i)/time.Since(start).Seconds(), "turns/s")
}

// BenchmarkNewDialog measures building the session prompt context.
func BenchmarkNewDialog(b *testing.B) {
	srv, err := memory.New(memory.DefaultConfig(b.TempDir()), memory.Deps{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	for i := 0; i < 9; i++ {
		srv.Cache(ctx, "bench", []msg.Message{{Role: msg.Human, Text: "line (aside) " + strconv.Itoa(i)}})
	}
	for b.Loop() {
		if _, err := srv.NewDialog(ctx, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}
