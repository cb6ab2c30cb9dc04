package memory

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"neko/backend/httpjson"
	"neko/backend/memory/msg"
	"neko/backend/memory/store"
)

// browserRoutes mounts the memory browser API: every layer can be listed,
// searched, edited and deleted; recent-memory edits cancel a running
// review.
func (s *Server) browserRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /memory/characters", s.handleCharacters)
	mux.HandleFunc("GET /memory/{name}/recent", s.handleRecentList)
	mux.HandleFunc("GET /memory/{name}/recent/raw", s.handleRecentRaw)
	mux.HandleFunc("PUT /memory/{name}/recent", s.handleRecentReplace)
	mux.HandleFunc("PUT /memory/{name}/recent/{index}", s.handleRecentEdit)
	mux.HandleFunc("DELETE /memory/{name}/recent/{index}", s.handleRecentDelete)
	mux.HandleFunc("GET /memory/{name}/archive/{layer}", s.handleArchiveList)
	mux.HandleFunc("PUT /memory/{name}/archive/{layer}/{id}", s.handleArchiveEdit)
	mux.HandleFunc("DELETE /memory/{name}/archive/{layer}/{id}", s.handleArchiveDelete)
	mux.HandleFunc("GET /memory/{name}/search", s.handleSearchJSON)
	mux.HandleFunc("GET /memory/{name}/timeframe", s.handleTimeframe)
	mux.HandleFunc("POST /memory/{name}/forget", s.handleForget)
	mux.HandleFunc("GET /memory/{name}/export", s.handleExport)
	mux.HandleFunc("POST /memory/{name}/import", s.handleImport)
	mux.HandleFunc("GET /memory/{name}/embedding", s.handleEmbedding)
	mux.HandleFunc("POST /memory/rename", s.handleRename)
}

// RecentItem is one recent-memory message as the browser shows it.
type RecentItem struct {
	Index int    `json:"index"`
	Role  string `json:"role"`
	Text  string `json:"text"`
	ID    int64  `json:"id,omitempty"`
}

func (s *Server) handleCharacters(w http.ResponseWriter, r *http.Request) {
	ents, err := os.ReadDir(s.cfg.Dir)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seen := map[string]bool{}
	names := []string{}
	for _, e := range ents {
		n := e.Name()
		var name string
		switch {
		case strings.HasPrefix(n, "recent_") && strings.HasSuffix(n, ".json"):
			name = strings.TrimSuffix(strings.TrimPrefix(n, "recent_"), ".json")
		case strings.HasPrefix(n, "time_indexed_") && !strings.Contains(n, ".") &&
			!strings.HasSuffix(n, "-wal") && !strings.HasSuffix(n, "-shm") && !strings.HasSuffix(n, "-journal"):
			name = strings.TrimPrefix(n, "time_indexed_")
		}
		if name != "" && ValidName(name) && !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"characters": names})
}

