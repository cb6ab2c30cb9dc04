package ttstest

import (
	"net/http"
)

// OggChunk returns a synthetic OGG page group of n bytes (starts with the
// "OggS" capture pattern, sequence number i). It is for byte-exact
// passthrough checks, not for decoding.
func OggChunk(i, n int) []byte {
	b := make([]byte, n)
	copy(b, "OggS")
	for j := 4; j < n; j++ {
		b[j] = byte(i + j)
	}
	return b
}

// NewCosyVoice starts a server speaking DashScope's duplex inference
// protocol for CosyVoice (`/api-ws/v1/inference`): run-task → task-started,
// continue-task → binary audio frames (OGG/Opus when format=opus) and
// result-generated, finish-task → task-finished. Errors are task-failed
// with header.error_code / error_message.
func NewCosyVoice(script Script) *Server {
	return newServer(script, func(s *Server) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if s.sc().RejectStatus != 0 {
				writeJSON(w, s.sc().RejectStatus, map[string]any{"code": dashscopeCode(s.sc().RejectStatus), "message": "rejected by script"})
				return
			}
			if !s.checkBearer(r) {
				writeJSON(w, http.StatusUnauthorized, map[string]any{"code": "InvalidApiKey", "message": "Invalid API-key provided."})
				return
			}
			s.serveWS(w, r, func(c *wsConn) { s.cosySession(c) })
		})
	}, "ws")
}

func (s *Server) cosySession(c *wsConn) {
	if s.sc().Silent {
		c.drain()
		return
	}
	task := ""
	failed := false
	n := 0
	ev := func(name string, extra map[string]any) bool {
		h := map[string]any{"task_id": task, "event": name, "attributes": map[string]any{}}
		for k, v := range extra {
			h[k] = v
		}
		return c.send(map[string]any{"header": h, "payload": map[string]any{}})
	}
	for {
		m, err := c.read()
		if err != nil {
			return
		}
		action := str(m, "header", "action")
		s.addEvent(action)
		s.addRequest(m)
		switch action {
		case "run-task":
			task = str(m, "header", "task_id")
			if str(m, "payload", "function") != "SpeechSynthesizer" || str(m, "payload", "task") != "tts" {
				ev("task-failed", map[string]any{"error_code": "InvalidParameter", "error_message": "bad task"})
				return
			}
			ev("task-started", nil)
		case "continue-task":
			if str(m, "header", "task_id") != task {
				ev("task-failed", map[string]any{"error_code": "InvalidParameter", "error_message": "unknown task"})
				return
			}
			s.addText(str(m, "payload", "input", "text"))
			if s.sc().FailCode != "" && !failed {
				failed = true
				ev("task-failed", map[string]any{"error_code": s.sc().FailCode, "error_message": s.sc().FailMessage})
				return
			}
			c.stream(s.sc(), func(int) bool {
				n++
				return c.sendBinary(OggChunk(n, 700))
			})
			ev("result-generated", nil)
		case "finish-task":
			ev("task-finished", nil)
		}
	}
}
