package memory_test

import (
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"neko/backend/memory"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func TestTimeframeAndWindowedSearch(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.Local)}
	e := newEnvCfg(t, true, false, func(c *memory.Config) { c.Now = clk.now })
	scriptLLM(e, nil)
	e.do("POST", "/cache/test", history(t, "user", "We adopted a kitten called Pixel"))
	e.do("POST", "/process/test", "")
	clk.set(time.Date(2026, 3, 20, 10, 0, 0, 0, time.Local))
	e.do("POST", "/cache/test", history(t, "user", "Pixel the kitten learned to open doors"))
	e.do("POST", "/process/test", "")

	q := url.Values{"start": {"2026-03-15"}, "end": {"2026-03-25T00:00:00Z"}}
	_, body := e.do("GET", "/memory/test/timeframe?"+q.Encode(), "")
	if !strings.Contains(body, "open doors") || strings.Contains(body, "adopted") || strings.Count(body, `"session_id"`) != 2 {
		t.Fatalf("timeframe: %s", body)
	}
	_, body = e.do("GET", "/memory/test/search?q=kitten+Pixel", "")
	if !strings.Contains(body, "adopted") || !strings.Contains(body, "open doors") {
		t.Fatalf("unwindowed search: %s", body)
	}
	_, body = e.do("GET", "/memory/test/search?q=kitten+Pixel&end=2026-03-10", "")
	if !strings.Contains(body, "adopted") || strings.Contains(body, "open doors") {
		t.Fatalf("windowed search: %s", body)
	}
	if code, _ := e.do("GET", "/memory/test/search?q=x&start=yesterday", ""); code != 400 {
		t.Fatalf("bad time accepted: %d", code)
	}
}
