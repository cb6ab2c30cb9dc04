package memory_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"neko/backend/memory"
	"neko/backend/memory/msg"
	"neko/backend/memory/store"
)

// TestMain lets the test binary act as the crash child: with
// NEKO_MEMORY_CRASH_DIR set it caches turns forever, printing "ack N" after
// each committed one, until it is killed.
func TestMain(m *testing.M) {
	if dir := os.Getenv("NEKO_MEMORY_CRASH_DIR"); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

func crashChild(dir string) {
	start, _ := strconv.Atoi(os.Getenv("NEKO_MEMORY_CRASH_START"))
	srv, err := memory.New(memory.DefaultConfig(dir), memory.Deps{}, nil)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	for i := start; ; i++ {
		turns := []msg.Message{{Role: msg.Human, Text: "turn " + strconv.Itoa(i)}, {Role: msg.AI, Text: "reply " + strconv.Itoa(i)}}
		if _, err := srv.Cache(context.Background(), "test", turns); err != nil {
			fmt.Fprintln(out, "error", err)
			out.Flush()
			os.Exit(2)
		}
		fmt.Fprintln(out, "ack", i)
		out.Flush()
	}
}

// TestCrashSafety kills a writing child process with SIGKILL 20 times at
// varying points. Every acknowledged turn must survive in the archive and
// in recent memory, and PRAGMA integrity_check must stay ok.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	dir := t.TempDir()
	acked := map[int]bool{}
	next := 0
	for round := 0; round < 20; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "NEKO_MEMORY_CRASH_DIR="+dir, "NEKO_MEMORY_CRASH_START="+strconv.Itoa(next))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		want := 1 + (round*3)%7 // kill after a varying number of acks
		sc := bufio.NewScanner(stdout)
		got := 0
		for got < want && sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 2 && f[0] == "ack" {
				n, _ := strconv.Atoi(f[1])
				acked[n] = true
				next = n + 1
				got++
			} else {
				t.Fatalf("child: %s", sc.Text())
			}
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		go func() { // drain so the child is never blocked on a full pipe
			for sc.Scan() {
			}
		}()
		_ = cmd.Wait()
		// Turns written after the last ack read here may or may not have
		// landed; never reuse their numbers.
		next += 1000
		if got < want {
			t.Fatalf("round %d: child exited after %d acks", round, got)
		}
	}
	// Reopen: recovery runs, then check everything acknowledged is there.
	srv, err := memory.New(memory.DefaultConfig(dir), memory.Deps{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.NewDialog(context.Background(), "test"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "time_indexed_test"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.IntegrityCheck(context.Background()); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Rows(context.Background(), store.KindOriginal, store.RowFilter{})
	if err != nil {
		t.Fatal(err)
	}
	inDB := map[string]bool{}
	for _, r := range rows {
		inDB[r.Text] = true
	}
	list := readRecentDir(t, dir, "test")
	inRecent := map[string]int{}
	for _, m := range list {
		inRecent[m.Text]++
	}
	for n := range acked {
		for _, text := range []string{"turn " + strconv.Itoa(n), "reply " + strconv.Itoa(n)} {
			if !inDB[text] {
				t.Errorf("acknowledged %q missing from the archive", text)
			}
			if inRecent[text] != 1 {
				t.Errorf("acknowledged %q appears %d times in recent memory", text, inRecent[text])
			}
		}
	}
	for text, c := range inRecent {
		if c > 1 {
			t.Errorf("%q duplicated in recent memory", text)
		}
	}
	t.Logf("%d acknowledged turns over 20 kills; %d archived rows", len(acked), len(rows))
}

func readRecentDir(t *testing.T, dir, name string) []msg.Message {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "recent_"+name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	list, err := msg.ParseList(raw)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestCorruptRecentRebuiltFromArchive(t *testing.T) {
	dir := t.TempDir()
	srv, err := memory.New(memory.DefaultConfig(dir), memory.Deps{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := srv.Cache(ctx, "test", []msg.Message{{Role: msg.Human, Text: "remember the blue door"}}); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	path := filepath.Join(dir, "recent_test.json")
	if err := os.WriteFile(path, []byte(`[{"type":"human","data":{"content":`), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err = memory.New(memory.DefaultConfig(dir), memory.Deps{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	text, err := srv.NewDialog(ctx, "test")
	if err != nil || !strings.Contains(text, "remember the blue door") {
		t.Fatalf("not rebuilt: %v %s", err, text)
	}
	if b, err := os.ReadFile(path + ".bak"); err != nil || !strings.HasPrefix(string(b), `[{"type":"human"`) {
		t.Fatalf("corrupt file not kept as .bak: %v", err)
	}
	if len(readRecentDir(t, dir, "test")) != 1 {
		t.Fatal("rebuilt recent file wrong")
	}
}

// A crash after the archive commit but before the recent-file rename loses
// the file write only: reopening appends the turn exactly once.
func TestRecoverTurnMissingFromRecentFile(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	open := func() *memory.Server {
		srv, err := memory.New(memory.DefaultConfig(dir), memory.Deps{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return srv
	}
	srv := open()
	srv.Cache(ctx, "test", []msg.Message{{Role: msg.Human, Text: "turn A"}})
	path := filepath.Join(dir, "recent_test.json")
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	srv.Cache(ctx, "test", []msg.Message{{Role: msg.Human, Text: "turn B"}})
	srv.Close()
	if err := os.WriteFile(path, before, 0o600); err != nil { // the write of B "never happened"
		t.Fatal(err)
	}
	for round := 0; round < 2; round++ { // recovery is idempotent
		srv = open()
		text, err := srv.NewDialog(ctx, "test")
		srv.Close()
		if err != nil || strings.Count(text, "turn A") != 1 || strings.Count(text, "turn B") != 1 {
			t.Fatalf("round %d: %v\n%s", round, err, text)
		}
	}
}
