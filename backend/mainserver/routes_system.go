package mainserver

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"neko/backend/httpjson"
)

func (s *Server) systemRoutes() {
	m := s.mux
	m.HandleFunc("GET /api/pending-notices", func(w http.ResponseWriter, r *http.Request) {
		n, cursor := s.deps.Store.Notices.Pending()
		httpjson.Write(w, 200, map[string]any{"notices": n, "cursor": cursor})
	})
	m.HandleFunc("POST /api/pending-notices/ack", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Cursor int64 `json:"cursor"`
		}
		if !httpjson.DecodeOrError(w, r, &body, 0) {
			return
		}
		s.deps.Store.Notices.Ack(body.Cursor)
		httpjson.Write(w, 200, map[string]any{"success": true})
	})
	m.HandleFunc("POST /api/beacon/shutdown", func(w http.ResponseWriter, r *http.Request) {
		if !s.cfg.OpenBrowserMode || s.deps.Shutdown == nil {
			httpjson.Error(w, 403, "forbidden", "shutdown by beacon is only enabled in --open-browser mode")
			return
		}
		httpjson.Write(w, 200, map[string]any{"success": true, "message": "shutting down"})
		go s.deps.Shutdown()
	})
	m.HandleFunc("GET /api/file-exists", func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.confinedUserPath(r.URL.Query().Get("path"))
		if !ok {
			httpjson.Error(w, 400, "invalid_path", "path must be a relative path inside the data folder")
			return
		}
		_, err := os.Stat(p)
		httpjson.Write(w, 200, map[string]any{"exists": err == nil})
	})
	m.HandleFunc("GET /api/find-first-image", func(w http.ResponseWriter, r *http.Request) {
		dir, ok := s.confinedUserPath(r.URL.Query().Get("folder"))
		if !ok {
			httpjson.Error(w, 400, "invalid_path", "folder must be a relative path inside the data folder")
			return
		}
		for _, base := range []string{"preview", "thumbnail", "icon", "header"} {
			for _, ext := range []string{".jpg", ".png"} {
				if _, err := os.Stat(filepath.Join(dir, base+ext)); err == nil {
					httpjson.Write(w, 200, map[string]any{"success": true, "image": base + ext})
					return
				}
			}
		}
		httpjson.Write(w, 200, map[string]any{"success": false, "image": nil})
	})
	for _, p := range []string{"POST /api/emotion/analysis", "POST /api/proactive_chat", "POST /api/translate",
		"GET /api/screenshot", "GET /api/get_window_title", "GET /api/music/search"} {
		if _, ok := s.deps.Extra[p]; !ok {
			s.mux.Handle(p, notImplemented(strings.Fields(p)[1]))
		}
	}
}

// confinedUserPath resolves a relative path inside the data root, refusing
// absolute paths, "..", and symlinks that lead outside it.
func (s *Server) confinedUserPath(rel string) (string, bool) {
	if rel == "" || filepath.IsAbs(rel) || strings.ContainsAny(rel, "\x00\\") {
		return "", false
	}
	clean := filepath.Clean(rel)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", false
	}
	root := s.deps.Store.Paths.Root
	full := filepath.Join(root, clean)
	if real, err := filepath.EvalSymlinks(full); err == nil {
		rr, _ := filepath.EvalSymlinks(root)
		if real != rr && !strings.HasPrefix(real, rr+string(filepath.Separator)) {
			return "", false
		}
	}
	return full, true
}
