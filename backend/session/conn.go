package session

import (
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// conn is one browser/desktop client. Writes are serialised; an audio
// header and its binary frame are written by the fan-out's goroutine for this
// client, so they stay paired.
type conn struct {
	ws       *websocket.Conn
	id       string
	wmu      sync.Mutex
	out      chan any // JSON messages, written by writeLoop
	closed   chan struct{}
	closeOne sync.Once
}

const writeWait = 5 * time.Second

func newConn(ws *websocket.Conn, id string) *conn {
	c := &conn{ws: ws, id: id, out: make(chan any, 512), closed: make(chan struct{})}
	go c.writeLoop()
	return c
}

// send queues a JSON message without blocking the caller (the session's
// actor). A client whose queue is full cannot keep up and is disconnected;
// it reconnects and the session continues.
func (c *conn) send(v any) {
	select {
	case <-c.closed:
	case c.out <- v:
	default:
		c.close()
	}
}

func (c *conn) writeLoop() {
	for {
		select {
		case <-c.closed:
			return
		case v := <-c.out:
			if err := c.WriteJSON(v); err != nil {
				return
			}
		}
	}
}

var errConnClosed = errors.New("session: client connection closed")

// WriteJSON sends one text frame.
func (c *conn) WriteJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.write(websocket.TextMessage, b)
}

// WriteBinary sends one binary frame.
func (c *conn) WriteBinary(b []byte) error { return c.write(websocket.BinaryMessage, b) }

func (c *conn) write(typ int, b []byte) error {
	select {
	case <-c.closed:
		return errConnClosed
	default:
	}
	c.wmu.Lock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
	err := c.ws.WriteMessage(typ, b)
	c.wmu.Unlock() // before close, which takes wmu itself
	if err != nil {
		c.close()
		return err
	}
	return nil
}

func (c *conn) close() {
	c.closeOne.Do(func() {
		close(c.closed)
		c.wmu.Lock()
		_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		c.wmu.Unlock()
		_ = c.ws.Close()
	})
}

// statusMessage is the original's status frame: message is a JSON string
// {"code":…,"details":…} the page translates.
func statusMessage(code string, details map[string]any) map[string]any {
	if details == nil {
		details = map[string]any{}
	}
	b, _ := json.Marshal(map[string]any{"code": code, "details": details})
	return map[string]any{"type": "status", "message": string(b)}
}
