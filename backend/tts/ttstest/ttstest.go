// Package ttstest has local servers that speak the exact wire protocols of
// the TTS providers neko supports (Qwen realtime, StepFun, DashScope
// CosyVoice, GLM CogTTS, Gemini, OpenAI, GPT-SoVITS v3, local CosyVoice),
// scripted for tests: normal speech, endless speech for interrupts, a
// silent server for ready timeouts, rejected keys and provider error events.
// The conversation tests reuse them.
package ttstest

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Script says how a server behaves.
type Script struct {
	// APIKey, when set, is required (Bearer header, x-goog-api-key or
	// ?key=); a wrong key gets the provider's 401 answer.
	APIKey string
	// RejectStatus answers every connection with this HTTP status and the
	// provider's error body (e.g. 401, 429, 500).
	RejectStatus int
	// Silent accepts connections but never greets or answers, so clients
	// hit their ready/response timeout.
	Silent bool
	// FailCode and FailMessage, when FailCode is set, make the server send
	// the provider's error event (or HTTP error) for the first text.
	FailCode, FailMessage string
	// Endless streams audio for each text until the client goes away.
	Endless bool
	// Chunks is the number of audio chunks per text (default 3), each
	// ChunkMillis long (default 40).
	Chunks, ChunkMillis int
	// Rate overrides the audio rate where the protocol lets the server
	// choose (GPT-SoVITS WAV chunks, CogTTS return_sample_rate).
	Rate int
	// Watermark starts CogTTS answers with beeps, as the real service does.
	Watermark bool
}

func (s Script) chunks() int {
	if s.Chunks <= 0 {
		return 3
	}
	return s.Chunks
}

func (s Script) chunkMillis() int {
	if s.ChunkMillis <= 0 {
		return 40
	}
	return s.ChunkMillis
}

// Server is a running protocol server.
type Server struct {
	// URL is the base address to configure the engine with.
	URL string

	srv *httptest.Server

	mu       sync.Mutex
	script   Script
	texts    []string
	events   []string
	requests []map[string]any
	opened   int
	closed   int
	changed  chan struct{}
}

func newServer(script Script, h func(s *Server) http.Handler, scheme string) *Server {
	s := &Server{script: script, changed: make(chan struct{})}
	s.srv = httptest.NewServer(h(s))
	s.URL = s.srv.URL
	if scheme == "ws" {
		s.URL = "ws" + strings.TrimPrefix(s.srv.URL, "http")
	}
	return s
}

// SetScript changes the behaviour for the next connections and texts.
func (s *Server) SetScript(sc Script) {
	s.mu.Lock()
	s.script = sc
	s.mu.Unlock()
}

func (s *Server) sc() Script {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.script
}

// Close stops the server and drops its connections.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

func (s *Server) note(f func()) {
	s.mu.Lock()
	f()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

func (s *Server) addText(t string)            { s.note(func() { s.texts = append(s.texts, t) }) }
func (s *Server) addEvent(e string)           { s.note(func() { s.events = append(s.events, e) }) }
func (s *Server) addRequest(m map[string]any) { s.note(func() { s.requests = append(s.requests, m) }) }

// Texts returns the texts clients sent, in order.
func (s *Server) Texts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.texts...)
}

// Events returns the names of the client events (or HTTP calls) received.
func (s *Server) Events() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.events...)
}

// Requests returns the decoded JSON messages or bodies clients sent.
func (s *Server) Requests() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.requests...)
}

// Connections reports how many connections were opened and have ended.
func (s *Server) Connections() (opened, closed int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opened, s.closed
}

// WaitFor polls cond on every recorded change until it holds or timeout.
func (s *Server) WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return true
		}
		select {
		case <-ch:
		case <-deadline:
			return cond()
		}
	}
}

// Tone returns ms milliseconds of a 440 Hz sine at rate, s16le mono, at
// about -12 dBFS.
func Tone(rate, ms int) []byte {
	n := rate * ms / 1000
	b := make([]byte, 2*n)
	for i := 0; i < n; i++ {
		v := int16(8000 * math.Sin(2*math.Pi*440*float64(i)/float64(rate)))
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}

// Beeps returns the watermark CogTTS puts before speech: three 40 ms
// 3 kHz beeps 40 ms apart (about 0.2 s), s16le mono.
func Beeps(rate int) []byte {
	n := rate * 40 / 1000
	b := make([]byte, 0, 2*n*5)
	for k := 0; k < 5; k++ {
		for i := 0; i < n; i++ {
			v := int16(0)
			if k%2 == 0 {
				v = int16(12000 * math.Sin(2*math.Pi*3000*float64(i)/float64(rate)))
			}
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		}
	}
	return b
}

// WAV wraps s16le mono PCM in a 44-byte RIFF header.
func WAV(rate int, pcm []byte) []byte {
	b := make([]byte, 0, 44+len(pcm))
	b = append(b, "RIFF"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(36+len(pcm)))
	b = append(b, "WAVEfmt "...)
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint32(b, uint32(rate))
	b = binary.LittleEndian.AppendUint32(b, uint32(2*rate))
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, 16)
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(pcm)))
	return append(b, pcm...)
}

// checkBearer reports whether the request carries the scripted key.
func (s *Server) checkBearer(r *http.Request) bool {
	return s.sc().APIKey == "" || r.Header.Get("Authorization") == "Bearer "+s.sc().APIKey
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// wsConn is a server-side WebSocket with a write lock.
type wsConn struct {
	c    *websocket.Conn
	mu   sync.Mutex
	gone chan struct{}
	once sync.Once
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// serveWS upgrades and runs fn; it records the connection's life.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request, fn func(c *wsConn)) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.note(func() { s.opened++ })
	wc := &wsConn{c: c, gone: make(chan struct{})}
	defer func() {
		wc.close()
		s.note(func() { s.closed++ })
	}()
	fn(wc)
}

func (c *wsConn) close() {
	c.once.Do(func() {
		close(c.gone)
		c.c.Close()
	})
}

func (c *wsConn) send(v any) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.c.WriteJSON(v) == nil
}

func (c *wsConn) sendBinary(b []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.c.WriteMessage(websocket.BinaryMessage, b) == nil
}

// closeNormal sends a normal-closure close frame.
func (c *wsConn) closeNormal() {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "done"), time.Now().Add(time.Second))
}

// read returns the next text message decoded as a JSON object.
func (c *wsConn) read() (map[string]any, error) {
	for {
		kind, msg, err := c.c.ReadMessage()
		if err != nil {
			return nil, err
		}
		if kind != websocket.TextMessage {
			continue
		}
		var m map[string]any
		if json.Unmarshal(msg, &m) != nil {
			continue
		}
		return m, nil
	}
}

// drain reads until the client goes away (used by silent servers).
func (c *wsConn) drain() {
	for {
		if _, _, err := c.c.ReadMessage(); err != nil {
			return
		}
	}
}

// stream sends audio for one text: a fixed number of chunks, or endlessly
// until the connection ends. send returns false when the client is gone.
func (c *wsConn) stream(sc Script, send func(i int) bool) {
	if !sc.Endless {
		for i := 0; i < sc.chunks(); i++ {
			if !send(i) {
				return
			}
		}
		return
	}
	go func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for i := 0; ; i++ {
			select {
			case <-c.gone:
				return
			case <-t.C:
				if !send(i) {
					return
				}
			}
		}
	}()
}

func str(m map[string]any, keys ...string) string {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = mm[k]
	}
	s, _ := cur.(string)
	return s
}
