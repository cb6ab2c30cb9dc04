package memory

import (
	"encoding/json"
	"errors"
	"net/http"

	"neko/backend/httpjson"
	"neko/backend/memory/msg"
	"neko/backend/memory/store"
)

// Handler serves every memory-server route of reference §9.2 plus
// /settle/{name}, time-frame retrieval, export/import, forget and the
// memory browser API (see README.md). /health is left to the caller.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /cache/{name}", s.handleCache)
	mux.HandleFunc("POST /process/{name}", s.handleSettle(false, "processed"))
	mux.HandleFunc("POST /renew/{name}", s.handleSettle(true, "processed"))
	mux.HandleFunc("POST /settle/{name}", s.handleSettle(false, "settled"))
	mux.HandleFunc("GET /new_dialog/{name}", s.handleNewDialog)
	mux.HandleFunc("GET /get_recent_history/{name}", s.handleRecentHistory)
	mux.HandleFunc("GET /search_for_memory/{name}/{query...}", s.handleSearchText)
	mux.HandleFunc("GET /get_settings/{name}", s.handleGetSettings)
	mux.HandleFunc("POST /reload", s.handleReload)
	mux.HandleFunc("POST /cancel_correction/{name}", s.handleCancelCorrection)
	mux.HandleFunc("POST /shutdown", s.handleShutdown)
	s.browserRoutes(mux)
	return mux
}

func textReply(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(text))
}

// fail maps an error to a JSON error reply.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrBadName):
		httpjson.Error(w, http.StatusBadRequest, "invalid_name", "invalid character name")
	case errors.Is(err, store.ErrNotFound):
		httpjson.Error(w, http.StatusNotFound, "not_found", "no such entry")
	case errors.Is(err, errInvalid):
		httpjson.Error(w, http.StatusBadRequest, "invalid", err.Error())
	case r.Context().Err() != nil:
		httpjson.Error(w, http.StatusServiceUnavailable, "cancelled", "request cancelled")
	case isDiskFull(err):
		// Say why, so the user can free space instead of guessing; turns
		// acknowledged before are safe (every write is atomic).
		s.log.Error("memory write failed: disk full", "path", r.URL.Path, "err", err)
		httpjson.Error(w, http.StatusInsufficientStorage, "disk_full",
			"the disk holding the memory data is full; free some space: "+err.Error())
	default:
		s.log.Error("memory request failed", "path", r.URL.Path, "err", err)
		httpjson.Error(w, http.StatusInternalServerError, "internal", "internal error")
	}
}

// errInvalid marks a client error with its own message.
var errInvalid = errors.New("invalid request")

type historyBody struct {
	InputHistory json.RawMessage `json:"input_history"`
}

func (s *Server) readHistory(w http.ResponseWriter, r *http.Request, required bool) ([]msg.Message, bool) {
	if !ValidName(r.PathValue("name")) {
		s.fail(w, r, ErrBadName)
		return nil, false
	}
	if !required && r.ContentLength == 0 {
		return nil, true
	}
	var body historyBody
	if !httpjson.DecodeOrError(w, r, &body, s.cfg.MaxBody) {
		return nil, false
	}
	if !required && len(body.InputHistory) == 0 {
		return nil, true
	}
	msgs, err := msg.ParseInputHistory(body.InputHistory)
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, "invalid_history", err.Error())
		return nil, false
	}
	return msgs, true
}

func (s *Server) handleCache(w http.ResponseWriter, r *http.Request) {
	msgs, ok := s.readHistory(w, r, true)
	if !ok {
		return
	}
	n, err := s.Cache(r.Context(), r.PathValue("name"), msgs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"status": "cached", "count": n})
}

func (s *Server) handleSettle(detailed bool, status string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		msgs, ok := s.readHistory(w, r, false)
		if !ok {
			return
		}
		// A settle outlives its request: the sync connector gives up after
		// 30 s, but a long summary must still finish (Close stops it).
		if err := s.Settle(s.ctx, r.PathValue("name"), msgs, detailed); err != nil {
			s.fail(w, r, err)
			return
		}
		httpjson.Write(w, http.StatusOK, map[string]any{"status": status})
	}
}

func (s *Server) handleNewDialog(w http.ResponseWriter, r *http.Request) {
	text, err := s.NewDialog(r.Context(), r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	textReply(w, http.StatusOK, text)
}

func (s *Server) handleRecentHistory(w http.ResponseWriter, r *http.Request) {
	text, err := s.RecentHistory(r.Context(), r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	textReply(w, http.StatusOK, text)
}

func (s *Server) handleSearchText(w http.ResponseWriter, r *http.Request) {
	text, err := s.SearchText(r.Context(), r.PathValue("name"), r.PathValue("query"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	textReply(w, http.StatusOK, text)
}

func (s *Server) handleGetSettings(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !ValidName(name) {
		s.fail(w, r, ErrBadName)
		return
	}
	textReply(w, http.StatusOK, name+"记得"+s.settingsJSON(name))
}

func (s *Server) handleReload(w http.ResponseWriter, r *http.Request) {
	// Characters are read live from the config; reloading closes the
	// databases of characters that no longer exist.
	s.mu.Lock()
	var gone []string
	for name := range s.chars {
		if !s.known(name) {
			gone = append(gone, name)
		}
	}
	s.mu.Unlock()
	for _, n := range gone {
		s.forgetChar(n)
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"status": "success", "message": "memory components reloaded"})
}

func (s *Server) handleCancelCorrection(w http.ResponseWriter, r *http.Request) {
	c, err := s.char(r.Context(), r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := "no_task"
	if c.cancelReview() {
		status = "cancelled"
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"status": status})
}

func (s *Server) handleShutdown(w http.ResponseWriter, r *http.Request) {
	if !s.cfg.EnableShutdown || s.cfg.OnShutdown == nil {
		httpjson.Error(w, http.StatusForbidden, "disabled", "shutdown is not enabled")
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"status": "shutting_down"})
	go s.cfg.OnShutdown()
}
