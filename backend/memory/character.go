package memory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"neko/backend/memory/msg"
	"neko/backend/memory/store"
)

// State keys in the character database.
const (
	stateOpenSession  = "open_session"  // session id of turns not settled yet
	stateRecentSynced = "recent_synced" // highest original row id present in the recent file
)

// character is one character's memory. mu is the settle lock: cache,
// settle, new_dialog and edits hold it, so a /new_dialog waits for a running
// settle and never reads a half-written memo.
type character struct {
	name string
	srv  *Server
	db   *store.DB

	mu     sync.Mutex
	recent []msg.Message
	gen    uint64 // bumped on every recent write; a review only writes over the generation it read
	// synced is the highest archive id the recent file has held (turns
	// compressed, reviewed or edited away stay below it). It is persisted
	// with the next archive transaction, or at once after removals.
	synced int64

	rmu    sync.Mutex
	review *reviewTask
}

type reviewTask struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// recover loads recent_<name>.json. A corrupt file is kept as .bak and
// rebuilt from SQLite; archived turns missing from the file (a crash
// between the database commit and the file write) are appended.
func (c *character) recover(ctx context.Context) error {
	path := c.srv.recentPath(c.name)
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		c.recent = nil
	case err != nil:
		return fmt.Errorf("read %s: %w", path, err)
	default:
		list, perr := msg.ParseList(b)
		if perr != nil && len(b) > 0 {
			bak := path + ".bak"
			if err := os.WriteFile(bak, b, 0o600); err != nil {
				return fmt.Errorf("keep corrupt recent file: %w", err)
			}
			c.srv.log.Warn("recent memory file is corrupt; kept as .bak and rebuilt from the archive", "file", path, "err", perr)
			return c.rebuild(ctx)
		}
		c.recent = list
	}
	synced, _ := c.db.State(ctx, stateRecentSynced)
	threshold, _ := strconv.ParseInt(synced, 10, 64)
	have := map[int64]bool{}
	for _, m := range c.recent {
		threshold = max(threshold, m.ID)
		have[m.ID] = true
	}
	c.synced = threshold
	open, err := c.db.State(ctx, stateOpenSession)
	if err != nil || open == "" {
		return err
	}
	rows, err := c.db.Rows(ctx, store.KindOriginal, store.RowFilter{SessionID: open, AfterID: threshold})
	if err != nil || len(rows) == 0 {
		return err
	}
	n := 0
	for _, r := range rows {
		if !have[r.ID] {
			c.recent = append(c.recent, r.Message)
			n++
		}
	}
	c.srv.log.Info("recovered archived turns missing from recent memory", "character", c.name, "count", n)
	return c.writeRecent(ctx)
}

// rebuild recreates recent memory from the archive: the newest settled
// summary as the memo, then the newest original turns.
func (c *character) rebuild(ctx context.Context) error {
	c.recent = nil
	comp, err := c.db.Rows(ctx, store.KindCompressed, store.RowFilter{Limit: 1, Newest: true})
	if err != nil {
		return err
	}
	if len(comp) == 1 {
		c.recent = append(c.recent, msg.Message{Role: msg.System, Text: comp[0].Text})
	}
	orig, err := c.db.Rows(ctx, store.KindOriginal, store.RowFilter{Limit: c.srv.cfg.MaxRecent - 1, Newest: true})
	if err != nil {
		return err
	}
	for i := len(orig) - 1; i >= 0; i-- {
		c.recent = append(c.recent, orig[i].Message)
	}
	return c.writeRecent(ctx)
}

// writeRecent saves c.recent atomically and persists the highest archive
// id it has held. Callers hold c.mu.
func (c *character) writeRecent(ctx context.Context) error {
	if err := c.saveRecent(); err != nil {
		return err
	}
	return c.db.SetState(ctx, stateRecentSynced, strconv.FormatInt(c.synced, 10))
}

// saveRecent writes the file and raises c.synced in memory only; the turn
// path persists it inside its next archive transaction instead of paying
// for a separate commit.
func (c *character) saveRecent() error {
	list := c.recent
	if list == nil {
		list = []msg.Message{}
	}
	b, err := json.Marshal(list)
	if err != nil {
		return err
	}
	if err := c.srv.writeFile(c.srv.recentPath(c.name), b, 0o600); err != nil {
		return err
	}
	c.gen++
	for _, m := range c.recent {
		c.synced = max(c.synced, m.ID)
	}
	return nil
}

// openSession returns the id of the unsettled session, creating one.
func (c *character) openSession(ctx context.Context) (string, error) {
	id, err := c.db.State(ctx, stateOpenSession)
	if err != nil || id != "" {
		return id, err
	}
	id = uuid.NewString()
	return id, c.db.SetState(ctx, stateOpenSession, id)
}

// appendTurns archives msgs (durably, first) and appends them to recent
// memory. Callers hold c.mu.
func (c *character) appendTurns(ctx context.Context, msgs []msg.Message, at time.Time) error {
	if len(msgs) == 0 {
		return nil
	}
	sid, err := c.openSession(ctx)
	if err != nil {
		return err
	}
	items, model := c.srv.pending(msgs)
	ids, err := c.db.Append(ctx, store.KindOriginal, sid, at, items, model,
		stateRecentSynced, strconv.FormatInt(c.synced, 10))
	if err != nil {
		return err
	}
	for i, m := range msgs {
		m.ID = ids[i]
		c.recent = append(c.recent, m)
	}
	if model == "" {
		c.srv.kick()
	}
	return c.saveRecent()
}

// cancelReview stops a running review and waits for it; reports whether
// one was running.
func (c *character) cancelReview() bool {
	c.rmu.Lock()
	t := c.review
	c.review = nil
	c.rmu.Unlock()
	if t == nil {
		return false
	}
	t.cancel()
	<-t.done
	return true
}

func (c *character) stopReview() { c.cancelReview() }

// syncRecent mirrors archive edits into recent memory: messages whose
// archive id is in removed are dropped, those in edited get the new text.
// It cancels a running review first (the file changes under it).
func (c *character) syncRecent(ctx context.Context, removed []int64, edited map[int64]string) error {
	gone := map[int64]bool{}
	for _, id := range removed {
		gone[id] = true
	}
	c.mu.Lock()
	hit := false
	for _, m := range c.recent {
		if m.ID > 0 && (gone[m.ID] || edited[m.ID] != "") {
			hit = true
		}
	}
	c.mu.Unlock()
	if !hit {
		return nil
	}
	c.cancelReview()
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.recent[:0:0]
	for _, m := range c.recent {
		if m.ID > 0 && gone[m.ID] {
			continue
		}
		if t, ok := edited[m.ID]; ok && m.ID > 0 {
			m.Text = t
		}
		out = append(out, m)
	}
	c.recent = out
	return c.writeRecent(ctx)
}
