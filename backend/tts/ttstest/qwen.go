package ttstest

import (
	"encoding/base64"
	"net/http"
)

// NewQwen starts a server speaking DashScope's Qwen realtime TTS protocol
// (`/api-ws/v1/realtime?model=`): session.created on connect,
// session.update → session.updated, input_text_buffer.append →
// response.audio.delta (base64 PCM 24 kHz), input_text_buffer.commit →
// committed, session.finish → response.done + session.finished. Errors are
// {"type":"error","error":{"type","code","message"}}.
func NewQwen(script Script) *Server {
	return newServer(script, func(s *Server) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if s.sc().RejectStatus != 0 {
				writeJSON(w, s.sc().RejectStatus, map[string]any{"code": dashscopeCode(s.sc().RejectStatus), "message": "rejected by script", "request_id": "r1"})
				return
			}
			if !s.checkBearer(r) {
				writeJSON(w, http.StatusUnauthorized, map[string]any{"code": "InvalidApiKey", "message": "Invalid API-key provided.", "request_id": "r1"})
				return
			}
			s.addRequest(map[string]any{"model": r.URL.Query().Get("model")})
			s.serveWS(w, r, func(c *wsConn) { s.qwenSession(c) })
		})
	}, "ws")
}

func dashscopeCode(status int) string {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return "InvalidApiKey"
	case http.StatusTooManyRequests:
		return "Throttling.RateQuota"
	case http.StatusPaymentRequired:
		return "Arrearage"
	}
	return "InternalError"
}

func (s *Server) qwenSession(c *wsConn) {
	if s.sc().Silent {
		c.drain()
		return
	}
	c.send(map[string]any{"event_id": "event_s1", "type": "session.created", "session": map[string]any{"id": "sess_1", "object": "realtime.session"}})
	failed := false
	for {
		m, err := c.read()
		if err != nil {
			return
		}
		typ := str(m, "type")
		s.addEvent(typ)
		s.addRequest(m)
		switch typ {
		case "session.update":
			c.send(map[string]any{"event_id": "event_s2", "type": "session.updated", "session": m["session"]})
		case "input_text_buffer.append":
			s.addText(str(m, "text"))
			if s.sc().FailCode != "" && !failed {
				failed = true
				c.send(map[string]any{"event_id": "event_e", "type": "error", "error": map[string]any{"type": "invalid_request_error", "code": s.sc().FailCode, "message": s.sc().FailMessage}})
				continue
			}
			c.send(map[string]any{"type": "response.created", "response": map[string]any{"id": "resp_1"}})
			pcm := Tone(24000, s.sc().chunkMillis())
			c.stream(s.sc(), func(int) bool {
				return c.send(map[string]any{"type": "response.audio.delta", "response_id": "resp_1", "item_id": "item_1", "delta": base64.StdEncoding.EncodeToString(pcm)})
			})
		case "input_text_buffer.commit":
			c.send(map[string]any{"type": "input_text_buffer.committed", "item_id": "item_1"})
		case "session.finish":
			c.send(map[string]any{"type": "response.audio.done", "response_id": "resp_1"})
			c.send(map[string]any{"type": "response.done", "response": map[string]any{"id": "resp_1", "status": "completed"}})
			c.send(map[string]any{"type": "session.finished"})
			return
		}
	}
}
