package ttstest

import (
	"encoding/base64"
	"net/http"
)

// NewStep starts a server speaking StepFun's realtime TTS protocol
// (`/v1/realtime/audio?model=`): tts.connection.done{data.session_id} on
// connect, tts.create → tts.response.created, tts.text.delta →
// tts.response.audio.delta (base64 WAV chunk, 24 kHz), tts.text.done →
// tts.response.audio.done. Errors are tts.response.error{data.code,message}.
func NewStep(script Script) *Server {
	return newServer(script, func(s *Server) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if s.sc().RejectStatus != 0 {
				writeJSON(w, s.sc().RejectStatus, map[string]any{"error": map[string]any{"message": "rejected by script", "type": "request_error"}})
				return
			}
			if !s.checkBearer(r) {
				writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{"message": "Incorrect API key provided", "type": "invalid_api_key"}})
				return
			}
			s.serveWS(w, r, func(c *wsConn) { s.stepSession(c) })
		})
	}, "ws")
}

func (s *Server) stepSession(c *wsConn) {
	if s.sc().Silent {
		c.drain()
		return
	}
	const sid = "sess-step-1"
	c.send(map[string]any{"type": "tts.connection.done", "data": map[string]any{"session_id": sid}})
	failed := false
	for {
		m, err := c.read()
		if err != nil {
			return
		}
		typ := str(m, "type")
		s.addEvent(typ)
		s.addRequest(m)
		if str(m, "data", "session_id") != sid {
			c.send(map[string]any{"type": "tts.response.error", "data": map[string]any{"session_id": sid, "code": "invalid_session", "message": "unknown session"}})
			continue
		}
		switch typ {
		case "tts.create":
			c.send(map[string]any{"type": "tts.response.created", "data": map[string]any{"session_id": sid}})
		case "tts.text.delta":
			s.addText(str(m, "data", "text"))
			if s.sc().FailCode != "" && !failed {
				failed = true
				c.send(map[string]any{"type": "tts.response.error", "data": map[string]any{"session_id": sid, "code": s.sc().FailCode, "message": s.sc().FailMessage}})
				continue
			}
			c.send(map[string]any{"type": "tts.response.sentence.start", "data": map[string]any{"session_id": sid, "text": str(m, "data", "text")}})
			wav := WAV(24000, Tone(24000, s.sc().chunkMillis()))
			c.stream(s.sc(), func(int) bool {
				return c.send(map[string]any{"type": "tts.response.audio.delta", "data": map[string]any{"session_id": sid, "status": "unfinished", "audio": base64.StdEncoding.EncodeToString(wav)}})
			})
		case "tts.text.done":
			c.send(map[string]any{"type": "tts.response.audio.done", "data": map[string]any{"session_id": sid, "audio": ""}})
			return
		}
	}
}
