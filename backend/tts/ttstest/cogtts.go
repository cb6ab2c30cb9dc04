package ttstest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
)

// NewCogTTS starts a server speaking Zhipu GLM's `POST
// /api/paas/v4/audio/speech` with stream:true: an SSE stream of
// `data: {"choices":[{"delta":{"content":<base64 pcm>,
// "return_sample_rate":24000,"return_format":"pcm"}}]}` frames ending with
// a finish_reason "stop" frame and `data: [DONE]`. Errors are HTTP
// statuses with {"error":{"code":"1113","message":…}}.
func NewCogTTS(script Script) *Server {
	return newServer(script, func(s *Server) http.Handler {
		mux := http.NewServeMux()
		mux.HandleFunc("POST /api/paas/v4/audio/speech", func(w http.ResponseWriter, r *http.Request) {
			s.httpCall(w, r, s.checkBearer(r), zhipuError, func(body map[string]any) {
				s.addEvent("audio.speech")
				s.addText(str(body, "input"))
				sc := s.sc()
				if sc.FailCode != "" {
					zhipuError(w, http.StatusBadRequest, sc.FailCode, sc.FailMessage)
					return
				}
				if str(body, "model") == "" || body["stream"] != true || str(body, "encode_format") != "base64" {
					zhipuError(w, http.StatusBadRequest, "1214", "invalid parameters")
					return
				}
				rate := sc.Rate
				if rate == 0 {
					rate = 24000
				}
				tone := Tone(rate, sc.chunkMillis())
				pcm := base64.StdEncoding.EncodeToString(tone)
				marked := base64.StdEncoding.EncodeToString(append(Beeps(rate), tone...))
				w.Header().Set("Content-Type", "text/event-stream")
				s.streamHTTP(w, r, func(i int) []byte {
					content := pcm
					if i == 0 && sc.Watermark {
						content = marked
					}
					f, _ := json.Marshal(map[string]any{"id": "tts-1", "created": 1, "model": "cogtts", "choices": []any{
						map[string]any{"index": 0, "delta": map[string]any{"role": "assistant", "content": content, "return_sample_rate": rate, "return_format": "pcm"}}}})
					return []byte(fmt.Sprintf("data: %s\n\n", f))
				})
				fmt.Fprint(w, "data: {\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\ndata: [DONE]\n\n")
			})
		})
		return mux
	}, "http")
}

func zhipuError(w http.ResponseWriter, status int, code, msg string) {
	if code == "" {
		switch status {
		case http.StatusUnauthorized:
			code, msg = "1001", "身份验证失败"
		case http.StatusTooManyRequests:
			code = "1302"
		default:
			code = "500"
		}
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": msg}})
}
