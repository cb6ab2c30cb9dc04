package ttstest

import (
	"crypto/md5"
	"encoding/hex"
	"io"
	"net/http"
)

// NewVoiceClone starts a server with the three endpoints voice cloning
// talks to: the tfLink sample host (`POST /api/upload`, multipart "file" →
// {"downloadLink"}), DashScope voice enrollment (`POST
// /api/v1/services/audio/tts/customization`, model voice-enrollment,
// action create_voice → {"output":{"voice_id"}}), and a local CosyVoice
// server's speaker registration (`POST /v1/speakers/register`, multipart
// speaker_id, prompt_text, prompt_audio). Received files are recorded by
// MD5 in Texts; enrollment bodies in Requests.
func NewVoiceClone(script Script) *Server {
	return newServer(script, func(s *Server) http.Handler {
		mux := http.NewServeMux()
		mux.HandleFunc("POST /api/upload", func(w http.ResponseWriter, r *http.Request) {
			s.addEvent("upload")
			f, hdr, err := r.FormFile("file")
			if err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]any{"error": "file field required"})
				return
			}
			defer f.Close()
			sum := md5.New()
			io.Copy(sum, f)
			s.addText(hex.EncodeToString(sum.Sum(nil)))
			writeJSON(w, http.StatusOK, map[string]any{"fileName": hdr.Filename, "downloadLink": s.URL + "/files/" + hdr.Filename, "size": hdr.Size})
		})
		mux.HandleFunc("POST /api/v1/services/audio/tts/customization", func(w http.ResponseWriter, r *http.Request) {
			s.httpCall(w, r, s.checkBearer(r), func(w http.ResponseWriter, status int, code, msg string) {
				if code == "" || code == "invalid_api_key" {
					code = dashscopeCode(status)
				}
				writeJSON(w, status, map[string]any{"code": code, "message": msg, "request_id": "r1"})
			}, func(body map[string]any) {
				s.addEvent("enroll")
				sc := s.sc()
				if sc.FailCode != "" {
					writeJSON(w, http.StatusBadRequest, map[string]any{"code": sc.FailCode, "message": sc.FailMessage, "request_id": "r1"})
					return
				}
				if str(body, "model") != "voice-enrollment" || str(body, "input", "action") != "create_voice" || str(body, "input", "url") == "" {
					writeJSON(w, http.StatusBadRequest, map[string]any{"code": "InvalidParameter", "message": "bad enrollment request", "request_id": "r1"})
					return
				}
				id := str(body, "input", "target_model") + "-" + str(body, "input", "prefix") + "-0123456789abcdef"
				writeJSON(w, http.StatusOK, map[string]any{"output": map[string]any{"voice_id": id}, "usage": map[string]any{"count": 1}, "request_id": "r1"})
			})
		})
		mux.HandleFunc("POST /v1/speakers/register", func(w http.ResponseWriter, r *http.Request) {
			s.addEvent("register")
			if err := r.ParseMultipartForm(32 << 20); err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]any{"detail": "multipart required"})
				return
			}
			f, _, err := r.FormFile("prompt_audio")
			if err != nil || r.FormValue("speaker_id") == "" {
				writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": "speaker_id and prompt_audio are required"})
				return
			}
			defer f.Close()
			sum := md5.New()
			io.Copy(sum, f)
			s.addText(hex.EncodeToString(sum.Sum(nil)))
			s.addRequest(map[string]any{"speaker_id": r.FormValue("speaker_id"), "prompt_text": r.FormValue("prompt_text")})
			writeJSON(w, http.StatusOK, map[string]any{"success": true, "speaker_id": r.FormValue("speaker_id")})
		})
		return mux
	}, "http")
}