// handleRecentRaw returns recent_<name>.json exactly as stored ("[]" when
// there is none yet).
func (s *Server) handleRecentRaw(w http.ResponseWriter, r *http.Request) {
	c, err := s.char(r.Context(), r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c.mu.Lock()
	b, err := os.ReadFile(s.recentPath(c.name))
	c.mu.Unlock()
	if errors.Is(err, os.ErrNotExist) {
		b, err = []byte("[]"), nil
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(b)
}

func (s *Server) handleRecentList(w http.ResponseWriter, r *http.Request) {
	c, err := s.char(r.Context(), r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c.mu.Lock()
	items := make([]RecentItem, len(c.recent))
	for i, m := range c.recent {
		items[i] = RecentItem{Index: i, Role: m.Role, Text: m.Text, ID: m.ID}
	}
	c.mu.Unlock()
	httpjson.Write(w, http.StatusOK, map[string]any{"items": items})
}

// editRecent cancels a running review, then applies fn under the settle
// lock and saves.
func (s *Server) editRecent(ctx context.Context, name string, fn func(c *character) error) error {
	c, err := s.char(ctx, name)
	if err != nil {
		return err
	}
	c.cancelReview()
	c.mu.Lock()
	defer c.mu.Unlock()
	before := append([]msg.Message(nil), c.recent...)
	if err := fn(c); err != nil {
		c.recent = before
		return err
	}
	return c.writeRecent(ctx)
}

func (s *Server) handleRecentReplace(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Chat []struct {
			Role string `json:"role"`
			Text string `json:"text"`
		} `json:"chat"`
	}
	if !httpjson.DecodeOrError(w, r, &body, s.cfg.MaxBody) {
		return
	}
	msgs := make([]msg.Message, 0, len(body.Chat))
	for i, m := range body.Chat {
		role, ok := map[string]string{"human": msg.Human, "user": msg.Human, "ai": msg.AI, "assistant": msg.AI, "system": msg.System}[m.Role]
		if !ok {
			s.fail(w, r, fmt.Errorf("%w: chat[%d] has role %q (want human, ai or system)", errInvalid, i, m.Role))
			return
		}
		msgs = append(msgs, msg.Message{Role: role, Text: m.Text})
	}
	err := s.editRecent(r.Context(), r.PathValue("name"), func(c *character) error {
		// Keep archive ids of unchanged messages.
		ids := map[string]int64{}
		for _, m := range c.recent {
			ids[m.Role+"\x00"+m.Text] = m.ID
		}
		for i := range msgs {
			msgs[i].ID = ids[msgs[i].Role+"\x00"+msgs[i].Text]
		}
		c.recent = msgs
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true, "count": len(msgs)})
}

func recentIndex(r *http.Request, c *character) (int, error) {
	i, err := strconv.Atoi(r.PathValue("index"))
	if err != nil || i < 0 || i >= len(c.recent) {
		return 0, store.ErrNotFound
	}
	return i, nil
}

func (s *Server) handleRecentEdit(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Text string `json:"text"`
	}
	if !httpjson.DecodeOrError(w, r, &body, s.cfg.MaxBody) {
		return
	}
	err := s.editRecent(r.Context(), r.PathValue("name"), func(c *character) error {
		i, err := recentIndex(r, c)
		if err != nil {
			return err
		}
		c.recent[i].Text = body.Text
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true})
}

func (s *Server) handleRecentDelete(w http.ResponseWriter, r *http.Request) {
	err := s.editRecent(r.Context(), r.PathValue("name"), func(c *character) error {
		i, err := recentIndex(r, c)
		if err != nil {
			return err
		}
		c.recent = append(c.recent[:i:i], c.recent[i+1:]...)
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true})
}

// parseWhen accepts RFC 3339, the archive's timestamp text, a date, or
// unix seconds.
func parseWhen(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, ok := store.ParseTime(v); ok {
		return t, nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	return time.Time{}, fmt.Errorf("%w: bad time %q", errInvalid, v)
}

func layerOf(r *http.Request) (string, error) {
	switch l := r.PathValue("layer"); l {
	case store.KindOriginal, store.KindCompressed:
		return l, nil
	default:
		return "", fmt.Errorf("%w: layer must be original or compressed", errInvalid)
	}
}

func intParam(r *http.Request, key string, def, maxV int) int {
	n, err := strconv.Atoi(r.URL.Query().Get(key))
	if err != nil || n < 0 {
		return def
	}
	return min(n, maxV)
}

func (s *Server) handleArchiveList(w http.ResponseWriter, r *http.Request) {
	layer, err := layerOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.char(r.Context(), r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	from, err1 := parseWhen(q.Get("start"))
	to, err2 := parseWhen(q.Get("end"))
	if err1 != nil || err2 != nil {
		s.fail(w, r, fmt.Errorf("%w: bad start or end", errInvalid))
		return
	}
	if text := q.Get("q"); text != "" {
		hits, err := s.Recall(r.Context(), c.name, store.Query{Text: text, Limit: intParam(r, "limit", 20, 200),
			Kinds: []string{layer}, From: unixMilli(from), To: unixMilli(to)})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		httpjson.Write(w, http.StatusOK, map[string]any{"items": hits})
		return
	}
	rows, err := c.db.Rows(r.Context(), layer, store.RowFilter{From: from, To: to, Newest: true,
		Limit: intParam(r, "limit", 50, 1000), Offset: intParam(r, "offset", 0, 1<<30)})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	total, _ := c.db.Count(r.Context(), layer)
	if rows == nil {
		rows = []store.Row{}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"items": rows, "total": total})
}

func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func (s *Server) archiveTarget(w http.ResponseWriter, r *http.Request) (*character, string, int64, bool) {
	layer, err := layerOf(r)
	if err != nil {
		s.fail(w, r, err)
		return nil, "", 0, false
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, store.ErrNotFound)
		return nil, "", 0, false
	}
	c, err := s.char(r.Context(), r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return nil, "", 0, false
	}
	return c, layer, id, true
}

func (s *Server) handleArchiveEdit(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Text string `json:"text"`
	}
	if !httpjson.DecodeOrError(w, r, &body, s.cfg.MaxBody) {
		return
	}
	c, layer, id, ok := s.archiveTarget(w, r)
	if !ok {
		return
	}
	items, model := s.pending([]msg.Message{{Text: body.Text}})
	if err := c.db.UpdateRow(r.Context(), layer, id, body.Text, items[0].Vec, model); err != nil {
		s.fail(w, r, err)
		return
	}
	if layer == store.KindOriginal {
		if err := c.syncRecent(r.Context(), nil, map[int64]string{id: body.Text}); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.kick()
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true})
}

func (s *Server) handleArchiveDelete(w http.ResponseWriter, r *http.Request) {
	c, layer, id, ok := s.archiveTarget(w, r)
	if !ok {
		return
	}
	n, err := c.db.DeleteRows(r.Context(), layer, []int64{id})
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	if err == nil && layer == store.KindOriginal {
		err = c.syncRecent(r.Context(), []int64{id}, nil)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true, "deleted": n})
}
