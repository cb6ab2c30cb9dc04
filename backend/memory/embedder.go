package memory

import (
	"context"
	"time"

	"neko/backend/llm"
	"neko/backend/memory/embed"
	"neko/backend/memory/msg"
	"neko/backend/memory/store"
)

// embedStatus is the progress of (re-)embedding one character's entries
// with the active model.
type embedStatus struct {
	Model   string `json:"model"`
	Done    int    `json:"done"`
	Total   int    `json:"total"`
	Running bool   `json:"running"`
	Error   string `json:"error,omitempty"`
}

// activeModel names the embedding model in use: the provider's when the
// "embedding" role is configured, otherwise the bundled word vectors.
func (s *Server) activeModel() (string, llm.Endpoint) {
	ep := s.endpoint(RoleEmbedding)
	if ep.BaseURL == "" {
		return embed.ModelName, ep
	}
	return "provider:" + ep.BaseURL + "#" + ep.Model, ep
}

// pending prepares messages for archiving. Local vectors are computed
// inline (microseconds); provider vectors are left to the background
// worker so a turn never waits on the network. It returns the model the
// vectors belong to ("" when none were computed).
func (s *Server) pending(msgs []msg.Message) ([]store.Pending, string) {
	model, _ := s.activeModel()
	items := make([]store.Pending, len(msgs))
	local := model == embed.ModelName
	for i, m := range msgs {
		items[i].Msg = m
		if local {
			items[i].Vec = s.local.Embed(m.Text)
		}
	}
	if !local {
		return items, ""
	}
	return items, model
}

// queryVec embeds a recall query with the active model.
func (s *Server) queryVec(ctx context.Context, text string) ([]float32, string, error) {
	model, ep := s.activeModel()
	if model == embed.ModelName {
		return s.local.Embed(text), model, nil
	}
	vecs, err := llm.NewEmbeddingClient(ep).Embed(ctx, []string{text})
	if err != nil || len(vecs) != 1 {
		return nil, model, err
	}
	return vecs[0], model, nil
}

// embedLoop fills in vectors that are missing or belong to another model
// (after the user changes the embedding model), character by character,
// in the background.
func (s *Server) embedLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.EmbedInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
		s.mu.Lock()
		if time.Now().Before(s.embedWait) {
			s.mu.Unlock()
			continue
		}
		chars := make([]*character, 0, len(s.chars))
		for _, c := range s.chars {
			chars = append(chars, c)
		}
		s.mu.Unlock()
		for _, c := range chars {
			for s.embedBatch(c) {
				if s.ctx.Err() != nil {
					return
				}
			}
		}
	}
}

// embedBatch embeds one batch of stale entries; it reports whether more
// work may remain.
func (s *Server) embedBatch(c *character) bool {
	model, ep := s.activeModel()
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.LLMTimeout)
	defer cancel()
	stale, err := c.db.StaleEntries(ctx, model, s.cfg.EmbedBatch)
	if err != nil || len(stale) == 0 {
		s.setEmbedStatus(ctx, c, model, false, err)
		return false
	}
	texts := make([]string, len(stale))
	ids := make([]int64, len(stale))
	for i, e := range stale {
		texts[i], ids[i] = e.Text, e.ID
	}
	var vecs [][]float32
	if model == embed.ModelName {
		vecs = make([][]float32, len(texts))
		for i, t := range texts {
			vecs[i] = s.local.Embed(t)
		}
	} else {
		vecs, err = llm.NewEmbeddingClient(ep).Embed(ctx, texts)
		if err == nil && len(vecs) != len(texts) {
			err = errShortEmbedding
		}
	}
	if err == nil {
		err = c.db.SetVectors(ctx, model, ids, vecs)
	}
	if err != nil {
		s.log.Warn("background embedding failed; pausing", "character", c.name, "model", model, "err", err, "pause", embedBackoff)
		s.setEmbedStatus(ctx, c, model, false, err)
		s.mu.Lock()
		s.embedWait = time.Now().Add(embedBackoff)
		s.mu.Unlock()
		return false
	}
	s.setEmbedStatus(ctx, c, model, true, nil)
	return true
}

// embedBackoff pauses background embedding after a failure, so a broken
// provider is not hammered.
const embedBackoff = 30 * time.Second

type constError string

func (e constError) Error() string { return string(e) }

const errShortEmbedding = constError("embedding provider returned fewer vectors than texts")

func (s *Server) setEmbedStatus(ctx context.Context, c *character, model string, running bool, err error) {
	st := embedStatus{Model: model, Running: running}
	st.Done, st.Total, _ = c.db.EmbedProgress(ctx, model)
	if err != nil {
		st.Error = err.Error()
	}
	s.mu.Lock()
	s.embst[c.name] = st
	s.mu.Unlock()
}

// EmbedStatus reports the re-embedding progress of a character.
func (s *Server) embedStatus(ctx context.Context, c *character) embedStatus {
	model, _ := s.activeModel()
	s.mu.Lock()
	st, ok := s.embst[c.name]
	s.mu.Unlock()
	if !ok || st.Model != model {
		st = embedStatus{Model: model}
		st.Done, st.Total, _ = c.db.EmbedProgress(ctx, model)
		st.Running = st.Done < st.Total
	}
	return st
}

// EmbeddingStatus reports a character's embedding progress: model, done,
// total, running, error.
func (s *Server) EmbeddingStatus(ctx context.Context, name string) (map[string]any, error) {
	c, err := s.char(ctx, name)
	if err != nil {
		return nil, err
	}
	st := s.embedStatus(ctx, c)
	out := map[string]any{"model": st.Model, "done": st.Done, "total": st.Total, "running": st.Running}
	if st.Error != "" {
		out["error"] = st.Error
	}
	return out, nil
}
