package faults_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"neko/backend/services"
	"neko/backend/testutil"
	"neko/backend/testutil/servertest"
)

func TestMain(m *testing.M) { servertest.Main(m, "NEKO_FAULTS_CHILD_ARGS") }

// logBuf collects a server's log for assertions and failure messages.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *logBuf) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// start runs servers in this process; they stop at cleanup, or earlier
// when the test calls stop (once: Shutdown is not meant to run twice).
func start(t testing.TB, o services.Options) (s *services.Services, logs *logBuf, stop func()) {
	t.Helper()
	logs = &logBuf{}
	o.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := services.Start(context.Background(), o)
	if err != nil {
		t.Fatalf("start: %v\n%s", err, logs)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			if err := s.Shutdown(ctx); err != nil {
				t.Errorf("shutdown: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return s, logs, stop
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// call sends a JSON request to the main server with the page's token and
// Origin, as the frontend does; it returns the status and the raw body.
func call(t testing.TB, s *services.Services, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, fmt.Sprintf("http://127.0.0.1:%d%s", s.Ports.Main, path), rd)
	req.Header.Set("X-Neko-Token", s.Token())
	req.Header.Set("Origin", fmt.Sprintf("http://127.0.0.1:%d", s.Ports.Main))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	rb, _ := io.ReadAll(res.Body)
	return res.StatusCode, rb
}

// mustCall is call that fails the test unless the answer is 200 and not
// {"success":false}.
func mustCall(t testing.TB, s *services.Services, method, path string, body any) map[string]any {
	t.Helper()
	code, rb := call(t, s, method, path, body)
	var out map[string]any
	if err := json.Unmarshal(rb, &out); err != nil || code != 200 || out["success"] == false {
		t.Fatalf("%s %s = %d %s", method, path, code, rb)
	}
	return out
}

// page is a WebSocket client of /ws/{name} that reads its JSON frames
// with a deadline and keeps what it saw for failure messages.
type page struct {
	t    testing.TB
	c    *testutil.WSClient
	seen []map[string]any
}

func openPage(t testing.TB, s *services.Services, name string) *page {
	t.Helper()
	url := fmt.Sprintf("ws://127.0.0.1:%d/ws/%s?token=%s", s.Ports.Main, name, s.Token())
	c := testutil.DialWS(t, url, http.Header{"Origin": {fmt.Sprintf("http://127.0.0.1:%d", s.Ports.Main)}})
	return &page{t: t, c: c}
}

func (p *page) send(v any) { p.t.Helper(); p.c.Send(v) }

// sayText sends one typed chat message.
func (p *page) sayText(text string) {
	p.send(map[string]any{"action": "stream_data", "input_type": "text", "data": text})
}

// waitFor returns the first message matching ok within d, or fails with
// what was seen.
func (p *page) waitFor(d time.Duration, what string, ok func(m map[string]any) bool) map[string]any {
	p.t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case f, open := <-p.c.Frames:
			if !open {
				p.t.Fatalf("socket closed while waiting for %s; seen %s", what, p.summary())
			}
			m := f.JSON
			if m == nil {
				continue // binary audio
			}
			p.seen = append(p.seen, m)
			if ok(m) {
				return m
			}
		case <-timer.C:
			p.t.Fatalf("no %s within %v; seen %s", what, d, p.summary())
		}
	}
}

// task waits for an agent_task_update with the given status (of the task
// with id, when id is not nil) and returns its task.
func (p *page) task(d time.Duration, what string, id any, status string) map[string]any {
	p.t.Helper()
	return p.waitFor(d, what, func(m map[string]any) bool {
		task, _ := m["task"].(map[string]any)
		return m["type"] == "agent_task_update" && task["status"] == status && (id == nil || task["id"] == id)
	})["task"].(map[string]any)
}

// reply collects one streamed answer up to "turn end".
func (p *page) reply(d time.Duration) string {
	p.t.Helper()
	var text strings.Builder
	p.waitFor(d, "a streamed reply", func(m map[string]any) bool {
		if m["type"] == "gemini_response" {
			s, _ := m["text"].(string)
			text.WriteString(s)
		}
		return m["type"] == "system" && m["data"] == "turn end" && text.Len() > 0
	})
	return text.String()
}

func (p *page) summary() string {
	var types []string
	for _, m := range p.seen {
		s := fmt.Sprint(m["type"])
		if m["type"] == "status" || m["type"] == "system" {
			s += fmt.Sprintf("(%v%v)", m["message"], m["data"])
		}
		if m["type"] == "agent_task_update" {
			if task, ok := m["task"].(map[string]any); ok {
				s += fmt.Sprintf("(%v)", task["status"])
			}
		}
		types = append(types, s)
	}
	if len(types) > 60 {
		types = append(types[:20], append([]string{"…"}, types[len(types)-40:]...)...)
	}
	return strings.Join(types, " ")
}

// eventually polls cond every 20 ms until it holds or d passes.
func eventually(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}
