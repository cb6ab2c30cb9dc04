package tts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// DefaultHandshakeTimeout bounds a provider's connect-and-greet phase
// (WebSocket upgrade plus its session-created event, or HTTP headers).
const DefaultHandshakeTimeout = 10 * time.Second

const wsWriteTimeout = 10 * time.Second

// maxProviderMessage caps one WebSocket message from a provider.
const maxProviderMessage = 16 << 20

// dialWS opens a provider WebSocket; a refused upgrade becomes a
// ProviderError carrying the HTTP status and the body's message.
func dialWS(ctx context.Context, engine, url string, header http.Header, timeout time.Duration) (*websocket.Conn, error) {
	d := websocket.Dialer{HandshakeTimeout: timeout, Proxy: http.ProxyFromEnvironment}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	c, resp, err := d.DialContext(ctx, url, header)
	if err != nil {
		if resp != nil && resp.StatusCode >= 300 {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			return nil, providerHTTPError(engine, resp.StatusCode, body)
		}
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			return nil, fmt.Errorf("%s: connect %s: %w: %w", engine, redactURL(url), ErrReadyTimeout, err)
		}
		return nil, fmt.Errorf("%s: connect %s: %w", engine, redactURL(url), err)
	}
	c.SetReadLimit(maxProviderMessage)
	return c, nil
}

// providerHTTPError builds a ProviderError from an error response body in
// any of the common shapes: {"error":{"code","message"}}, {"code","message"},
// {"error":"text"}, or plain text.
func providerHTTPError(engine string, status int, body []byte) *ProviderError {
	pe := &ProviderError{Engine: engine, Status: status}
	var v struct {
		Error   json.RawMessage `json:"error"`
		Code    any             `json:"code"`
		Message string          `json:"message"`
		Msg     string          `json:"msg"`
	}
	if json.Unmarshal(body, &v) == nil {
		var inner struct {
			Code    any    `json:"code"`
			Message string `json:"message"`
			Status  string `json:"status"`
			Type    string `json:"type"`
		}
		var s string
		switch {
		case len(v.Error) > 0 && json.Unmarshal(v.Error, &inner) == nil:
			pe.Code, pe.Msg = firstNonEmpty(anyString(inner.Code), inner.Status, inner.Type), inner.Message
		case len(v.Error) > 0 && json.Unmarshal(v.Error, &s) == nil:
			pe.Msg = s
		default:
			pe.Code, pe.Msg = anyString(v.Code), firstNonEmpty(v.Message, v.Msg)
		}
		return pe
	}
	pe.Msg = strings.TrimSpace(string(body))
	if len(pe.Msg) > 300 {
		pe.Msg = pe.Msg[:300]
	}
	return pe
}

func anyString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprint(v)
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// redactURL drops the query (which may carry a key) from a URL for errors.
func redactURL(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}

func newEventID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "event_" + hex.EncodeToString(b[:])
}

func newTaskID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// wsStream is the shared state of a WebSocket utterance stream: a write
// lock, the done signal and the first error. Cancelling ctx closes the
// connection, which ends the read loop.
type wsStream struct {
	engine string
	conn   *websocket.Conn
	ctx    context.Context
	wmu    sync.Mutex
	once   sync.Once
	done   chan struct{}
	err    error
	stop   func() bool

	lastRead atomic.Int64 // unix nanos of the last message read
	watching atomic.Bool
}

func newWSStream(ctx context.Context, engine string, conn *websocket.Conn) *wsStream {
	s := &wsStream{engine: engine, conn: conn, ctx: ctx, done: make(chan struct{})}
	s.stop = context.AfterFunc(ctx, func() { conn.Close() })
	return s
}

func (s *wsStream) sendJSON(v any) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_ = s.conn.SetWriteDeadline(time.Now().Add(wsWriteTimeout))
	if err := s.conn.WriteJSON(v); err != nil {
		select {
		case <-s.done:
			return nil // the stream already ended; Err reports why
		default:
		}
		if s.ctx.Err() != nil {
			return s.ctx.Err()
		}
		return fmt.Errorf("%s: send: %w", s.engine, err)
	}
	return nil
}

