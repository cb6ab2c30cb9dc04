package llmtest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// RealtimeReply scripts the answer to one response.create.
type RealtimeReply struct {
	Chunks     []string      // text / transcript deltas (default: one chunk echoing the request)
	Audio      [][]byte      // PCM16 24 kHz audio deltas, interleaved with Chunks
	FirstDelay time.Duration // before the first delta
	Delay      time.Duration // between deltas
	Error      string        // send an "error" event with this message instead of answering
	Close      int           // then close the socket with this code (e.g. 1011)
	CloseText  string
	Drop       bool // then cut the TCP connection without a close frame
	Malformed  bool // send a malformed JSON frame before answering
	// Hold, when non-nil, pauses the response after its first delta until
	// it is closed (deterministic interleaving in tests).
	Hold <-chan struct{}
}

// RealtimeRequest describes what a response.create asked for.
type RealtimeRequest struct {
	Model        string
	Instructions string // the latest session instructions (Qwen puts the turn here)
	Text         string // the latest conversation.item.create input_text
	AudioBytes   int    // input audio received so far on this connection
}

// ScriptRealtime sets how response.create is answered; nil restores the
// default: echo Text (for Qwen, the last line of the instructions), or
// "ok", as one transcript delta plus 480 bytes of audio.
func (s *Server) ScriptRealtime(fn func(RealtimeRequest) RealtimeReply) {
	s.rt.mu.Lock()
	s.rt.script = fn
	s.rt.mu.Unlock()
}

// RealtimeConns delivers each accepted realtime connection (OpenAI family
// and Gemini Live alike) so a test can watch and drive it.
func (s *Server) RealtimeConns() <-chan *RealtimeConn { return s.rt.accepted }

type realtimeState struct {
	mu       sync.Mutex
	failN    int // handshakes still to refuse
	failCode int
	failBody string
	script   func(RealtimeRequest) RealtimeReply
	conns    map[*RealtimeConn]struct{}
	accepted chan *RealtimeConn
}

func newRealtimeState() *realtimeState {
	return &realtimeState{conns: map[*RealtimeConn]struct{}{}, accepted: make(chan *RealtimeConn, 64)}
}

func (st *realtimeState) add(c *RealtimeConn) {
	st.mu.Lock()
	st.conns[c] = struct{}{}
	st.mu.Unlock()
	select {
	case st.accepted <- c:
	default:
	}
}

func (st *realtimeState) remove(c *RealtimeConn) {
	st.mu.Lock()
	delete(st.conns, c)
	st.mu.Unlock()
}

func (st *realtimeState) closeAll() {
	st.mu.Lock()
	conns := make([]*RealtimeConn, 0, len(st.conns))
	for c := range st.conns {
		conns = append(conns, c)
	}
	st.mu.Unlock()
	for _, c := range conns {
		c.Drop()
	}
}

// RealtimeConn is one client connection on the server side.
type RealtimeConn struct {
	ws     *websocket.Conn
	Model  string
	Path   string
	Gemini bool
	wmu    sync.Mutex

	mu       sync.Mutex
	received []map[string]any
	notify   chan struct{}
	session  map[string]any
	lastText string
	audio    int
	cancel   chan struct{} // closed to stop the response being played
	respN    int
	closed   chan struct{}
	srv      *Server
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// FailHandshakes makes the next n realtime or Gemini handshakes fail with
// an HTTP status (e.g. 429) and body ("" → an OpenAI error JSON).
func (s *Server) FailHandshakes(n, status int, body string) {
	s.rt.mu.Lock()
	s.rt.failN, s.rt.failCode, s.rt.failBody = n, status, body
	s.rt.mu.Unlock()
}

// refuseHandshake answers a scripted handshake failure.
func (s *Server) refuseHandshake(w http.ResponseWriter) bool {
	s.rt.mu.Lock()
	defer s.rt.mu.Unlock()
	if s.rt.failN <= 0 {
		return false
	}
	s.rt.failN--
	if s.rt.failBody != "" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(s.rt.failCode)
		_, _ = w.Write([]byte(s.rt.failBody))
		return true
	}
	writeError(w, s.rt.failCode, statusCode(s.rt.failCode), "error", http.StatusText(s.rt.failCode))
	return true
}

func (s *Server) handleRealtime(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) || s.refuseHandshake(w) {
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &RealtimeConn{srv: s, ws: ws, Model: r.URL.Query().Get("model"), Path: r.URL.Path,
		notify: make(chan struct{}, 1), closed: make(chan struct{})}
	s.rt.add(c)
	defer s.rt.remove(c)
	defer close(c.closed)
	defer ws.Close()
	c.Send(map[string]any{"type": "session.created", "event_id": "event_srv_0",
		"session": map[string]any{"id": "sess_llmtest", "model": c.Model}})
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var ev map[string]any
		if err := json.Unmarshal(data, &ev); err != nil {
			c.Send(map[string]any{"type": "error", "error": map[string]any{"type": "invalid_request_error",
				"code": "invalid_json", "message": "could not parse event: " + err.Error()}})
			continue
		}
		c.record(ev)
		s.openAIEvent(c, ev)
	}
}

