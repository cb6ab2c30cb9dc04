package audio_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"neko/backend/audio"
)

// wsConn adapts a server-side gorilla connection to audio.FrameWriter, as
// the conversation hub will.
type wsConn struct {
	mu sync.Mutex
	c  *websocket.Conn
}

func (w *wsConn) WriteJSON(v any) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.c.WriteJSON(v)
}

func (w *wsConn) WriteBinary(b []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.c.WriteMessage(websocket.BinaryMessage, b)
}

var _ audio.FrameWriter = (*wsConn)(nil)

// fanoutServer serves /ws/{name}, attaching every connection to f.
func fanoutServer(t *testing.T, f *audio.Fanout) *httptest.Server {
	t.Helper()
	up := websocket.Upgrader{}
	mux := http.NewServeMux()
	mux.HandleFunc("/ws/{name}", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		if tc, ok := c.NetConn().(*net.TCPConn); ok {
			_ = tc.SetWriteBuffer(8192) // make a stalled reader stall the writer soon
		}
		detach := f.Attach(r.PathValue("name"), &wsConn{c: c})
		defer detach()
		defer c.Close()
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func dial(t *testing.T, srv *httptest.Server, name string, readBuf int) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok && readBuf > 0 {
			_ = tc.SetReadBuffer(readBuf)
		}
		return c, err
	}}
	c, _, err := d.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/ws/"+name, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

type pair struct {
	header audio.AudioChunkHeader
	body   []byte
	at     time.Time
}

// readPairs reads header+binary pairs until n pairs or an error.
func readPairs(c *websocket.Conn, n int, out chan<- pair, errc chan<- error) {
	for i := 0; i < n; i++ {
		typ, msg, err := c.ReadMessage()
		if err != nil {
			errc <- err
			return
		}
		var h audio.AudioChunkHeader
		if typ != websocket.TextMessage || json.Unmarshal(msg, &h) != nil || h.Type != "audio_chunk" {
			errc <- errorf("want audio_chunk header, got %d %q", typ, msg)
			return
		}
		typ, body, err := c.ReadMessage()
		if err != nil {
			errc <- err
			return
		}
		if typ != websocket.BinaryMessage {
			errc <- errorf("want binary frame after header, got %d", typ)
			return
		}
		out <- pair{h, body, time.Now()}
	}
	errc <- nil
}

func errorf(format string, a ...any) error { return fmt.Errorf(format, a...) }

func waitClients(t *testing.T, f *audio.Fanout, character string, conns ...*websocket.Conn) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if f.Clients(character) == len(conns) {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("clients did not attach")
}

func TestFanoutDeliversPairsAndSurvivesAStalledClient(t *testing.T) {
	f := audio.NewFanout(audio.FanoutConfig{QueueLen: 256}, nil, nil)
	defer f.Close()
	srv := fanoutServer(t, f)
	a := dial(t, srv, "neko", 0)
	b := dial(t, srv, "neko", 0)
	stalled := dial(t, srv, "neko", 4096) // never reads
	other := dial(t, srv, "other", 0)     // another character: gets nothing
	_ = stalled
	waitClients(t, f, "neko", a, b, stalled)

	const n = 600
	chunk := make([]int16, 2048) // 4 KiB per frame: 2.4 MB per client in all
	results := make([]chan pair, 2)
	errs := make(chan error, 2)
	for i, c := range []*websocket.Conn{a, b} {
		results[i] = make(chan pair, n)
		go readPairs(c, n, results[i], errs)
	}
	sent := make(chan struct{})
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(sent)
		for i := range n {
			for j := range chunk {
				chunk[j] = int16(i*7 + j)
			}
			f.PCM("neko", "s1", chunk)
			// Stay within the reading clients' queues (however slowly
			// this machine schedules them); the stalled client overflows
			// regardless. PCM itself never waits.
			for i-min(len(results[0]), len(results[1])) > 128 {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Microsecond):
				}
			}
		}
	}()
	select {
	case <-sent:
	case <-time.After(60 * time.Second):
		t.Fatal("a stalled client blocked the sender (or the readers stopped)")
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for ci, ch := range results {
		for i := range n {
			p := <-ch
			if p.header.SpeechID != "s1" || p.header.LocalPlayback {
				t.Fatalf("client %d pair %d: header %+v", ci, i, p.header)
			}
			want := make([]int16, len(chunk))
			for j := range want {
				want[j] = int16(i*7 + j)
			}
			if !slices.Equal(audio.BytesToInt16LE(nil, p.body), want) {
				t.Fatalf("client %d: pair %d carries the wrong samples (reordered or lost)", ci, i)
			}
		}
	}
	if f.Dropped() == 0 {
		t.Fatal("the stalled client dropped nothing: its queue is not bounded")
	}
	t.Logf("dropped for the stalled client: %d", f.Dropped())
	_ = other.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, msg, err := other.ReadMessage(); err == nil {
		t.Fatalf("other character received %q", msg)
	}
}
