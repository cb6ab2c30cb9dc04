package llmtest

import (
	"fmt"
	"io"
	"net/http"
)

// TranscriptionRequest is what a client uploaded to /v1/audio/transcriptions.
type TranscriptionRequest struct {
	Model, Language, Prompt, ResponseFormat string
	Filename                                string
	Audio                                   []byte // the uploaded file (usually WAV)
}

// TranscriptionReply scripts the answer.
type TranscriptionReply struct {
	Text   string
	Status int    // non-200: error status
	Body   string // raw body for an error status
}

// ScriptTranscription sets the transcription script; nil restores the
// default, which answers "audio of N bytes".
func (s *Server) ScriptTranscription(fn func(TranscriptionRequest) TranscriptionReply) {
	s.mu.Lock()
	s.transcribe = fn
	s.mu.Unlock()
}

// TranscriptionRequests returns the uploads received so far.
func (s *Server) TranscriptionRequests() []TranscriptionRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]TranscriptionRequest(nil), s.transReqs...)
}

func (s *Server) handleTranscription(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "invalid_request_error", "expected multipart/form-data: "+err.Error())
		return
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		writeError(w, http.StatusBadRequest, "missing_file", "invalid_request_error", "the file field is required")
		return
	}
	data, _ := io.ReadAll(file)
	file.Close()
	req := TranscriptionRequest{Model: r.FormValue("model"), Language: r.FormValue("language"), Prompt: r.FormValue("prompt"),
		ResponseFormat: r.FormValue("response_format"), Filename: hdr.Filename, Audio: data}
	s.mu.Lock()
	s.transReqs = append(s.transReqs, req)
	script := s.transcribe
	s.mu.Unlock()
	if req.Model == "" {
		writeError(w, http.StatusBadRequest, "missing_model", "invalid_request_error", "model is required")
		return
	}
	reply := TranscriptionReply{Text: fmt.Sprintf("audio of %d bytes", len(data))}
	if script != nil {
		reply = script(req)
	}
	if reply.Status != 0 && reply.Status != http.StatusOK {
		if reply.Body != "" {
			w.WriteHeader(reply.Status)
			_, _ = io.WriteString(w, reply.Body)
			return
		}
		writeError(w, reply.Status, statusCode(reply.Status), "error", http.StatusText(reply.Status))
		return
	}
	if req.ResponseFormat == "text" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, reply.Text+"\n")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"text": reply.Text})
}
