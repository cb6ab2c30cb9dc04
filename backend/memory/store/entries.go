package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"unicode"
)

// isCJK reports scripts written without spaces; each such character is
// indexed as its own token so FTS5 can match inside CJK text.
func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

// ftsText prepares text for the FTS5 index: lower-case word tokens, each
// reduced by lightStem, with CJK characters as separate tokens. Queries go
// through the same function, so index and query terms always agree and the
// fts5vocab table can be looked up with them.
func ftsText(s string) string {
	return strings.Join(ftsTokens(s), " ")
}

func ftsTokens(s string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, lightStem(cur.String()))
			cur.Reset()
		}
	}
	for _, r := range strings.ToLower(s) {
		switch {
		case isCJK(r):
			flush()
			out = append(out, string(r))
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			cur.WriteRune(r)
		case r == '\'' || r == '’':
			// "sister's" -> "sister"
			flush()
		default:
			flush()
		}
	}
	flush()
	return out
}

// lightStem strips common English inflections so "moved", "moves" and
// "move" meet. It is deliberately simple and only has to be consistent.
func lightStem(w string) string {
	n := len(w)
	if n <= 3 {
		return w
	}
	switch {
	case n > 4 && strings.HasSuffix(w, "ies"):
		w = w[:n-3] + "i"
	case n > 5 && strings.HasSuffix(w, "ing"):
		w = w[:n-3]
	case n > 4 && strings.HasSuffix(w, "ed"):
		w = w[:n-2]
	case n > 4 && strings.HasSuffix(w, "es"):
		w = w[:n-2]
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss"):
		w = w[:n-1]
	}
	if len(w) > 3 && strings.HasSuffix(w, "e") {
		w = w[:len(w)-1]
	}
	if strings.HasSuffix(w, "y") {
		w = w[:len(w)-1] + "i"
	}
	return w
}

// stopwords are dropped from keyword queries (they carry no recall signal
// and make BM25 slow on large archives).
var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an the and or but if of to in on at by for with from about as into
	is are was were be been being am do does did doing have has had having i me my mine myself you your
	yours he him his she her hers it its we us our they them their what which who whom whose when where
	why how this that these those there here not no so than too very can could will would shall should
	may might must just also any some all both each few more most other such only own same s t don
	tell remember know again anything something ever recall said say says`) {
		m[w] = true
	}
	return m
}()

// queryTerms returns the distinct non-stopword index terms of text.
func queryTerms(text string) []string {
	seen := map[string]bool{}
	var terms []string
	for _, tok := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !isCJK(r)
	}) {
		if stopwords[tok] {
			continue
		}
		for _, t := range ftsTokens(tok) {
			if !seen[t] {
				seen[t] = true
				terms = append(terms, t)
			}
		}
		if len(terms) >= 32 {
			break
		}
	}
	return terms
}

// ftsQuery turns terms into an FTS5 OR-query of quoted terms, or "".
func ftsQuery(terms []string) string {
	q := make([]string, len(terms))
	for i, t := range terms {
		q[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
	}
	return strings.Join(q, " OR ")
}

// encodeVec stores v as float32 scale + int8 components.
func encodeVec(v []float32) ([]byte, float32, []int8) {
	var maxAbs float32
	for _, x := range v {
		maxAbs = max(maxAbs, float32(math.Abs(float64(x))))
	}
	scale := maxAbs / 127
	if scale == 0 {
		scale = 1
	}
	b := make([]byte, 4+len(v))
	binary.LittleEndian.PutUint32(b, math.Float32bits(scale))
	q := make([]int8, len(v))
	for i, x := range v {
		q[i] = int8(math.Round(float64(x / scale)))
		b[4+i] = byte(q[i])
	}
	return b, scale, q
}

func decodeVec(b []byte) (float32, []int8, bool) {
	if len(b) < 5 {
		return 0, nil, false
	}
	scale := math.Float32frombits(binary.LittleEndian.Uint32(b))
	q := make([]int8, len(b)-4)
	for i := range q {
		q[i] = int8(b[4+i])
	}
	return scale, q, true
}

func insertEntry(ctx context.Context, tx *sql.Tx, kind string, ref int64, sid, role, text string, ts int64, vec []float32, model string) (*vecRow, error) {
	var blob []byte
	var vr *vecRow
	m := ""
	if vec != nil {
		var scale float32
		var q []int8
		blob, scale, q = encodeVec(vec)
		m = model
		vr = &vecRow{ts: ts, scale: scale, q: q}
	}
	res, err := tx.ExecContext(ctx, "INSERT INTO neko_entries(kind,ref_id,session_id,role,text,ts,model,vec) VALUES(?,?,?,?,?,?,?,?)",
		kind, ref, sid, role, text, ts, m, blob)
	if err != nil {
		return nil, fmt.Errorf("insert entry: %w", err)
	}
	id, _ := res.LastInsertId()
	if _, err := tx.ExecContext(ctx, "INSERT INTO neko_entries_fts(rowid, body) VALUES(?,?)", id, ftsText(text)); err != nil {
		return nil, fmt.Errorf("index entry: %w", err)
	}
	if vr != nil {
		vr.id = id
	}
	return vr, nil
}

func deleteEntryTx(ctx context.Context, tx *sql.Tx, id int64) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM neko_entries_fts WHERE rowid=?", id); err != nil {
		return fmt.Errorf("unindex entry: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM neko_entries WHERE id=?", id); err != nil {
		return fmt.Errorf("delete entry: %w", err)
	}
	return nil
}

func entryIDsByRef(ctx context.Context, tx *sql.Tx, kind string, ref int64) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, "SELECT id FROM neko_entries WHERE kind=? AND ref_id=?", kind, ref)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// Stale is an entry whose vector is missing or from another model.
type Stale struct {
	ID   int64
	Text string
}

// StaleEntries returns up to limit entries not embedded with model.
func (db *DB) StaleEntries(ctx context.Context, model string, limit int) ([]Stale, error) {
	rows, err := db.sql.QueryContext(ctx, "SELECT id, text FROM neko_entries WHERE model <> ? ORDER BY id DESC LIMIT ?", model, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Stale
	for rows.Next() {
		var s Stale
		if err := rows.Scan(&s.ID, &s.Text); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// EmbedProgress counts entries embedded with model against all entries.
func (db *DB) EmbedProgress(ctx context.Context, model string) (done, total int, err error) {
	err = db.sql.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(SUM(model = ?),0) FROM neko_entries", model).Scan(&total, &done)
	return done, total, err
}

// SetVectors stores vectors computed with model for entries ids (vecs[i]
// nil marks an entry the model cannot embed, so it is not retried).
func (db *DB) SetVectors(ctx context.Context, model string, ids []int64, vecs [][]float32) error {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var added []vecRow
	for i, id := range ids {
		var blob []byte
		var vr *vecRow
		if vecs[i] != nil {
			b, scale, q := encodeVec(vecs[i])
			blob = b
			vr = &vecRow{id: id, scale: scale, q: q}
		}
		var ts int64
		err := tx.QueryRowContext(ctx, "UPDATE neko_entries SET model=?, vec=? WHERE id=? RETURNING ts", model, blob, id).Scan(&ts)
		if err == sql.ErrNoRows {
			continue // deleted meanwhile
		}
		if err != nil {
			return fmt.Errorf("store vector: %w", err)
		}
		if vr != nil {
			vr.ts = ts
			added = append(added, *vr)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	db.vix.remove(ids)
	db.vix.add(model, added)
	return nil
}
