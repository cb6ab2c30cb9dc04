package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"

	"neko/backend/guard"
	"neko/backend/memory"
	"neko/backend/memory/msg"
)

// Seed gives a character a lived-in archive before the load starts: n
// archived messages over the past 90 days, imported through the memory
// server's own import route. A long-time user's archive has warmed
// SQLite's page caches and filled the vector index; without it a
// 10-minute soak mostly measures those filling, not leaks.
func (m *Memory) Seed(ctx context.Context, name string, n int, rng *rand.Rand) error {
	ex := memory.Export{Format: memory.ExportFormat, Name: name, ExportedAt: time.Now()}
	start := time.Now().Add(-90 * 24 * time.Hour)
	for i := 0; i < n; i += 2 {
		at := start.Add(time.Duration(i) * 90 * 24 * time.Hour / time.Duration(n))
		sid := fmt.Sprintf("seed-%d", i/40)
		user := chatLines[rng.IntN(len(chatLines))] + fmt.Sprintf(" fact %s", randomWord(rng))
		ai := replyLines[rng.IntN(len(replyLines))] + "我记住了。"
		ex.Original = append(ex.Original,
			memory.ExportRow{SessionID: sid, Time: at, Message: msg.Message{Role: msg.Human, Text: user}},
			memory.ExportRow{SessionID: sid, Time: at, Message: msg.Message{Role: msg.AI, Text: ai}})
	}
	// In parts: the servers take bodies of at most 1 MiB.
	all := ex.Original
	for len(all) > 0 {
		part := all[:min(len(all), 1000)]
		all = all[len(part):]
		ex.Original = part
		body, err := json.Marshal(ex)
		if err != nil {
			return err
		}
		var out struct {
			Imported int `json:"imported"`
		}
		if err := m.call(ctx, "POST", "/memory/"+url.PathEscape(name)+"/import", body, &out); err != nil {
			return fmt.Errorf("seed %s: %w", name, err)
		}
		if out.Imported != len(part) {
			return fmt.Errorf("seed %s: imported %d of %d", name, out.Imported, len(part))
		}
	}
	return nil
}

// WaitEmbedded waits until the background worker has embedded every
// entry of a character with the configured embedding model.
func (m *Memory) WaitEmbedded(ctx context.Context, name string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		var st struct {
			Done  int    `json:"done"`
			Total int    `json:"total"`
			Error string `json:"error"`
		}
		err := m.call(ctx, "GET", "/memory/"+url.PathEscape(name)+"/embedding", nil, &st)
		if err == nil && st.Total > 0 && st.Done >= st.Total {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: embeddings %d/%d after %s (%v %s)", name, st.Done, st.Total, limit, err, st.Error)
		}
		if !sleepOr(ctx, nil, 500*time.Millisecond) {
			return ctx.Err()
		}
	}
}

func (m *Memory) call(ctx context.Context, method, path string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, m.Base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set(guard.InstanceTokenHeader, m.InstanceToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := m.hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != 200 {
		return fmt.Errorf("%s %s: status %d: %s", method, path, res.StatusCode, truncate(string(raw), 300))
	}
	return json.Unmarshal(raw, out)
}

func randomWord(rng *rand.Rand) string {
	b := make([]byte, 8)
	for i := range b {
		b[i] = byte('a' + rng.IntN(26))
	}
	return string(b)
}
