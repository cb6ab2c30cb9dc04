package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Close-code status codes of the original (DashScope closes with 1007 on
// arrears and 1011 on server trouble; 1008 is a policy refusal).
const (
	Code1007Arrears = "ERROR_1007_ARREARS"
	Code1011        = "ERROR_1011_MIC_CHECK"
	Code1008        = "API_1008_FALLBACK"
)

var errSessionClosed = errors.New("llm: realtime session closed")

// dialWS opens a WebSocket and classifies handshake failures.
func dialWS(ctx context.Context, url string, header http.Header, timeout time.Duration) (*websocket.Conn, error) {
	d := websocket.Dialer{HandshakeTimeout: timeout, Proxy: http.ProxyFromEnvironment,
		ReadBufferSize: 32 << 10, WriteBufferSize: 32 << 10}
	conn, resp, err := d.DialContext(ctx, url, header)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if resp != nil {
			defer resp.Body.Close()
			data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			return nil, classifyHTTP(resp.StatusCode, errorMessage(data))
		}
		return nil, classifyTransport(err)
	}
	conn.SetReadLimit(16 << 20)
	return conn, nil
}

// wsSession runs the reader and writer goroutines of one socket. Only the
// reader emits events and closes the events channel.
type wsSession struct {
	conn   *websocket.Conn
	log    *slog.Logger
	sendQ  chan []byte
	events chan RealtimeEvent
	done   chan struct{}
	wg     sync.WaitGroup

	once     sync.Once
	mu       sync.Mutex
	err      error // terminal error, nil when closed by us
	byUs     bool
	writeErr error

	reasonFirst bool // classify close frames by their reason text first (Gemini)
}

func newWSSession(conn *websocket.Conn, maxInFlight int, log *slog.Logger) *wsSession {
	return &wsSession{conn: conn, log: log, sendQ: make(chan []byte, maxInFlight),
		events: make(chan RealtimeEvent, 256), done: make(chan struct{})}
}

// start runs the goroutines; handle is called by the reader for every text
// message and returns a fatal error to end the session.
func (s *wsSession) start(handle func(data []byte) error) {
	s.wg.Add(2)
	go s.writeLoop()
	go s.readLoop(handle)
}

func (s *wsSession) writeLoop() {
	defer s.wg.Done()
	for {
		select {
		case <-s.done:
			return
		case b := <-s.sendQ:
			_ = s.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := s.conn.WriteMessage(websocket.TextMessage, b); err != nil {
				s.mu.Lock()
				s.writeErr = err
				s.mu.Unlock()
				s.stop(false)
				return
			}
		}
	}
}

func (s *wsSession) readLoop(handle func([]byte) error) {
	defer s.wg.Done()
	defer close(s.events)
	// One read buffer for the session: handlers copy what they keep.
	var buf bytes.Buffer
	for {
		typ, r, err := s.conn.NextReader()
		if err == nil {
			buf.Reset()
			_, err = buf.ReadFrom(r)
		}
		if err != nil {
			s.finish(s.readError(err))
			return
		}
		if typ != websocket.TextMessage && typ != websocket.BinaryMessage {
			continue
		}
		if herr := handle(buf.Bytes()); herr != nil {
			s.finish(herr)
			return
		}
		if buf.Cap() > 1<<20 {
			buf = bytes.Buffer{} // do not pin a huge buffer after one big frame
		}
	}
}

// finish records the terminal error, emits it and stops.
func (s *wsSession) finish(err error) {
	s.mu.Lock()
	byUs := s.byUs
	if !byUs && s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
	if !byUs && err != nil {
		ev := RealtimeEvent{Kind: EventError, Code: ErrorCode(err), Err: err}
		select {
		case s.events <- ev:
		default:
			s.log.Warn("realtime event queue full; dropping final error", "err", err)
		}
	}
	s.stop(byUs)
}

func (s *wsSession) readError(err error) error {
	s.mu.Lock()
	byUs, werr := s.byUs, s.writeErr
	s.mu.Unlock()
	if byUs {
		return nil
	}
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		if s.reasonFirst {
			if code := classifyMessage(ce.Text); code != "" {
				return &Error{Code: code, Status: ce.Code, Message: ce.Text, Err: err}
			}
		}
		switch ce.Code {
		case websocket.CloseNormalClosure, websocket.CloseGoingAway:
			return &Error{Code: CodeConnectionClosed, Status: ce.Code, Message: "provider closed the session: " + ce.Text, Err: err}
		case 1007:
			return &Error{Code: Code1007Arrears, Status: ce.Code, Message: ce.Text, Err: err}
		case 1008:
			return &Error{Code: Code1008, Status: ce.Code, Message: ce.Text, Err: err}
		case 1011:
			return &Error{Code: Code1011, Status: ce.Code, Message: ce.Text, Err: err}
		}
		code := classifyMessage(ce.Text)
		if code == "" {
			code = CodeConnectionClosed
		}
		return &Error{Code: code, Status: ce.Code, Message: ce.Text, Err: err}
	}
	if werr != nil {
		return classifyTransport(werr)
	}
	return &Error{Code: CodeConnectionClosed, Message: "connection lost", Err: err}
}

// emit delivers an event unless the session is closing.
func (s *wsSession) emit(ev RealtimeEvent) {
	select {
	case s.events <- ev:
	case <-s.done:
	}
}

// stop closes the socket once.
func (s *wsSession) stop(byUs bool) {
	s.once.Do(func() {
		s.mu.Lock()
		if byUs {
			s.byUs = true
		}
		s.mu.Unlock()
		close(s.done)
		if byUs {
			_ = s.conn.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		}
		_ = s.conn.Close()
	})
}

// sendJSON queues v; it blocks while MaxInFlight sends are queued.
func (s *wsSession) sendJSON(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("llm: encode realtime event: %w", err)
	}
	select {
	case <-s.done:
		return s.closedErr()
	default:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case s.sendQ <- b:
		return nil
	case <-s.done:
		return s.closedErr()
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *wsSession) closedErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return fmt.Errorf("%w: %w", errSessionClosed, s.err)
	}
	return errSessionClosed
}

// Events returns the event stream.
func (s *wsSession) Events() <-chan RealtimeEvent { return s.events }

// Err reports why the session ended (nil while running or after Close).
func (s *wsSession) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the session and waits for its goroutines.
func (s *wsSession) Close() error {
	s.stop(true)
	s.wg.Wait()
	return nil
}
