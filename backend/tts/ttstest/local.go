package ttstest

import (
	"net/http"
)

// NewGPTSoVITS starts a server speaking GPT-SoVITS v3's
// `/api/v3/tts/stream-input` WebSocket: {"cmd":"init","voice_id",…} →
// {"type":"ready"}, {"cmd":"append","data"} → {"type":"sentence"}, binary
// complete WAV chunks (Script.Rate, default 32000 Hz) and
// {"type":"sentence_done"}, {"cmd":"end"} → {"type":"done"}. Errors are
// {"type":"error","message"}. GET /api/v3/voices lists the voices.
func NewGPTSoVITS(script Script) *Server {
	return newServer(script, func(s *Server) http.Handler {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /api/v3/voices", func(w http.ResponseWriter, r *http.Request) {
			s.addEvent("voices")
			writeJSON(w, http.StatusOK, map[string]any{"voices": []any{
				map[string]any{"id": "alice", "name": "Alice", "description": "warm, calm", "version": "v3"},
				map[string]any{"id": "bob", "name": "Bob", "version": "v2ProPlus"},
			}})
		})
		mux.HandleFunc("/api/v3/tts/stream-input", func(w http.ResponseWriter, r *http.Request) {
			if st := s.sc().RejectStatus; st != 0 {
				writeJSON(w, st, map[string]any{"detail": "rejected by script"})
				return
			}
			s.serveWS(w, r, func(c *wsConn) { s.gsvSession(c) })
		})
		return mux
	}, "http")
}

func (s *Server) gsvSession(c *wsConn) {
	if s.sc().Silent {
		c.drain()
		return
	}
	failed := false
	for {
		m, err := c.read()
		if err != nil {
			return
		}
		cmd := str(m, "cmd")
		s.addEvent(cmd)
		s.addRequest(m)
		sc := s.sc()
		switch cmd {
		case "init":
			if str(m, "voice_id") == "" {
				c.send(map[string]any{"type": "error", "message": "voice_id is required"})
				return
			}
			c.send(map[string]any{"type": "ready", "voice_id": str(m, "voice_id")})
		case "append":
			s.addText(str(m, "data"))
			if sc.FailCode != "" && !failed {
				failed = true
				c.send(map[string]any{"type": "error", "message": sc.FailCode + ": " + sc.FailMessage})
				continue
			}
			rate := sc.Rate
			if rate == 0 {
				rate = 32000
			}
			c.send(map[string]any{"type": "sentence", "text": str(m, "data"), "task_id": 1})
			wav := WAV(rate, Tone(rate, sc.chunkMillis()))
			c.stream(sc, func(int) bool { return c.sendBinary(wav) })
			if !sc.Endless {
				c.send(map[string]any{"type": "sentence_done", "task_id": 1, "chunks_sent": sc.chunks()})
			}
		case "flush":
			c.send(map[string]any{"type": "flushed"})
		case "end":
			c.send(map[string]any{"type": "done"})
			return
		}
	}
}

// NewLocalCosyVoice starts a server speaking the local CosyVoice bistream
// protocol (`/v1/audio/speech/stream`): a first JSON message
// {"voice","speed"}, then {"text"} messages answered with binary PCM16 at
// 22050 Hz, then {"event":"end"}, after which the server closes the socket
// normally. Errors are {"error":"…"}.
func NewLocalCosyVoice(script Script) *Server {
	s := newServer(script, func(s *Server) http.Handler {
		mux := http.NewServeMux()
		mux.HandleFunc("/v1/audio/speech/stream", func(w http.ResponseWriter, r *http.Request) {
			if st := s.sc().RejectStatus; st != 0 {
				writeJSON(w, st, map[string]any{"detail": "rejected by script"})
				return
			}
			s.serveWS(w, r, func(c *wsConn) { s.localCosySession(c) })
		})
		return mux
	}, "ws")
	return s
}

func (s *Server) localCosySession(c *wsConn) {
	if s.sc().Silent {
		c.drain()
		return
	}
	cfg, err := c.read()
	if err != nil {
		return
	}
	s.addEvent("config")
	s.addRequest(cfg)
	failed := false
	for {
		m, err := c.read()
		if err != nil {
			return
		}
		sc := s.sc()
		if str(m, "event") == "end" {
			s.addEvent("end")
			c.closeNormal()
			return
		}
		s.addEvent("text")
		s.addText(str(m, "text"))
		if sc.FailCode != "" && !failed {
			failed = true
			c.send(map[string]any{"error": sc.FailCode + ": " + sc.FailMessage})
			continue
		}
		pcm := Tone(22050, sc.chunkMillis())
		c.stream(sc, func(int) bool { return c.sendBinary(pcm) })
	}
}