func (c *RealtimeConn) record(ev map[string]any) {
	c.mu.Lock()
	c.received = append(c.received, ev)
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

func (s *Server) openAIEvent(c *RealtimeConn, ev map[string]any) {
	typ, _ := ev["type"].(string)
	switch typ {
	case "session.update":
		sess, _ := ev["session"].(map[string]any)
		c.mu.Lock()
		c.session = sess
		c.mu.Unlock()
		c.Send(map[string]any{"type": "session.updated", "session": sess})
	case "input_audio_buffer.append":
		b64, _ := ev["audio"].(string)
		pcm, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			c.Send(map[string]any{"type": "error", "error": map[string]any{"type": "invalid_request_error",
				"message": "audio is not base64"}})
			return
		}
		c.mu.Lock()
		c.audio += len(pcm)
		c.mu.Unlock()
	case "conversation.item.create":
		item, _ := ev["item"].(map[string]any)
		parts, _ := item["content"].([]any)
		for _, p := range parts {
			pm, _ := p.(map[string]any)
			if pm["type"] == "input_text" {
				t, _ := pm["text"].(string)
				c.mu.Lock()
				c.lastText = t
				c.mu.Unlock()
			}
		}
		c.Send(map[string]any{"type": "conversation.item.created", "item": item})
	case "response.create":
		s.startResponse(c)
	case "response.cancel":
		c.mu.Lock()
		if c.cancel != nil {
			close(c.cancel)
			c.cancel = nil
		}
		c.mu.Unlock()
	case "input_audio_buffer.clear":
		c.Send(map[string]any{"type": "input_audio_buffer.cleared"})
	}
}

// ga reports whether the connection uses OpenAI GA event names.
func (c *RealtimeConn) ga() bool { return strings.Contains(c.Model, "gpt") }

func (c *RealtimeConn) textOnly() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range []string{"modalities", "output_modalities"} {
		if m, ok := c.session[k].([]any); ok {
			for _, x := range m {
				if x == "audio" {
					return false
				}
			}
			return true
		}
	}
	return false
}

func (s *Server) startResponse(c *RealtimeConn) {
	c.mu.Lock()
	instr, _ := c.session["instructions"].(string)
	req := RealtimeRequest{Model: c.Model, Instructions: instr, Text: c.lastText, AudioBytes: c.audio}
	cancel := make(chan struct{})
	c.cancel = cancel
	c.respN++
	id := fmt.Sprintf("resp_%d", c.respN)
	c.mu.Unlock()
	s.rt.mu.Lock()
	script := s.rt.script
	s.rt.mu.Unlock()
	reply := RealtimeReply{}
	if script != nil {
		reply = script(req)
	}
	if len(reply.Chunks) == 0 && len(reply.Audio) == 0 && reply.Error == "" && !reply.Drop && reply.Close == 0 {
		text := req.Text
		if i := strings.LastIndexByte(req.Instructions, '\n'); text == "" && i >= 0 {
			text = req.Instructions[i+1:] // Qwen: the turn is the last instructions line
		}
		if text == "" {
			text = "ok"
		}
		reply.Chunks, reply.Audio = []string{text}, [][]byte{make([]byte, 480)}
	}
	go c.play(id, reply, cancel)
}

// play streams one scripted response in the provider's event names.
func (c *RealtimeConn) play(id string, reply RealtimeReply, cancel chan struct{}) {
	wait := func(d time.Duration) bool {
		if d <= 0 {
			return true
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-cancel:
			return false
		case <-c.closed:
			return false
		case <-t.C:
			return true
		}
	}
	if reply.Malformed {
		c.SendRaw([]byte(`{"type":"response.created","response":`))
	}
	if reply.Error != "" {
		c.Send(map[string]any{"type": "error", "error": map[string]any{"type": "server_error", "message": reply.Error}})
	}
	switch {
	case reply.Close != 0:
		c.CloseWith(reply.Close, reply.CloseText)
		return
	case reply.Drop:
		c.Drop()
		return
	case reply.Error != "":
		return
	}
	audioEv, trEv, textEv := "response.audio.delta", "response.audio_transcript.delta", "response.text.delta"
	if c.ga() {
		audioEv, trEv, textEv = "response.output_audio.delta", "response.output_audio_transcript.delta", "response.output_text.delta"
	}
	textOnly := c.textOnly()
	c.Send(map[string]any{"type": "response.created", "response": map[string]any{"id": id, "status": "in_progress"}})
	status := "completed"
	full := ""
	n := max(len(reply.Chunks), len(reply.Audio))
	for i := 0; i < n; i++ {
		d := reply.Delay
		if i == 0 {
			d = reply.FirstDelay
		}
		if i == 1 && reply.Hold != nil {
			select {
			case <-reply.Hold:
			case <-cancel:
			case <-c.closed:
			}
		}
		if !wait(d) {
			status = "cancelled"
			break
		}
		if i < len(reply.Chunks) {
			full += reply.Chunks[i]
			if textOnly || strings.Contains(c.Model, "glm") {
				// GLM sends its text both ways in audio mode.
				c.Send(map[string]any{"type": textEv, "response_id": id, "delta": reply.Chunks[i]})
			}
			if !textOnly {
				c.Send(map[string]any{"type": trEv, "response_id": id, "delta": reply.Chunks[i]})
			}
		}
		if i < len(reply.Audio) && !textOnly {
			c.Send(map[string]any{"type": audioEv, "response_id": id,
				"delta": base64.StdEncoding.EncodeToString(reply.Audio[i])})
		}
	}
	if status == "completed" && !textOnly {
		done := "response.audio_transcript.done"
		if c.ga() {
			done = "response.output_audio_transcript.done"
		}
		c.Send(map[string]any{"type": done, "response_id": id, "transcript": full})
	}
	c.Send(map[string]any{"type": "response.done", "response": map[string]any{"id": id, "status": status,
		"usage": map[string]any{"total_tokens": 10, "input_tokens": 6, "output_tokens": 4}}})
}

// Respond answers as the provider's server VAD does after the user stops
// speaking (turn_detection create_response): a response starts without a
// response.create from the client. OpenAI-family connections only.
func (c *RealtimeConn) Respond() {
	if c.srv != nil && !c.Gemini {
		c.srv.startResponse(c)
	}
}
