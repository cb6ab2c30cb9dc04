package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Query is one recall request.
type Query struct {
	Text  string
	Vec   []float32 // query vector from Model; nil: keyword recall only
	Model string
	Limit int   // default 10
	From  int64 // unix ms, 0 = open
	To    int64 // unix ms, 0 = open
	Kinds []string
	Now   time.Time // for the recency term; zero = time.Now()
	// Rerank, when set, scores each fused candidate's text against the
	// query (higher is better); its ranking joins the fusion.
	Rerank func(text string) float64
}

// Hit is one recalled entry.
type Hit struct {
	EntryID   int64     `json:"entry_id"`
	Kind      string    `json:"kind"`
	RefID     int64     `json:"id"`
	SessionID string    `json:"session_id"`
	Role      string    `json:"role"`
	Text      string    `json:"text"`
	Time      time.Time `json:"timestamp"`
	Score     float64   `json:"score"`
}

// Fusion constants: reciprocal-rank fusion with k=60, plus a recency bonus
// worth at most a fraction of one first-place rank, halving every 30 days.
const (
	rrfK          = 60.0
	recencyWeight = 0.25 / (rrfK + 1)
	recencyHalf   = 30 * 24 * time.Hour
	candidates    = 50
	vecCandidates = 200
	rerankPool    = 160
	rerankWeight  = 1.0
)

// Search recalls entries by BM25 (FTS5) and cosine similarity, fused by
// reciprocal rank with a small recency term.
func (db *DB) Search(ctx context.Context, q Query) ([]Hit, error) {
	if q.Limit <= 0 {
		q.Limit = 10
	}
	if q.Now.IsZero() {
		q.Now = time.Now()
	}
	fused := map[int64]float64{}
	kw, err := db.keyword(ctx, q)
	if err != nil {
		return nil, err
	}
	for rank, id := range kw {
		fused[id] += 1 / (rrfK + float64(rank+1))
	}
	if q.Vec != nil && q.Model != "" {
		if err := db.ensureIndex(ctx, q.Model); err != nil {
			return nil, err
		}
		for rank, s := range db.vix.search(q.Vec, vecCandidates, q.From, q.To) {
			if s.score <= 0 {
				break
			}
			fused[s.id] += 1 / (rrfK + float64(rank+1))
		}
	}
	if len(fused) == 0 {
		return nil, nil
	}
	ids := make([]int64, 0, len(fused))
	for id := range fused {
		ids = append(ids, id)
	}
	// Only the best fused candidates are loaded and reranked.
	if len(ids) > rerankPool {
		sort.Slice(ids, func(a, b int) bool {
			if fused[ids[a]] != fused[ids[b]] {
				return fused[ids[a]] > fused[ids[b]]
			}
			return ids[a] > ids[b]
		})
		ids = ids[:rerankPool]
	}
	hits, err := db.entries(ctx, ids)
	if err != nil {
		return nil, err
	}
	if q.Rerank != nil {
		rs := make([]float64, len(hits))
		order := make([]int, len(hits))
		for i, h := range hits {
			rs[i], order[i] = q.Rerank(h.Text), i
		}
		sort.Slice(order, func(a, b int) bool { return rs[order[a]] > rs[order[b]] })
		for rank, i := range order {
			fused[hits[i].EntryID] += rerankWeight / (rrfK + float64(rank+1))
		}
	}
	kinds := map[string]bool{}
	for _, k := range q.Kinds {
		kinds[k] = true
	}
	out := hits[:0]
	for _, h := range hits {
		if len(kinds) > 0 && !kinds[h.Kind] {
			continue
		}
		age := q.Now.Sub(h.Time)
		if age < 0 {
			age = 0
		}
		h.Score = fused[h.EntryID] + recencyWeight*math.Exp2(-float64(age)/float64(recencyHalf))
		out = append(out, h)
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Score != out[b].Score {
			return out[a].Score > out[b].Score
		}
		return out[a].EntryID > out[b].EntryID
	})
	// Identical texts ("good night!") would crowd out everything else:
	// keep the best-scoring copy of each.
	seen := map[string]bool{}
	dedup := out[:0]
	for _, h := range out {
		key := strings.ToLower(strings.TrimSpace(h.Text))
		if seen[key] {
			continue
		}
		seen[key] = true
		dedup = append(dedup, h)
	}
	out = dedup
	if len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

// keyword returns entry ids ranked by BM25.
func (db *DB) keyword(ctx context.Context, q Query) ([]int64, error) {
	terms, err := db.selectiveTerms(ctx, queryTerms(q.Text))
	if err != nil {
		return nil, err
	}
	fq := ftsQuery(terms)
	if fq == "" {
		return nil, nil
	}
	sqlq := "SELECT rowid FROM neko_entries_fts WHERE neko_entries_fts MATCH ? ORDER BY rank LIMIT ?"
	args := []any{fq, candidates}
	if q.From != 0 || q.To != 0 {
		to := q.To
		if to == 0 {
			to = math.MaxInt64
		}
		sqlq = `SELECT f.rowid FROM neko_entries_fts f JOIN neko_entries e ON e.id = f.rowid
			WHERE neko_entries_fts MATCH ? AND e.ts BETWEEN ? AND ? ORDER BY f.rank LIMIT ?`
		args = []any{fq, q.From, to, candidates}
	}
	rows, err := db.sql.QueryContext(ctx, sqlq, args...)
	if err != nil {
		return nil, fmt.Errorf("keyword search: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// commonShare is the fraction of entries above which a term is too common
// to be worth scoring: its BM25 weight is small and scoring its long
// posting list dominates query time on large archives.
const commonShare = 0.01

// selectiveTerms drops terms that occur in more than commonShare of the
// entries, and terms that occur nowhere. Common terms are left to the
// vector side.
func (db *DB) selectiveTerms(ctx context.Context, terms []string) ([]string, error) {
	if len(terms) == 0 {
		return nil, nil
	}
	var total int // approximate (deleted ids count), but O(log n)
	if err := db.sql.QueryRowContext(ctx, "SELECT COALESCE(MAX(id),0) FROM neko_entries").Scan(&total); err != nil {
		return nil, err
	}
	limit := int(float64(total) * commonShare)
	if total < 2000 {
		return terms, nil
	}
	keep := terms[:0:0]
	for _, t := range terms {
		var df int
		err := db.sql.QueryRowContext(ctx, "SELECT doc FROM neko_entries_vocab WHERE term = ?", t).Scan(&df)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		if df == 0 {
			continue // not in the archive at all
		}
		if df <= limit {
			keep = append(keep, t)
		}
	}
	return keep, nil
}

func (db *DB) entries(ctx context.Context, ids []int64) ([]Hit, error) {
	ph := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := db.sql.QueryContext(ctx, "SELECT id, kind, ref_id, session_id, role, text, ts FROM neko_entries WHERE id IN ("+ph+")", args...)
	if err != nil {
		return nil, fmt.Errorf("load entries: %w", err)
	}
	defer rows.Close()
	var out []Hit
	for rows.Next() {
		var h Hit
		var ts int64
		if err := rows.Scan(&h.EntryID, &h.Kind, &h.RefID, &h.SessionID, &h.Role, &h.Text, &ts); err != nil {
			return nil, err
		}
		h.Time = time.UnixMilli(ts)
		out = append(out, h)
	}
	return out, rows.Err()
}

// IndexSize is the number of vectors of model held in memory (loading them
// if needed).
func (db *DB) IndexSize(ctx context.Context, model string) (int, error) {
	if err := db.ensureIndex(ctx, model); err != nil {
		return 0, err
	}
	return db.vix.size(), nil
}
