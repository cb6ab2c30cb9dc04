package llm_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"neko/backend/llm"
)

// connCounter is a provider that counts the connections it accepted and
// closed; hold, when set, blocks each request until it is closed.
type connCounter struct {
	srv            *httptest.Server
	opened, closed atomic.Int64
}

func newConnCounter(t *testing.T, hold <-chan struct{}, arrived *sync.WaitGroup) *connCounter {
	c := &connCounter{}
	c.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if hold != nil {
			arrived.Done()
			<-hold
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"c","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}`)
	}))
	c.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			c.opened.Add(1)
		case http.StateClosed:
			c.closed.Add(1)
		}
	}
	c.srv.Start()
	t.Cleanup(c.srv.Close)
	return c
}

// call builds a client for this one call, as memory summaries do.
func (c *connCounter) call(t *testing.T) {
	cl := llm.NewChatClient(llm.Endpoint{BaseURL: c.srv.URL + "/v1", APIKey: "k", Model: "m"}, llm.WithRetries(0, 0))
	res, err := cl.Complete(context.Background(), llm.ChatRequest{Messages: []llm.Message{{Role: "user", Content: "hello"}}})
	if err != nil || res.Text != "hi" {
		t.Errorf("complete: %v %+v", err, res)
	}
}

// Clients built per call share one pool: the second call reuses the first
// call's keep-alive connection instead of dialling (and, against a cloud
// provider, doing a TLS handshake) again.
func TestClientsBuiltPerCallReuseOneConnection(t *testing.T) {
	p := newConnCounter(t, nil, nil)
	for range 5 {
		p.call(t)
	}
	if n := p.opened.Load(); n != 1 {
		t.Fatalf("5 calls one after another opened %d connections, want 1 reused", n)
	}
}

// A burst of concurrent calls opens one connection each, but afterwards at
// most four stay idle for the host: the rest are closed at once, so bursts
// do not pile up sockets (each idle one is a socket and two goroutines).
func TestBurstLeavesAtMostFourIdleConnections(t *testing.T) {
	const burst = 10
	hold := make(chan struct{})
	var arrived, done sync.WaitGroup
	arrived.Add(burst)
	p := newConnCounter(t, hold, &arrived)
	for range burst {
		done.Go(func() { p.call(t) })
	}
	arrived.Wait() // all in flight at once: one connection each
	close(hold)
	done.Wait()
	if n := p.opened.Load(); n != burst {
		t.Fatalf("%d concurrent calls opened %d connections", burst, n)
	}
	for deadline := time.Now().Add(10 * time.Second); p.opened.Load()-p.closed.Load() > 4; {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still open after the burst, want at most 4 idle", p.opened.Load()-p.closed.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
