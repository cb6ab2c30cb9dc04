package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// event is one message from a character's socket, or the read error that
// ended it.
type event struct {
	Type string
	Msg  map[string]any
	Err  error
}

// socket is a client of /ws/{name}, read by its own goroutine.
type socket struct {
	c      *websocket.Conn
	events chan event
	audio  *atomic.Int64 // binary audio bytes received
	done   chan struct{}
}

func dial(ctx context.Context, a *API, name string, audio *atomic.Int64) (*socket, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	c, res, err := d.DialContext(ctx, a.WSURL(name), http.Header{"Origin": {a.Base}})
	if err != nil {
		if res != nil {
			return nil, fmt.Errorf("dial /ws/%s: %w (status %d)", name, err, res.StatusCode)
		}
		return nil, fmt.Errorf("dial /ws/%s: %w", name, err)
	}
	s := &socket{c: c, events: make(chan event, 1024), audio: audio, done: make(chan struct{})}
	go s.read()
	return s, nil
}

func (s *socket) read() {
	defer close(s.done)
	for {
		typ, b, err := s.c.ReadMessage()
		if err != nil {
			s.push(event{Err: err})
			return
		}
		if typ == websocket.BinaryMessage {
			s.audio.Add(int64(len(b)))
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			s.push(event{Err: fmt.Errorf("malformed message %q: %w", truncate(string(b), 120), err)})
			continue
		}
		t, _ := m["type"].(string)
		s.push(event{Type: t, Msg: m})
	}
}

// push delivers ev, or drops it when the driver has stopped reading.
func (s *socket) push(ev event) {
	select {
	case s.events <- ev:
	case <-time.After(30 * time.Second):
	}
}

func (s *socket) send(v any) error {
	_ = s.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return s.c.WriteJSON(v)
}

// close ends the socket with a close frame (clean) or by dropping the TCP
// connection (abrupt, as a crashed page or a sleeping laptop does), and
// waits for the reader.
func (s *socket) close(clean bool) {
	if clean {
		_ = s.c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"),
			time.Now().Add(2*time.Second))
	}
	_ = s.c.NetConn().Close()
	go func() {
		for range s.events {
		}
	}()
	<-s.done
	close(s.events)
}
