package testutil

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Frame is one WebSocket message a test client received: JSON text or binary.
type Frame struct {
	JSON   map[string]any
	Binary []byte
}

// WSClient is a real WebSocket client that records every frame in order,
// for tests that play the page's side of /ws/{name}.
type WSClient struct {
	T      testing.TB
	Conn   *websocket.Conn
	Frames chan Frame // closed when the connection ends
	wmu    sync.Mutex
}

// DialWS connects to url (ws://…) and starts recording; the connection is
// closed when the test ends.
func DialWS(tb testing.TB, url string, h http.Header) *WSClient {
	tb.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(url, h)
	if err != nil {
		tb.Fatal(err)
	}
	c := &WSClient{T: tb, Conn: ws, Frames: make(chan Frame, 4096)}
	go func() {
		defer close(c.Frames)
		for {
			typ, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			if typ == websocket.BinaryMessage {
				c.Frames <- Frame{Binary: data}
				continue
			}
			var m map[string]any
			_ = json.Unmarshal(data, &m)
			c.Frames <- Frame{JSON: m}
		}
	}()
	tb.Cleanup(func() { ws.Close() })
	return c
}

// Send writes v as a JSON text frame.
func (c *WSClient) Send(v any) {
	c.T.Helper()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.Conn.WriteJSON(v); err != nil {
		c.T.Fatal(err)
	}
}

// SendBinary writes b as a binary frame.
func (c *WSClient) SendBinary(b []byte) {
	c.T.Helper()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.Conn.WriteMessage(websocket.BinaryMessage, b); err != nil {
		c.T.Fatal(err)
	}
}

// Until collects frames until one matches, failing the test after d or
// when the connection closes first.
func (c *WSClient) Until(d time.Duration, match func(Frame) bool) []Frame {
	c.T.Helper()
	var got []Frame
	deadline := time.After(d)
	for {
		select {
		case f, ok := <-c.Frames:
			if !ok {
				c.T.Fatalf("connection closed; got %s", Describe(got))
			}
			got = append(got, f)
			if match(f) {
				return got
			}
		case <-deadline:
			c.T.Fatalf("timed out; got %s", Describe(got))
		}
	}
}

// Drain collects what arrives within d (less when the connection closes).
func (c *WSClient) Drain(d time.Duration) []Frame {
	var got []Frame
	deadline := time.After(d)
	for {
		select {
		case f, ok := <-c.Frames:
			if !ok {
				return got
			}
			got = append(got, f)
		case <-deadline:
			return got
		}
	}
}

// TypeIs matches a JSON frame of the given "type".
func TypeIs(typ string) func(Frame) bool {
	return func(f Frame) bool { return f.JSON != nil && f.JSON["type"] == typ }
}

// Describe lists frames one per line (binary ones as <binary>), for
// failure messages.
func Describe(fs []Frame) string {
	parts := make([]string, 0, len(fs))
	for _, f := range fs {
		if f.Binary != nil {
			parts = append(parts, "<binary>")
			continue
		}
		b, _ := json.Marshal(f.JSON)
		parts = append(parts, string(b))
	}
	return strings.Join(parts, "\n")
}
