package mainserver

import (
	"bytes"
	html2 "html"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"neko/backend/guard"
	"neko/backend/httpjson"
)

// pageRoutes serves the built frontend: real files (hashed assets, /static
// defaults) as they are, and index.html — with the CSRF token injected — for
// every page path, so the single-page app routes on location.pathname.
func (s *Server) pageRoutes() {
	assets := s.deps.Assets
	if assets == nil || !hasIndex(assets) {
		s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("<!doctype html><title>neko</title><p>The frontend is not built into this binary. Run <code>make frontend</code> and rebuild.</p>"))
		})
		return
	}
	files := http.FileServerFS(assets)
	// "/" without a method: a method-less mount such as /api/live2d/ must
	// stay more specific than the page catch-all.
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			httpjson.Error(w, http.StatusNotFound, "not_found", "no such API route: "+r.Method+" "+r.URL.Path)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			httpjson.Error(w, http.StatusNotFound, "not_found", "no such API route: "+r.URL.Path)
			return
		}
		p := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if p != "" && p != "index.html" {
			if st, err := fs.Stat(assets, p); err == nil && !st.IsDir() {
				w.Header().Set("X-Content-Type-Options", "nosniff")
				if strings.HasPrefix(p, "assets/") {
					w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				}
				files.ServeHTTP(w, r)
				return
			}
			if path.Ext(p) != "" || strings.HasPrefix(p, "static/") || strings.HasPrefix(p, "assets/") {
				http.NotFound(w, r) // a missing file, not a page
				return
			}
		}
		s.serveIndex(w)
	})
}

func hasIndex(assets fs.FS) bool {
	_, err := fs.Stat(assets, "index.html")
	return err == nil
}

func (s *Server) serveIndex(w http.ResponseWriter) {
	html, err := fs.ReadFile(s.deps.Assets, "index.html")
	if err != nil {
		http.Error(w, "index.html missing", http.StatusInternalServerError)
		return
	}
	if s.cfg.Token != "" {
		html = guard.InjectTokenMeta(html, s.cfg.Token)
	}
	if s.cfg.Origin != "" {
		html = bytes.Replace(html, []byte("<head>"), []byte(`<head><meta name="neko-ws-origin" content="`+html2.EscapeString(s.cfg.Origin)+`">`), 1)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	_, _ = w.Write(html)
}
