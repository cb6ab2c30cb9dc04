package ttstest

import (
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// httpCall wraps an HTTP protocol handler: it records the connection's
// life, applies RejectStatus/Silent/APIKey, decodes the JSON body and
// hands it over. reject writes the provider's error body for a status.
func (s *Server) httpCall(w http.ResponseWriter, r *http.Request, keyOK bool, reject func(w http.ResponseWriter, status int, code, msg string), fn func(body map[string]any)) {
	s.note(func() { s.opened++ })
	defer s.note(func() { s.closed++ })
	if s.sc().RejectStatus != 0 {
		reject(w, s.sc().RejectStatus, "", "rejected by script")
		return
	}
	if !keyOK {
		reject(w, http.StatusUnauthorized, "invalid_api_key", "Incorrect API key provided.")
		return
	}
	// Reading the body first lets the server notice a client hang-up.
	data, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if s.sc().Silent {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
		return
	}
	var body map[string]any
	if err := json.Unmarshal(data, &body); err != nil {
		reject(w, http.StatusBadRequest, "invalid_json", "malformed JSON body")
		return
	}
	s.addRequest(body)
	fn(body)
}

// streamHTTP writes chunks (a fixed number, or endlessly until the client
// goes away) and flushes each one.
func (s *Server) streamHTTP(w http.ResponseWriter, r *http.Request, chunk func(i int) []byte) {
	fl, _ := w.(http.Flusher)
	for i := 0; s.sc().Endless || i < s.sc().chunks(); i++ {
		if _, err := w.Write(chunk(i)); err != nil {
			return
		}
		if fl != nil {
			fl.Flush()
		}
		if s.sc().Endless {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
}
