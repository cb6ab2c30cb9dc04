package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"neko/backend/memory/msg"
)

// Entry kinds: which archive table an entry mirrors.
const (
	KindOriginal   = "original"
	KindCompressed = "compressed"
)

// ErrNotFound is returned when a row id does not exist.
var ErrNotFound = errors.New("not found")

// tsLayout is how SQLAlchemy stores a naive DATETIME in SQLite.
const tsLayout = "2006-01-02 15:04:05.000000"

// FormatTime renders t as the archive's timestamp text (local time).
func FormatTime(t time.Time) string { return t.Local().Format(tsLayout) }

// ParseTime reads an archive timestamp (several SQLAlchemy/ISO variants).
func ParseTime(s string) (time.Time, bool) {
	for _, l := range []string{tsLayout, "2006-01-02 15:04:05", "2006-01-02T15:04:05.999999999", time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.ParseInLocation(l, s, time.Local); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// Row is one archive row.
type Row struct {
	ID        int64       `json:"id"`
	SessionID string      `json:"session_id"`
	Message   msg.Message `json:"-"`
	Role      string      `json:"role"`
	Text      string      `json:"text"`
	Time      time.Time   `json:"timestamp"`
}

// Pending is one message to archive with its precomputed vector (nil when
// the embedding is left to the background worker).
type Pending struct {
	Msg msg.Message
	Vec []float32
}

func table(kind string) (string, error) {
	switch kind {
	case KindOriginal:
		return TableOriginal, nil
	case KindCompressed:
		return TableCompressed, nil
	}
	return "", fmt.Errorf("unknown archive layer %q", kind)
}

// Append archives messages into layer kind under sessionID at time at, and
// indexes each as a semantic entry (vectors tagged with model). It commits
// in one transaction and returns the new archive row ids. stateKV, when
// non-empty, is written in the same transaction (key, value pairs).
func (db *DB) Append(ctx context.Context, kind, sessionID string, at time.Time, items []Pending, model string, stateKV ...string) ([]int64, error) {
	tbl, err := table(kind)
	if err != nil {
		return nil, err
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	ids := make([]int64, len(items))
	added := make([]vecRow, 0, len(items))
	ts := FormatTime(at)
	for i, it := range items {
		m := it.Msg
		m.ID = 0
		body, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO "+tbl+"(session_id,message,timestamp) VALUES(?,?,?)", sessionID, string(body), ts)
		if err != nil {
			return nil, fmt.Errorf("insert %s: %w", tbl, err)
		}
		ids[i], _ = res.LastInsertId()
		vr, err := insertEntry(ctx, tx, kind, ids[i], sessionID, m.Role, m.Text, at.UnixMilli(), it.Vec, model)
		if err != nil {
			return nil, err
		}
		if vr != nil {
			added = append(added, *vr)
		}
	}
	for i := 0; i+1 < len(stateKV); i += 2 {
		if err := setStateTx(ctx, tx, stateKV[i], stateKV[i+1]); err != nil {
			return nil, fmt.Errorf("state: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	db.vix.add(model, added)
	return ids, nil
}

// Rows lists archive rows of layer kind, oldest first, optionally limited to
// [from, to] (zero times are open ends) and a session.
func (db *DB) Rows(ctx context.Context, kind string, f RowFilter) ([]Row, error) {
	tbl, err := table(kind)
	if err != nil {
		return nil, err
	}
	var where []string
	var args []any
	if !f.From.IsZero() {
		where = append(where, "timestamp >= ?")
		args = append(args, FormatTime(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "timestamp <= ?")
		args = append(args, FormatTime(f.To))
	}
	if f.SessionID != "" {
		where = append(where, "session_id = ?")
		args = append(args, f.SessionID)
	}
	if f.AfterID > 0 {
		where = append(where, "id > ?")
		args = append(args, f.AfterID)
	}
	q := "SELECT id, COALESCE(session_id,''), COALESCE(message,''), COALESCE(timestamp,'') FROM " + tbl
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	order := "ASC"
	if f.Newest {
		order = "DESC"
	}
	q += " ORDER BY id " + order
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d OFFSET %d", f.Limit, max(f.Offset, 0))
	}
	rows, err := db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", tbl, err)
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		var r Row
		var body, ts string
		if err := rows.Scan(&r.ID, &r.SessionID, &body, &ts); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(body), &r.Message); err != nil {
			r.Message = msg.Message{Role: msg.System, Text: body}
		}
		r.Message.ID = r.ID
		r.Role, r.Text = r.Message.Role, r.Message.Text
		r.Time, _ = ParseTime(ts)
		out = append(out, r)
	}
	return out, rows.Err()
}

// RowFilter narrows Rows.
type RowFilter struct {
	From, To  time.Time
	SessionID string
	AfterID   int64
	Limit     int
	Offset    int
	Newest    bool // newest first
}

// Count returns the number of rows in layer kind.
func (db *DB) Count(ctx context.Context, kind string) (int, error) {
	tbl, err := table(kind)
	if err != nil {
		return 0, err
	}
	var n int
	err = db.sql.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+tbl).Scan(&n)
	return n, err
}

// UpdateRow replaces the text of an archive row and its semantic entry; the
// entry's vector is replaced by vec (nil: re-embedded in the background).
func (db *DB) UpdateRow(ctx context.Context, kind string, id int64, text string, vec []float32, model string) error {
	tbl, err := table(kind)
	if err != nil {
		return err
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var body string
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(message,'') FROM "+tbl+" WHERE id=?", id).Scan(&body); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		return err
	}
	var m msg.Message
	if json.Unmarshal([]byte(body), &m) != nil {
		m = msg.Message{Role: msg.System}
	}
	m.Text, m.ID = text, 0
	nb, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE "+tbl+" SET message=? WHERE id=?", string(nb), id); err != nil {
		return err
	}
	var eid, ts int64
	var sid string
	err = tx.QueryRowContext(ctx, "SELECT id, ts, session_id FROM neko_entries WHERE kind=? AND ref_id=?", kind, id).Scan(&eid, &ts, &sid)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	var removed []int64
	if eid > 0 {
		if err := deleteEntryTx(ctx, tx, eid); err != nil {
			return err
		}
		removed = append(removed, eid)
	} else {
		ts = time.Now().UnixMilli()
	}
	vr, err := insertEntry(ctx, tx, kind, id, sid, m.Role, text, ts, vec, model)
	if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	db.vix.remove(removed)
	if vr != nil {
		db.vix.add(model, []vecRow{*vr})
	}
	return nil
}

// DeleteRows deletes archive rows of layer kind with their entries and
// vectors (forget). It returns how many rows existed.
func (db *DB) DeleteRows(ctx context.Context, kind string, ids []int64) (int, error) {
	tbl, err := table(kind)
	if err != nil {
		return 0, err
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	n := 0
	var removed []int64
	for _, id := range ids {
		res, err := tx.ExecContext(ctx, "DELETE FROM "+tbl+" WHERE id=?", id)
		if err != nil {
			return 0, err
		}
		if c, _ := res.RowsAffected(); c > 0 {
			n++
		}
		eids, err := entryIDsByRef(ctx, tx, kind, id)
		if err != nil {
			return 0, err
		}
		for _, eid := range eids {
			if err := deleteEntryTx(ctx, tx, eid); err != nil {
				return 0, err
			}
		}
		removed = append(removed, eids...)
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	db.vix.remove(removed)
	return n, nil
}

// DeleteSession forgets a whole settled session in both layers.
func (db *DB) DeleteSession(ctx context.Context, sessionID string) (int, error) {
	total := 0
	for _, kind := range []string{KindOriginal, KindCompressed} {
		rows, err := db.Rows(ctx, kind, RowFilter{SessionID: sessionID})
		if err != nil {
			return total, err
		}
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		n, err := db.DeleteRows(ctx, kind, ids)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
