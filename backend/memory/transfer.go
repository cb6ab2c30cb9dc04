package memory

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"neko/backend/httpjson"
	"neko/backend/memory/msg"
	"neko/backend/memory/store"
)

func (s *Server) handleSearchJSON(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, err1 := parseWhen(q.Get("start"))
	to, err2 := parseWhen(q.Get("end"))
	if err1 != nil || err2 != nil || q.Get("q") == "" {
		s.fail(w, r, fmt.Errorf("%w: q is required; start/end must be times", errInvalid))
		return
	}
	hits, err := s.Recall(r.Context(), r.PathValue("name"), store.Query{Text: q.Get("q"),
		Limit: intParam(r, "limit", 10, 100), From: unixMilli(from), To: unixMilli(to)})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if hits == nil {
		hits = []store.Hit{}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"items": hits})
}

// handleTimeframe returns the archive between start and end: the settled
// summaries and the original turns (retrieve_*_by_timeframe upstream).
func (s *Server) handleTimeframe(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, err1 := parseWhen(q.Get("start"))
	to, err2 := parseWhen(q.Get("end"))
	if err1 != nil || err2 != nil {
		s.fail(w, r, fmt.Errorf("%w: start/end must be times", errInvalid))
		return
	}
	c, err := s.char(r.Context(), r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := store.RowFilter{From: from, To: to, Limit: intParam(r, "limit", 500, 5000)}
	sums, err := c.db.Rows(r.Context(), store.KindCompressed, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	orig, err := c.db.Rows(r.Context(), store.KindOriginal, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"compressed": nonNil(sums), "original": nonNil(orig)})
}

func nonNil(r []store.Row) []store.Row {
	if r == nil {
		return []store.Row{}
	}
	return r
}

// handleForget deletes archive entries with their vectors: {layer, ids}
// and/or {session_id}.
func (s *Server) handleForget(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Layer     string  `json:"layer"`
		IDs       []int64 `json:"ids"`
		SessionID string  `json:"session_id"`
	}
	if !httpjson.DecodeOrError(w, r, &body, s.cfg.MaxBody) {
		return
	}
	if body.SessionID == "" && len(body.IDs) == 0 {
		s.fail(w, r, fmt.Errorf("%w: ids or session_id is required", errInvalid))
		return
	}
	c, err := s.char(r.Context(), r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n := 0
	if len(body.IDs) > 0 {
		if body.Layer != store.KindOriginal && body.Layer != store.KindCompressed {
			s.fail(w, r, fmt.Errorf("%w: layer must be original or compressed", errInvalid))
			return
		}
		if n, err = c.db.DeleteRows(r.Context(), body.Layer, body.IDs); err != nil {
			s.fail(w, r, err)
			return
		}
		if body.Layer == store.KindOriginal {
			if err := c.syncRecent(r.Context(), body.IDs, nil); err != nil {
				s.fail(w, r, err)
				return
			}
		}
	}
	if body.SessionID != "" {
		rows, err := c.db.Rows(r.Context(), store.KindOriginal, store.RowFilter{SessionID: body.SessionID})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ids := make([]int64, len(rows))
		for i, row := range rows {
			ids[i] = row.ID
		}
		if err := c.syncRecent(r.Context(), ids, nil); err != nil {
			s.fail(w, r, err)
			return
		}
		m, err := c.db.DeleteSession(r.Context(), body.SessionID)
		n += m
		if err != nil {
			s.fail(w, r, err)
			return
		}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true, "deleted": n})
}

// ExportFormat tags memory export documents.
const ExportFormat = "neko-memory/1"

// Export is one character's whole memory.
type Export struct {
	Format     string        `json:"format"`
	Name       string        `json:"name"`
	ExportedAt time.Time     `json:"exported_at"`
	Recent     []msg.Message `json:"recent"`
	Original   []ExportRow   `json:"original"`
	Compressed []ExportRow   `json:"compressed"`
}

// ExportRow is one archive row of an export.
type ExportRow struct {
	SessionID string      `json:"session_id"`
	Time      time.Time   `json:"timestamp"`
	Message   msg.Message `json:"message"`
}

