package memory_test

import (
	"bufio"
	"context"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"neko/backend/llm"
	"neko/backend/llm/llmtest"
	"neko/backend/memory"
	"neko/backend/memory/msg"
	"neko/backend/memory/store"
)

type fact struct{ said, asked string }

func loadFacts(t testing.TB) []fact {
	f, err := os.Open("store/testdata/recall_facts.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []fact
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if said, asked, ok := strings.Cut(line, "|"); ok && !strings.HasPrefix(line, "#") {
			out = append(out, fact{strings.TrimSpace(said), strings.TrimSpace(asked)})
		}
	}
	return out
}

// TestRecallQualityProvider runs the recall set through the whole server
// with provider embeddings (the test provider's /v1/embeddings), after
// switching from the local model: the background worker re-embeds every
// entry, and progress reaches the total.
func TestRecallQualityProvider(t *testing.T) {
	facts := loadFacts(t)[:60] // plumbing and a figure; the full set runs in package store
	prov := llmtest.New(t)
	var useProvider atomic.Bool
	deps := memory.Deps{Endpoint: func(role string) llm.Endpoint {
		if role == memory.RoleEmbedding && useProvider.Load() {
			return llm.Endpoint{BaseURL: prov.BaseURL(), Model: "text-embedding-test"}
		}
		return llm.Endpoint{}
	}}
	cfg := memory.DefaultConfig(t.TempDir())
	cfg.EmbedInterval = 10 * time.Millisecond
	cfg.NoFsync = true
	srv, err := memory.New(cfg, deps, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	for s := 0; s*4 < len(facts); s++ {
		var turns []msg.Message
		for _, f := range facts[s*4 : min(len(facts), s*4+4)] {
			turns = append(turns, msg.Message{Role: msg.Human, Text: f.said}, msg.Message{Role: msg.AI, Text: "That's interesting! How did it feel?"})
		}
		if _, err := srv.Cache(ctx, "test", turns); err != nil {
			t.Fatal(err)
		}
	}
	measure := func() (r1, r5, r10 float64) {
		var h1, h5, h10 int
		for _, f := range facts {
			hits, err := srv.Recall(ctx, "test", store.Query{Text: f.asked, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			for rank, h := range hits {
				if h.Text == f.said {
					if rank < 1 {
						h1++
					}
					if rank < 5 {
						h5++
					}
					h10++
					break
				}
			}
		}
		n := float64(len(facts))
		return float64(h1) / n, float64(h5) / n, float64(h10) / n
	}
	// Entries were embedded locally on ingest; switching the model makes
	// the background worker re-embed all of them with the provider.
	if n, _ := srv.EmbeddingStatus(ctx, "test"); n["done"] != n["total"] {
		t.Fatalf("local embedding incomplete: %v", n)
	}
	useProvider.Store(true)
	st := func() map[string]any {
		m, err := srv.EmbeddingStatus(ctx, "test")
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	waitFor(t, "re-embedding with the provider model", func() bool {
		m := st()
		return m["total"].(int) > 0 && m["done"] == m["total"]
	})
	if len(prov.EmbeddingRequests()) == 0 {
		t.Fatal("no /v1/embeddings request reached the provider")
	}
	p1, p5, p10 := measure()
	t.Logf("provider embeddings (test provider, hashed bag of words)  recall@1=%.3f @5=%.3f @10=%.3f", p1, p5, p10)
	if p10 < 0.3 {
		t.Errorf("provider-embedding recall@10 %.3f: plumbing broken?", p10)
	}
}
