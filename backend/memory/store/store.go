// Package store is one character's durable memory: the original's SQLite
// time index (time_indexed_original / time_indexed_compressed, same schema)
// plus neko's semantic entries with an FTS5 index and an in-memory vector
// index, in one WAL database file.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// Archive table names (the original's).
const (
	TableOriginal   = "time_indexed_original"
	TableCompressed = "time_indexed_compressed"
)

const schema = `
CREATE TABLE IF NOT EXISTS time_indexed_original (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	session_id TEXT,
	message TEXT,
	timestamp DATETIME
);
CREATE TABLE IF NOT EXISTS time_indexed_compressed (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	session_id TEXT,
	message TEXT,
	timestamp DATETIME
);
CREATE TABLE IF NOT EXISTS neko_state (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS neko_entries (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	kind TEXT NOT NULL,
	ref_id INTEGER NOT NULL DEFAULT 0,
	session_id TEXT NOT NULL DEFAULT '',
	role TEXT NOT NULL DEFAULT '',
	text TEXT NOT NULL,
	ts INTEGER NOT NULL,
	model TEXT NOT NULL DEFAULT '',
	vec BLOB
);
CREATE INDEX IF NOT EXISTS neko_entries_ref ON neko_entries(kind, ref_id);
CREATE INDEX IF NOT EXISTS neko_entries_ts ON neko_entries(ts);
CREATE INDEX IF NOT EXISTS neko_entries_model ON neko_entries(model);
CREATE INDEX IF NOT EXISTS tio_session ON time_indexed_original(session_id);
CREATE INDEX IF NOT EXISTS tio_ts ON time_indexed_original(timestamp);
CREATE INDEX IF NOT EXISTS tic_ts ON time_indexed_compressed(timestamp);
CREATE VIRTUAL TABLE IF NOT EXISTS neko_entries_fts USING fts5(
	body, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE IF NOT EXISTS neko_entries_vocab USING fts5vocab(neko_entries_fts, 'row');
`

// DB is one character's memory database. Writes are serialised by an
// internal mutex; reads run concurrently.
type DB struct {
	sql  *sql.DB
	path string
	wmu  sync.Mutex // serialises write transactions and index updates
	vix  *vindex
}

// Option adjusts Open.
type Option func(*options)

type options struct{ sync string }

// WithoutFsync sets synchronous=OFF: commits survive a killed process but
// not a power loss. For tests and benchmarks that measure logic, not disks.
func WithoutFsync() Option { return func(o *options) { o.sync = "OFF" } }

// Open opens (creating if needed) the database at path. Commits are
// fsynced (WAL, synchronous=FULL) unless WithoutFsync is given.
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
	o := options{sync: "FULL"}
	for _, f := range opts {
		f(&o)
	}
	q := url.Values{}
	// cache_size: 256 KiB of pages per connection (SQLite's default is
	// 2 MiB). The pure-Go driver's allocator puts each ~4.3 KiB page in an
	// 8 KiB slot, so a 1 MiB cache cost ~1.75 MiB a connection, and 4
	// connections per character filled theirs slowly as the archive grew:
	// +5 MiB of RSS over a 10-minute soak. The file's pages stay in the OS
	// cache, so recall and ingest run at the same speed (make bench).
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(5000)", "synchronous(" + o.sync + ")", "foreign_keys(ON)", "cache_size(-256)"} {
		q.Add("_pragma", p)
	}
	sdb, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	sdb.SetMaxOpenConns(4)
	sdb.SetMaxIdleConns(4)
	sdb.SetConnMaxIdleTime(2 * time.Minute) // an idle character gives its caches back
	if _, err := sdb.ExecContext(ctx, schema); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("create schema in %s: %w", path, err)
	}
	// Old archives created by the original may lack the timestamp column.
	for _, t := range []string{TableOriginal, TableCompressed} {
		if err := ensureTimestamp(ctx, sdb, t); err != nil {
			sdb.Close()
			return nil, err
		}
	}
	db := &DB{sql: sdb, path: path, vix: newVindex()}
	return db, nil
}

func ensureTimestamp(ctx context.Context, sdb *sql.DB, table string) error {
	rows, err := sdb.QueryContext(ctx, "SELECT name FROM pragma_table_info(?)", table)
	if err != nil {
		return fmt.Errorf("inspect %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return err
		}
		if n == "timestamp" {
			return nil
		}
	}
	if _, err := sdb.ExecContext(ctx, "ALTER TABLE "+table+" ADD COLUMN timestamp DATETIME"); err != nil {
		return fmt.Errorf("add timestamp to %s: %w", table, err)
	}
	return nil
}

// Path is the database file.
func (db *DB) Path() string { return db.path }

// Close closes the database.
func (db *DB) Close() error { return db.sql.Close() }

// SQL exposes the handle for read-only maintenance queries (tests, export).
func (db *DB) SQL() *sql.DB { return db.sql }

// IntegrityCheck runs PRAGMA integrity_check and returns nil when "ok".
func (db *DB) IntegrityCheck(ctx context.Context) error {
	var res string
	if err := db.sql.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return fmt.Errorf("integrity_check: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("integrity_check: %s", res)
	}
	return nil
}

// State reads a key of neko's small key/value table ("" when unset).
func (db *DB) State(ctx context.Context, k string) (string, error) {
	var v string
	err := db.sql.QueryRowContext(ctx, "SELECT v FROM neko_state WHERE k=?", k).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetState writes a key of the key/value table.
func (db *DB) SetState(ctx context.Context, k, v string) error {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	_, err := db.sql.ExecContext(ctx, "INSERT INTO neko_state(k,v) VALUES(?,?) ON CONFLICT(k) DO UPDATE SET v=excluded.v", k, v)
	return err
}

func setStateTx(ctx context.Context, tx *sql.Tx, k, v string) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO neko_state(k,v) VALUES(?,?) ON CONFLICT(k) DO UPDATE SET v=excluded.v", k, v)
	return err
}