// end finishes the stream once with err (nil: success) and closes the socket.
func (s *wsStream) end(err error) {
	s.once.Do(func() {
		if s.ctx.Err() == nil {
			s.err = err
		}
		s.stop()
		close(s.done) // before closing the socket: a failed write checks done
		s.conn.Close()
	})
}

// touch records that the provider sent something.
func (s *wsStream) touch() { s.lastRead.Store(time.Now().UnixNano()) }

// watchAfterFinish fails the stream when, after the end of the utterance
// was sent, the provider goes silent for idle (a hung peer).
func (s *wsStream) watchAfterFinish(idle time.Duration) {
	if idle <= 0 || !s.watching.CompareAndSwap(false, true) {
		return
	}
	start := time.Now().UnixNano()
	go func() {
		tick := time.NewTicker(min(idle/4, time.Second))
		defer tick.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-tick.C:
				last := max(s.lastRead.Load(), start)
				if time.Since(time.Unix(0, last)) > idle {
					s.end(fmt.Errorf("%s: %w: no audio for %s after the end of the utterance", s.engine, ErrReadyTimeout, idle))
					return
				}
			}
		}
	}()
}

func (s *wsStream) Done() <-chan struct{} { return s.done }

func (s *wsStream) Err() error {
	<-s.done
	return s.err
}

// readErr turns a read failure into the stream's error.
func (s *wsStream) readErr(err error) error {
	if s.ctx.Err() != nil {
		return nil
	}
	var ce *websocket.CloseError
	if errors.As(err, &ce) && ce.Code != websocket.CloseNormalClosure {
		return &ProviderError{Engine: s.engine, Code: fmt.Sprintf("close %d", ce.Code), Msg: ce.Text}
	}
	return fmt.Errorf("%s: connection lost: %w", s.engine, err)
}

// readJSONUntil reads text messages until handle returns true, ctx ends,
// or the deadline passes (then ErrReadyTimeout).
func readJSONUntil(ctx context.Context, engine string, c *websocket.Conn, timeout time.Duration, handle func(msg []byte) (bool, error)) error {
	if timeout <= 0 {
		timeout = DefaultHandshakeTimeout
	}
	stop := context.AfterFunc(ctx, func() { c.SetReadDeadline(time.Now()) })
	defer stop()
	_ = c.SetReadDeadline(time.Now().Add(timeout))
	defer c.SetReadDeadline(time.Time{})
	for {
		kind, msg, err := c.ReadMessage()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				return fmt.Errorf("%s: %w: no greeting within %s", engine, ErrReadyTimeout, timeout)
			}
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return &ProviderError{Engine: engine, Code: fmt.Sprintf("close %d", ce.Code), Msg: ce.Text}
			}
			return fmt.Errorf("%s: handshake: %w", engine, err)
		}
		if kind != websocket.TextMessage {
			continue
		}
		ok, err := handle(msg)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
}

// spare keeps one greeted connection from Prepare for the first utterance.
type spare struct {
	mu   sync.Mutex
	conn *websocket.Conn
	meta string
	at   time.Time
}

// maxSpareAge is how long a prepared connection is trusted; providers close
// idle sessions, so an older one is dropped and a fresh one dialled.
const maxSpareAge = 20 * time.Second

func (s *spare) put(c *websocket.Conn, meta string) {
	s.mu.Lock()
	old := s.conn
	s.conn, s.meta, s.at = c, meta, time.Now()
	s.mu.Unlock()
	if old != nil {
		old.Close()
	}
}

func (s *spare) take() (*websocket.Conn, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, meta := s.conn, s.meta
	s.conn = nil
	if c != nil && time.Since(s.at) > maxSpareAge {
		c.Close()
		return nil, ""
	}
	return c, meta
}

func (s *spare) close() {
	s.mu.Lock()
	c := s.conn
	s.conn = nil
	s.mu.Unlock()
	if c != nil {
		c.Close()
	}
}
