package memory

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"neko/backend/memory/msg"
	"neko/backend/memory/store"
)

// Cache appends turns to recent memory and the archive, without any model
// call (POST /cache).
func (s *Server) Cache(ctx context.Context, name string, msgs []msg.Message) (int, error) {
	c, err := s.char(ctx, name)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.appendTurns(ctx, msgs, s.cfg.Now()); err != nil {
		return 0, err
	}
	return len(msgs), nil
}

// Settle ends the open session: it appends msgs, archives a summary of the
// whole session (every turn cached since the last settle, not only the
// un-cached tail: the original's bug left the archive empty), compresses
// recent memory and starts the background review. detailed selects the
// hot-swap (renew) summary prompt.
func (s *Server) Settle(ctx context.Context, name string, msgs []msg.Message, detailed bool) error {
	c, err := s.char(ctx, name)
	if err != nil {
		return err
	}
	c.cancelReview()
	c.mu.Lock()
	defer c.mu.Unlock()
	now := s.cfg.Now()
	if err := c.appendTurns(ctx, msgs, now); err != nil {
		return err
	}
	sid, err := c.db.State(ctx, stateOpenSession)
	if err != nil {
		return err
	}
	if sid != "" {
		rows, err := c.db.Rows(ctx, store.KindOriginal, store.RowFilter{SessionID: sid})
		if err != nil {
			return err
		}
		if err := c.archiveSummary(ctx, sid, rows, detailed, now); err != nil {
			return err
		}
	}
	if err := c.compressRecent(ctx, detailed); err != nil {
		return err
	}
	s.startReview(c)
	return nil
}

// archiveSummary stores the session summary in time_indexed_compressed and
// opens a new session, in one transaction. Without a summary model the
// originals stay archived and only the session is closed.
func (c *character) archiveSummary(ctx context.Context, sid string, rows []store.Row, detailed bool, now time.Time) error {
	next := uuid.NewString()
	if len(rows) == 0 {
		return nil
	}
	msgs := make([]msg.Message, len(rows))
	for i, r := range rows {
		msgs[i] = r.Message
	}
	sum, err := c.srv.summarize(ctx, c.name, msgs, detailed)
	if err != nil {
		c.srv.log.Warn("session archived without a summary", "character", c.name, "session", sid, "err", err)
		return c.db.SetState(ctx, stateOpenSession, next)
	}
	memo := msg.Message{Role: msg.System, Text: sum}
	items, model := c.srv.pending([]msg.Message{memo})
	_, err = c.db.Append(ctx, store.KindCompressed, sid, now, items, model, stateOpenSession, next)
	return err
}

// bracketRE matches bracketed asides, which /new_dialog strips.
var bracketRE = regexp.MustCompile(`\[[^\[\]]*\]|\([^()]*\)|（[^（）]*）|【[^【】]*】|\{[^{}]*\}|<[^<>]*>`)

func stripBrackets(s string) string {
	for {
		t := bracketRE.ReplaceAllString(s, "")
		if t == s {
			return strings.TrimSpace(t)
		}
		s = t
	}
}

// settingsJSON is the profile blob of /new_dialog: the character's and the
// master's non-reserved fields plus the settings_<name>.json memo.
func (s *Server) settingsJSON(name string) string {
	out := map[string]any{}
	if s.deps.Characters != nil {
		if p, ok := s.deps.Characters.Profile(name); ok {
			out[name] = publicFields(p)
		}
		if mp, ok := s.deps.Characters.(interface{ MasterProfile() map[string]any }); ok {
			out[s.masterName()] = publicFields(mp.MasterProfile())
		}
	}
	if b, err := readSettingsMemo(s.cfg.Dir, name); err == nil {
		for k, v := range b {
			out[k] = v
		}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// reservedKeys are system fields of a profile (reference §11.1), never
// shown to the model, including legacy flat copies of _reserved.
var reservedKeys = map[string]bool{"live2d": true, "voice_id": true, "system_prompt": true, "model_type": true,
	"vrm": true, "vrm_animation": true, "lighting": true, "vrm_rotation": true, "live2d_item_id": true,
	"item_id": true, "idleAnimation": true}

func publicFields(p map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range p {
		if !strings.HasPrefix(k, "_") && !reservedKeys[k] {
			out[k] = v
		}
	}
	return out
}

func (s *Server) timestamp() string { return s.cfg.Now().Format("2006-01-02 15:04:05 Monday") }

// NewDialog builds the memory context text for a new session (GET
// /new_dialog). It cancels a running review and waits for a running settle.
func (s *Server) NewDialog(ctx context.Context, name string) (string, error) {
	if !ValidName(name) {
		return "", ErrBadName
	}
	if !s.known(name) {
		return "", nil
	}
	c, err := s.char(ctx, name)
	if err != nil {
		return "", err
	}
	c.cancelReview()
	c.mu.Lock()
	recent := append([]msg.Message(nil), c.recent...)
	c.mu.Unlock()
	lang := s.cfg.Lang
	var b strings.Builder
	b.WriteString(fill(loc(innerThoughtsHeader, lang), "{name}", name))
	b.WriteString(fill(loc(innerThoughtsBody, lang), "{name}", name, "{master}", s.masterName(),
		"{settings}", s.settingsJSON(name), "{time}", s.timestamp()))
	writeLines(&b, s, name, recent)
	return b.String(), nil
}

func writeLines(b *strings.Builder, s *Server, name string, recent []msg.Message) {
	for _, m := range recent {
		fmt.Fprintf(b, "%s | %s\n", s.displayName(name, m.Role), stripBrackets(m.Text))
	}
}

// RecentHistory is GET /get_recent_history.
func (s *Server) RecentHistory(ctx context.Context, name string) (string, error) {
	c, err := s.char(ctx, name)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	recent := append([]msg.Message(nil), c.recent...)
	c.mu.Unlock()
	var b strings.Builder
	b.WriteString(fill(loc(recentHistoryIntro, s.cfg.Lang), "{name}", name))
	writeLines(&b, s, name, recent)
	return b.String(), nil
}

// Recall runs hybrid recall over a character's archive.
func (s *Server) Recall(ctx context.Context, name string, q store.Query) ([]store.Hit, error) {
	c, err := s.char(ctx, name)
	if err != nil {
		return nil, err
	}
	vec, model, err := s.queryVec(ctx, q.Text)
	if err != nil {
		s.log.Warn("query embedding failed; keyword recall only", "character", name, "err", err)
	}
	q.Vec, q.Model = vec, model
	if a := s.local.NewAligner(q.Text); a != nil {
		q.Rerank = a.Score
	}
	return c.db.Search(ctx, q)
}

// SearchText is GET /search_for_memory: recall formatted for the model.
func (s *Server) SearchText(ctx context.Context, name, query string) (string, error) {
	hits, err := s.Recall(ctx, name, store.Query{Text: query, Limit: 5})
	if err != nil {
		return "", err
	}
	lang := s.cfg.Lang
	var b strings.Builder
	b.WriteString(fill(loc(memoryRecallHeader, lang), "{name}", name))
	b.WriteString(query)
	b.WriteString(fill(loc(memoryResultsHeader, lang), "{name}", name))
	if len(hits) == 0 {
		b.WriteString(loc(noMemoryFound, lang))
	}
	for i, h := range hits {
		fmt.Fprintf(&b, "记忆片段%d | [%s] %s: %s\n", i+1, h.Time.Local().Format("2006-01-02 15:04"),
			s.displayName(name, h.Role), stripBrackets(h.Text))
	}
	return b.String(), nil
}
