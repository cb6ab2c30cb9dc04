package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"neko/backend/memory/embed"
	"neko/backend/memory/msg"
	"neko/backend/memory/store"
)

func openDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "time_indexed_t"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestArchiveCRUDAndForget(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	m, _ := embed.Bundled()
	day1 := time.Now().Add(-48 * time.Hour)
	day2 := time.Now().Add(-time.Hour)
	ids1, err := db.Append(ctx, store.KindOriginal, "s1", day1, []store.Pending{
		pend("I adopted a kitten named Pixel", msg.Human, m.Embed), pend("How cute!", msg.AI, m.Embed)}, embed.ModelName)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Append(ctx, store.KindOriginal, "s2", day2, []store.Pending{
		pend("My guitar teacher moved to Osaka", msg.Human, m.Embed)}, embed.ModelName, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if v, _ := db.State(ctx, "k"); v != "v" {
		t.Fatalf("state written with the append = %q", v)
	}
	if _, err := db.Append(ctx, store.KindCompressed, "s1", day1, []store.Pending{
		{Msg: msg.Message{Role: msg.System, Text: msg.MemoPrefix + "The user got a kitten."}}}, embed.ModelName); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Rows(ctx, store.KindOriginal, store.RowFilter{From: day1.Add(-time.Minute), To: day1.Add(time.Minute)})
	if err != nil || len(rows) != 2 || rows[0].Text != "I adopted a kitten named Pixel" || rows[0].Role != msg.Human || rows[0].SessionID != "s1" {
		t.Fatalf("timeframe rows: %v %+v", err, rows)
	}
	// The stored message column is the LangChain dict.
	var raw string
	if err := db.SQL().QueryRow("SELECT message FROM time_indexed_original WHERE id=?", ids1[0]).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if want := `{"type":"human","data":{"content":[{"type":"text","text":"I adopted a kitten named Pixel"}]`; raw[:len(want)] != want {
		t.Fatalf("message column %s", raw)
	}
	search := func(text string, from, to int64) []store.Hit {
		hits, err := db.Search(ctx, store.Query{Text: text, Vec: m.Embed(text), Model: embed.ModelName, From: from, To: to})
		if err != nil {
			t.Fatal(err)
		}
		return hits
	}
	if h := search("what is my cat called", 0, 0); len(h) == 0 || h[0].RefID != ids1[0] {
		t.Fatalf("cat search: %+v", h)
	}
	if h := search("kitten", day2.Add(-time.Minute).UnixMilli(), 0); len(h) != 0 && h[0].SessionID == "s1" && h[0].Kind == store.KindOriginal {
		t.Fatalf("time window ignored: %+v", h)
	}
	// Edit: the new text is what is found.
	if err := db.UpdateRow(ctx, store.KindOriginal, ids1[0], "I adopted a puppy named Pixel", m.Embed("I adopted a puppy named Pixel"), embed.ModelName); err != nil {
		t.Fatal(err)
	}
	if h := search("puppy", 0, 0); len(h) == 0 || h[0].Text != "I adopted a puppy named Pixel" {
		t.Fatalf("after edit: %+v", h)
	}
	if err := db.UpdateRow(ctx, store.KindOriginal, 9999, "x", nil, ""); err != store.ErrNotFound {
		t.Fatalf("update missing row: %v", err)
	}
	// Forget removes the row, its FTS entry and its vector.
	before, _ := db.IndexSize(ctx, embed.ModelName)
	if n, err := db.DeleteRows(ctx, store.KindOriginal, []int64{ids1[0]}); err != nil || n != 1 {
		t.Fatalf("delete: %d %v", n, err)
	}
	after, _ := db.IndexSize(ctx, embed.ModelName)
	if after != before-1 {
		t.Fatalf("vector index %d -> %d", before, after)
	}
	for _, h := range search("puppy Pixel", 0, 0) {
		if h.RefID == ids1[0] && h.Kind == store.KindOriginal {
			t.Fatalf("forgotten entry still recalled: %+v", h)
		}
	}
	if n, err := db.DeleteSession(ctx, "s1"); err != nil || n != 2 {
		t.Fatalf("delete session: %d %v", n, err)
	}
	if c, _ := db.Count(ctx, store.KindCompressed); c != 0 {
		t.Fatalf("compressed rows left: %d", c)
	}
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestReembedWithAnotherModel(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	if _, err := db.Append(ctx, store.KindOriginal, "s", time.Now(), []store.Pending{
		pend("alpha beta", msg.Human, nil), pend("gamma", msg.AI, nil)}, ""); err != nil {
		t.Fatal(err)
	}
	stale, err := db.StaleEntries(ctx, "m2", 10)
	if err != nil || len(stale) != 2 {
		t.Fatalf("stale %v %+v", err, stale)
	}
	ids := []int64{stale[0].ID, stale[1].ID}
	if err := db.SetVectors(ctx, "m2", ids, [][]float32{{1, 0, 0}, nil}); err != nil {
		t.Fatal(err)
	}
	done, total, err := db.EmbedProgress(ctx, "m2")
	if err != nil || done != 2 || total != 2 {
		t.Fatalf("progress %d/%d %v", done, total, err)
	}
	if n, _ := db.IndexSize(ctx, "m2"); n != 1 {
		t.Fatalf("index size %d", n)
	}
	hits, err := db.Search(ctx, store.Query{Vec: []float32{1, 0, 0}, Model: "m2"})
	if err != nil || len(hits) != 1 || hits[0].EntryID != stale[0].ID {
		t.Fatalf("vector search: %v %+v", err, hits)
	}
}

func TestCJKKeywordSearch(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	if _, err := db.Append(ctx, store.KindOriginal, "s", time.Now(), []store.Pending{
		pend("我妹妹住在东京", msg.Human, nil), pend("今天天气很好", msg.Human, nil)}, ""); err != nil {
		t.Fatal(err)
	}
	hits, err := db.Search(ctx, store.Query{Text: "东京"})
	if err != nil || len(hits) == 0 || hits[0].Text != "我妹妹住在东京" {
		t.Fatalf("%v %+v", err, hits)
	}
}

// Every connection of the pool keeps at most 256 KiB of cached pages
// (SQLite's default is 2 MiB; the pure-Go driver's allocator rounds each
// ~4.3 KiB page slot up to 8 KiB, so that default costs ~3.5 MiB a
// connection), so a long-running companion's memory stays bounded and
// levels off within minutes.
func TestConnectionsHaveBoundedPageCache(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	var conns []*sql.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 4 { // the pool's size: each connection runs the pragmas
		c, err := db.SQL().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var size int
		if err := c.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&size); err != nil {
			t.Fatal(err)
		}
		if size != -256 {
			t.Fatalf("connection %d: cache_size = %d, want -256 (256 KiB)", len(conns), size)
		}
	}
}
