package ttstest

import (
	"net/http"
)

// NewOpenAI starts a server speaking OpenAI's `POST /v1/audio/speech`:
// JSON {model, voice, input, response_format}; the answer streams raw
// s16le 24 kHz mono for "pcm" (chunked), or a WAV for "wav". Errors are
// {"error":{"message","type","code"}}.
func NewOpenAI(script Script) *Server {
	return newServer(script, func(s *Server) http.Handler {
		mux := http.NewServeMux()
		mux.HandleFunc("POST /v1/audio/speech", func(w http.ResponseWriter, r *http.Request) {
			s.httpCall(w, r, s.checkBearer(r), openAIError, func(body map[string]any) {
				s.addEvent("audio.speech")
				s.addText(str(body, "input"))
				if s.sc().FailCode != "" {
					openAIError(w, http.StatusBadRequest, s.sc().FailCode, s.sc().FailMessage)
					return
				}
				if str(body, "input") == "" || str(body, "voice") == "" {
					openAIError(w, http.StatusBadRequest, "invalid_value", "input and voice are required")
					return
				}
				pcm := Tone(24000, s.sc().chunkMillis())
				if str(body, "response_format") == "wav" {
					w.Header().Set("Content-Type", "audio/wav")
					w.Write(WAV(24000, pcm))
					return
				}
				w.Header().Set("Content-Type", "audio/pcm")
				s.streamHTTP(w, r, func(int) []byte { return pcm })
			})
		})
		return mux
	}, "http")
}

func openAIError(w http.ResponseWriter, status int, code, msg string) {
	typ := "invalid_request_error"
	switch status {
	case http.StatusTooManyRequests:
		typ, code = "rate_limit_exceeded", "rate_limit_exceeded"
	case http.StatusInternalServerError:
		typ = "server_error"
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "type": typ, "code": code, "param": nil}})
}
