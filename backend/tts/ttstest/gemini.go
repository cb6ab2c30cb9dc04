package ttstest

import (
	"encoding/base64"
	"net/http"
	"strings"
)

// NewGemini starts a server speaking Gemini's `POST
// /v1beta/models/{model}:generateContent` for TTS models: the key in
// x-goog-api-key (or ?key=), generationConfig.responseModalities
// ["AUDIO"], and an answer with candidates[0].content.parts[0].inlineData
// {mimeType:"audio/L16;codec=pcm;rate=24000", data:<base64>}. Errors are
// {"error":{"code","message","status"}}; a bad key is a 400.
func NewGemini(script Script) *Server {
	return newServer(script, func(s *Server) http.Handler {
		mux := http.NewServeMux()
		mux.HandleFunc("POST /v1beta/models/{call}", func(w http.ResponseWriter, r *http.Request) {
			key := r.Header.Get("x-goog-api-key")
			if key == "" {
				key = r.URL.Query().Get("key")
			}
			want := s.sc().APIKey
			s.httpCall(w, r, want == "" || key == want, googleError, func(body map[string]any) {
				model, ok := strings.CutSuffix(r.PathValue("call"), ":generateContent")
				s.addEvent("generateContent:" + model)
				sc := s.sc()
				if !ok {
					googleError(w, http.StatusNotFound, "NOT_FOUND", "method not found")
					return
				}
				text := ""
				if c, _ := body["contents"].([]any); len(c) > 0 {
					if parts, _ := c[0].(map[string]any)["parts"].([]any); len(parts) > 0 {
						text, _ = parts[0].(map[string]any)["text"].(string)
					}
				}
				// The client wraps the words in an instruction; record the words.
				if i := strings.Index(text, "\n\""); i >= 0 {
					text = strings.TrimSuffix(text[i+2:], "\"")
				}
				s.addText(text)
				if sc.FailCode != "" {
					googleError(w, http.StatusBadRequest, sc.FailCode, sc.FailMessage)
					return
				}
				ms := sc.chunks() * sc.chunkMillis()
				if sc.Endless {
					ms = 5000
				}
				writeJSON(w, http.StatusOK, map[string]any{
					"candidates": []any{map[string]any{
						"content":      map[string]any{"role": "model", "parts": []any{map[string]any{"inlineData": map[string]any{"mimeType": "audio/L16;codec=pcm;rate=24000", "data": base64.StdEncoding.EncodeToString(Tone(24000, ms))}}}},
						"finishReason": "STOP", "index": 0}},
					"usageMetadata": map[string]any{"promptTokenCount": 10},
					"modelVersion":  model,
				})
			})
		})
		return mux
	}, "http")
}

func googleError(w http.ResponseWriter, status int, code, msg string) {
	st := code
	switch {
	case status == http.StatusUnauthorized:
		// Google answers a bad key with 400 INVALID_ARGUMENT.
		status, st, msg = http.StatusBadRequest, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."
	case status == http.StatusTooManyRequests:
		st = "RESOURCE_EXHAUSTED"
	case st == "":
		st = "INTERNAL"
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": status, "message": msg, "status": st}})
}
