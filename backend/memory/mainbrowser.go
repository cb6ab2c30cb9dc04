package memory

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"neko/backend/httpjson"
)

// ReviewSetting is core_config's recent_memory_auto_review switch.
type ReviewSetting interface {
	AutoReview() bool
	SetAutoReview(enabled bool) error
}

// BrowserPrefix is where NewBrowserHandler's routes live on the main
// server; the handler matches full paths, so mount it at this prefix
// without http.StripPrefix: mux.Handle(memory.BrowserPrefix, h).
const BrowserPrefix = "/api/memory/"

// NewBrowserHandler is the main server's memory router (reference §4.6):
// recent_files, recent_file, recent_file/save, update_catgirl_name,
// review_config, plus /api/memory/{name}/... forwarded to the memory
// server's browser API (/memory/{name}/...). Every file access goes
// through the memory server, so its per-character locks apply.
func NewBrowserHandler(c *Client, review ReviewSetting, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	b := &browser{c: c, review: review, log: log.With("component", "memory-browser")}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/memory/recent_files", b.recentFiles)
	mux.HandleFunc("GET /api/memory/recent_file", b.recentFile)
	mux.HandleFunc("POST /api/memory/recent_file/save", b.saveRecentFile)
	mux.HandleFunc("POST /api/memory/update_catgirl_name", b.rename)
	mux.HandleFunc("GET /api/memory/review_config", b.getReview)
	mux.HandleFunc("POST /api/memory/review_config", b.setReview)
	mux.HandleFunc("/api/memory/{name}/{rest...}", b.forward)
	return mux
}

type browser struct {
	c      *Client
	review ReviewSetting
	log    *slog.Logger
}

// nameFromFile checks a recent_<name>.json file name (no path separators)
// and returns the character name.
func nameFromFile(filename string) (string, bool) {
	if strings.ContainsAny(filename, `/\`) || !strings.HasPrefix(filename, "recent_") || !strings.HasSuffix(filename, ".json") {
		return "", false
	}
	name := strings.TrimSuffix(strings.TrimPrefix(filename, "recent_"), ".json")
	return name, ValidName(name)
}

func (b *browser) upstreamError(w http.ResponseWriter, err error) {
	var se *StatusError
	if errors.As(err, &se) && se.Status < 500 {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(se.Status)
		_, _ = w.Write([]byte(se.Body))
		return
	}
	b.log.Error("memory server call failed", "err", err)
	httpjson.Error(w, http.StatusBadGateway, "memory_unavailable", "memory server unavailable")
}

func (b *browser) recentFiles(w http.ResponseWriter, r *http.Request) {
	names, err := b.c.Characters(r.Context())
	if err != nil {
		b.upstreamError(w, err)
		return
	}
	files := make([]string, len(names))
	for i, n := range names {
		files[i] = "recent_" + n + ".json"
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"files": files})
}

func (b *browser) recentFile(w http.ResponseWriter, r *http.Request) {
	name, ok := nameFromFile(r.URL.Query().Get("filename"))
	if !ok {
		httpjson.Error(w, http.StatusBadRequest, "invalid_filename", "filename must be recent_<name>.json")
		return
	}
	raw, err := b.c.RecentRaw(r.Context(), name)
	if err != nil {
		b.upstreamError(w, err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"content": raw})
}

func (b *browser) saveRecentFile(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Filename string     `json:"filename"`
		Chat     []ChatLine `json:"chat"`
	}
	if !httpjson.DecodeOrError(w, r, &body, 8<<20) {
		return
	}
	name, ok := nameFromFile(body.Filename)
	if !ok {
		httpjson.Error(w, http.StatusBadRequest, "invalid_filename", "filename must be recent_<name>.json")
		return
	}
	// The memory server cancels a running review before rewriting.
	if err := b.c.ReplaceRecent(r.Context(), name, body.Chat); err != nil {
		b.upstreamError(w, err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true, "need_refresh": true, "catgirl_name": name})
}

func (b *browser) rename(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Old string `json:"old_name"`
		New string `json:"new_name"`
	}
	if !httpjson.DecodeOrError(w, r, &body, 0) {
		return
	}
	if !ValidName(body.Old) || !ValidName(body.New) {
		httpjson.Error(w, http.StatusBadRequest, "invalid_name", "invalid character name")
		return
	}
	if err := b.c.Rename(r.Context(), body.Old, body.New); err != nil {
		b.upstreamError(w, err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true})
}

func (b *browser) getReview(w http.ResponseWriter, r *http.Request) {
	enabled := true
	if b.review != nil {
		enabled = b.review.AutoReview()
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"enabled": enabled})
}

func (b *browser) setReview(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Enabled *bool `json:"enabled"`
	}
	if !httpjson.DecodeOrError(w, r, &body, 0) {
		return
	}
	if body.Enabled == nil {
		httpjson.Error(w, http.StatusBadRequest, "invalid", "enabled (boolean) is required")
		return
	}
	if b.review == nil {
		httpjson.Error(w, http.StatusServiceUnavailable, "unavailable", "review setting not wired")
		return
	}
	if err := b.review.SetAutoReview(*body.Enabled); err != nil {
		b.log.Error("save review setting", "err", err)
		httpjson.Error(w, http.StatusInternalServerError, "internal", "internal error")
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true, "enabled": *body.Enabled})
}

// forward relays /api/memory/{name}/{rest} to the memory server's
// /memory/{name}/{rest} with the same method, query and JSON body.
func (b *browser) forward(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !ValidName(name) {
		httpjson.Error(w, http.StatusBadRequest, "invalid_name", "invalid character name")
		return
	}
	var body any
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		var raw rawJSON
		if !httpjson.DecodeOrError(w, r, &raw, 256<<20) {
			return
		}
		body = raw
	}
	path := "/memory/" + p(name) + "/" + r.PathValue("rest")
	if r.URL.RawQuery != "" {
		path += "?" + r.URL.RawQuery
	}
	out, err := b.c.Do(r.Context(), r.Method, path, body)
	if err != nil {
		b.upstreamError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(out)
}

// rawJSON passes a request body through unchanged.
type rawJSON []byte

func (j *rawJSON) UnmarshalJSON(b []byte) error { *j = append((*j)[:0], b...); return nil }
func (j rawJSON) MarshalJSON() ([]byte, error)  { return j, nil }