func (s *Server) export(ctx context.Context, name string) (*Export, error) {
	c, err := s.char(ctx, name)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ex := &Export{Format: ExportFormat, Name: name, ExportedAt: s.cfg.Now(), Recent: append([]msg.Message{}, c.recent...)}
	for i := range ex.Recent {
		ex.Recent[i].ID = 0
	}
	for _, kind := range []string{store.KindOriginal, store.KindCompressed} {
		rows, err := c.db.Rows(ctx, kind, store.RowFilter{})
		if err != nil {
			return nil, err
		}
		out := make([]ExportRow, len(rows))
		for i, r := range rows {
			m := r.Message
			m.ID = 0
			out[i] = ExportRow{SessionID: r.SessionID, Time: r.Time, Message: m}
		}
		if kind == store.KindOriginal {
			ex.Original = out
		} else {
			ex.Compressed = out
		}
	}
	return ex, nil
}

func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) {
	ex, err := s.export(r.Context(), r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="memory.json"`)
	httpjson.Write(w, http.StatusOK, ex)
}

// importInto adds an export's archive to a character (rows keep their
// session and time) and, when the character has no recent memory yet or
// replace is set, takes the export's recent memory.
func (s *Server) importInto(ctx context.Context, name string, ex *Export, replace bool) (int, error) {
	if ex.Format != ExportFormat {
		return 0, fmt.Errorf("%w: format must be %q", errInvalid, ExportFormat)
	}
	c, err := s.char(ctx, name)
	if err != nil {
		return 0, err
	}
	c.cancelReview()
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, layer := range []struct {
		kind string
		rows []ExportRow
	}{{store.KindOriginal, ex.Original}, {store.KindCompressed, ex.Compressed}} {
		// Group consecutive rows of one session and time into one append.
		for i := 0; i < len(layer.rows); {
			j := i
			for j < len(layer.rows) && layer.rows[j].SessionID == layer.rows[i].SessionID && layer.rows[j].Time.Equal(layer.rows[i].Time) {
				j++
			}
			msgs := make([]msg.Message, 0, j-i)
			for _, r := range layer.rows[i:j] {
				msgs = append(msgs, r.Message)
			}
			items, model := s.pending(msgs)
			at := layer.rows[i].Time
			if at.IsZero() {
				at = s.cfg.Now()
			}
			if _, err := c.db.Append(ctx, layer.kind, layer.rows[i].SessionID, at, items, model); err != nil {
				return n, err
			}
			n += j - i
			i = j
		}
	}
	if replace || len(c.recent) == 0 {
		c.recent = append([]msg.Message{}, ex.Recent...)
		for i := range c.recent {
			c.recent[i].ID = 0
		}
		if err := c.writeRecent(ctx); err != nil {
			return n, err
		}
	}
	s.kick()
	return n, nil
}

func (s *Server) handleImport(w http.ResponseWriter, r *http.Request) {
	var ex Export
	if !httpjson.DecodeOrError(w, r, &ex, 256<<20) {
		return
	}
	n, err := s.importInto(r.Context(), r.PathValue("name"), &ex, r.URL.Query().Get("replace_recent") == "true")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true, "imported": n})
}

func (s *Server) handleEmbedding(w http.ResponseWriter, r *http.Request) {
	c, err := s.char(r.Context(), r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, s.embedStatus(r.Context(), c))
}

// handleRename moves a character's memory files to a new name
// (update_catgirl_name).
func (s *Server) handleRename(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Old string `json:"old_name"`
		New string `json:"new_name"`
	}
	if !httpjson.DecodeOrError(w, r, &body, 0) {
		return
	}
	if !ValidName(body.Old) || !ValidName(body.New) {
		s.fail(w, r, ErrBadName)
		return
	}
	if err := s.rename(body.Old, body.New); err != nil {
		s.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true})
}

func (s *Server) rename(oldName, newName string) error {
	for _, p := range []string{s.recentPath(newName), s.dbPath(newName)} {
		if _, err := os.Stat(p); err == nil {
			return fmt.Errorf("%w: memory for %q already exists", errInvalid, newName)
		}
	}
	s.forgetChar(oldName)
	s.forgetChar(newName)
	pairs := [][2]string{{s.recentPath(oldName), s.recentPath(newName)}, {s.dbPath(oldName), s.dbPath(newName)},
		{s.dbPath(oldName) + "-wal", s.dbPath(newName) + "-wal"}, {s.dbPath(oldName) + "-shm", s.dbPath(newName) + "-shm"}}
	for _, p := range pairs {
		if err := os.Rename(p[0], p[1]); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("rename %s: %w", p[0], err)
		}
	}
	return nil
}
