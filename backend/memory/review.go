package memory

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"neko/backend/memory/msg"
)

// startReview runs the correction model over recent memory in the
// background (reference §9.6). It is cancelled by /new_dialog,
// /cancel_correction, edits and new settles; it only writes when recent
// memory has not changed since it was read.
func (s *Server) startReview(c *character) {
	if s.cfg.ReviewEnabled != nil && !s.cfg.ReviewEnabled() {
		return
	}
	if s.endpoint(RoleCorrection).BaseURL == "" && s.endpoint(RoleSummary).BaseURL == "" {
		return
	}
	// Callers hold c.mu and have cancelled any earlier review (only a
	// settle, which holds c.mu, starts one).
	ctx, cancel := context.WithCancel(s.ctx)
	t := &reviewTask{cancel: cancel, done: make(chan struct{})}
	c.rmu.Lock()
	c.review = t
	c.rmu.Unlock()
	// startReview runs with c.mu held: take the snapshot now.
	snapshot := append([]msg.Message(nil), c.recent...)
	gen := c.gen
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(t.done)
		defer cancel()
		if err := s.review(ctx, c, snapshot, gen); err != nil && ctx.Err() == nil {
			s.log.Warn("memory review failed", "character", c.name, "err", err)
		}
		c.rmu.Lock()
		if c.review == t {
			c.review = nil
		}
		c.rmu.Unlock()
	}()
}

func (s *Server) review(ctx context.Context, c *character, snapshot []msg.Message, gen uint64) error {
	if len(snapshot) == 0 {
		return nil
	}
	prompt := fill(reviewPrompt, "{name}", c.name, "{master}", s.masterName(), "{history}", s.transcript(c.name, snapshot))
	text, err := s.complete(ctx, RoleCorrection, prompt, 0.1)
	if err != nil {
		return err
	}
	var out struct {
		Notes     string `json:"修正说明"`
		Corrected []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"修正后的对话"`
	}
	if err := parseJSONObject(text, &out); err != nil {
		return err
	}
	var fixed []msg.Message
	for _, m := range out.Corrected {
		body, err := msg.ContentText(m.Content)
		if err != nil || strings.TrimSpace(body) == "" {
			continue
		}
		role := msg.AI
		switch strings.TrimSpace(m.Role) {
		case "SYSTEM_MESSAGE", "system":
			role = msg.System
		case s.masterName(), "user", "human":
			role = msg.Human
		}
		fixed = append(fixed, msg.Message{Role: role, Text: body})
	}
	if len(fixed) == 0 {
		return nil // an empty correction would erase memory: ignore it
	}
	// Keep archive ids where the text survived unchanged.
	ids := map[string]int64{}
	for _, m := range snapshot {
		ids[m.Role+"\x00"+m.Text] = m.ID
	}
	for i := range fixed {
		fixed[i].ID = ids[fixed[i].Role+"\x00"+fixed[i].Text]
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ctx.Err() != nil || c.gen != gen {
		return nil // cancelled, or memory changed meanwhile
	}
	c.recent = fixed
	s.log.Info("recent memory reviewed", "character", c.name, "notes", truncate(out.Notes, 200))
	return c.writeRecent(ctx)
}

// readSettingsMemo reads settings_<name>.json (the "important settings"
// memo; extraction is disabled upstream, the file is still read).
func readSettingsMemo(dir, name string) (map[string]any, error) {
	b, err := os.ReadFile(filepath.Join(dir, "settings_"+name+".json"))
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}
