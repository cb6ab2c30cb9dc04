package faults_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"neko/backend/config"
	"neko/backend/llm/llmtest"
	"neko/backend/memory/msg"
	"neko/backend/memory/store"
	"neko/backend/services"
	"neko/backend/testutil"
)

// smallDisk mounts a tmpfs of size bytes and returns its path; it is
// unmounted at cleanup (register it before anything that writes there, so
// it is cleaned up last). Mounting needs root: skipped on a developer
// machine without it, a failure under CI.
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0700", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		if testutil.InCI() {
			t.Fatalf("mount tmpfs (CI runs as root): %v %s", err, out)
		}
		t.Skipf("cannot mount a tmpfs here (%v %s); CI runs this as root", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
			_ = exec.Command("umount", "-l", dir).Run()
		}
	})
	return dir
}

// fill writes a file until the disk is full and returns its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill: %v", err)
			}
			return p
		}
	}
}

// memoryCall sends a request to the memory server with the instance token,
// as the main server does.
func memoryCall(t *testing.T, s *services.Services, method, path, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, fmt.Sprintf("http://127.0.0.1:%d%s", s.Ports.Memory, path), strings.NewReader(body))
	req.Header.Set("X-Neko-Instance", s.InstanceToken())
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	rb, _ := io.ReadAll(res.Body)
	return res.StatusCode, rb
}

func turns(t *testing.T, user, reply string) string {
	t.Helper()
	s, err := msg.InputHistory([]msg.Message{{Role: msg.Human, Text: user}, {Role: msg.AI, Text: reply}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]string{"input_history": s})
	return string(b)
}

// diskFullError checks a reply is a JSON error that says the disk is full.
func diskFullError(t *testing.T, what string, code int, body []byte) {
	t.Helper()
	var e struct {
		Success *bool  `json:"success"`
		Error   string `json:"error"`
		Code    string `json:"code"`
	}
	if code < 400 || json.Unmarshal(body, &e) != nil || e.Success == nil || *e.Success {
		t.Fatalf("%s on a full disk: %d %s (want a JSON error)", what, code, body)
	}
	if msg := strings.ToLower(e.Error); !strings.Contains(msg, "disk") || !(strings.Contains(msg, "space") || strings.Contains(msg, "full")) {
		t.Fatalf("%s: the error does not name the problem: %d %s", what, code, body)
	}
	if code != http.StatusInsufficientStorage || e.Code != "disk_full" {
		t.Fatalf("%s: want 507 disk_full, got %d %q", what, code, e.Code)
	}
	t.Logf("%s on a full disk: %d %s", what, code, body)
}

// The data folder's disk fills up: saving settings and recording turns fail
// with an error that says so, nothing on disk is damaged, and both work
// again once space is freed.
func TestFullDisk(t *testing.T) {
	data := smallDisk(t, 6<<20)
	prov := llmtest.New(t)
	prov.ScriptChat(func(llmtest.ChatRequest) llmtest.ChatReply {
		return llmtest.ChatReply{Chunks: []string{"Still ", "talking."}}
	})
	configure(t, data, prov.BaseURL())
	s, mainLog, stop := start(t, services.Options{DataRoot: data})
	paths := config.NewPaths(data)
	coreFile := paths.File(config.CoreConfigFile)

	// Some state before the disk fills: saved settings and one turn.
	mustCall(t, s, "POST", "/api/config/core_api", map[string]any{"coreApi": "openai", "coreApiKey": "sk-before"})
	if code, b := memoryCall(t, s, "POST", "/cache/test", turns(t, "before the disk filled", "noted")); code != 200 {
		t.Fatalf("cache before: %d %s", code, b)
	}
	before, err := os.ReadFile(coreFile)
	if err != nil {
		t.Fatal(err)
	}

	filler := fill(t, data)

	// Settings: a clear error, the old file untouched and still in force.
	code, body := call(t, s, "POST", "/api/config/core_api", map[string]any{"coreApi": "openai", "coreApiKey": "sk-after-" + strings.Repeat("x", 8192)})
	diskFullError(t, "saving settings", code, body)
	after, err := os.ReadFile(coreFile)
	if err != nil || !bytes.Equal(before, after) {
		t.Fatalf("core_config.json changed on a failed save (%v)", err)
	}
	var parsed map[string]any
	if err := json.Unmarshal(after, &parsed); err != nil || parsed["coreApiKey"] != "sk-before" {
		t.Fatalf("core_config.json not the old, parseable file: %v %v", err, parsed["coreApiKey"])
	}
	if got := mustCall(t, s, "GET", "/api/config/core_api", nil); strings.Contains(fmt.Sprint(got), "sk-after") {
		t.Fatal("the failed save is in force anyway")
	}
	// A new character: refused the same way, characters.json untouched.
	charsFile := paths.File(config.CharactersFile)
	charsBefore, err := os.ReadFile(charsFile)
	if err != nil {
		t.Fatal(err)
	}
	code, body = call(t, s, "POST", "/api/characters/catgirl", map[string]any{config.KeyProfileName: "DiskFull"})
	diskFullError(t, "creating a character", code, body)
	if b, _ := os.ReadFile(charsFile); !bytes.Equal(b, charsBefore) {
		t.Fatal("characters.json changed on a failed save")
	}
	if got := mustCall(t, s, "GET", "/api/characters/", nil); strings.Contains(fmt.Sprint(got), "DiskFull") {
		t.Fatal("the character that could not be saved is listed anyway")
	}
	noTempFiles(t, paths.Config)

	// Chat goes on: the reply streams although its turn cannot be stored.
	p := openPage(t, s, "test")
	p.sayText("can you hear me on a full disk?")
	if got := p.reply(15 * time.Second); got != "Still talking." {
		t.Fatalf("reply on a full disk %q", got)
	}
	if !eventually(5*time.Second, func() bool { return strings.Contains(mainLog.String(), "memory sync failed") }) {
		t.Fatal("the failed memory sync of the turn was not logged")
	}
	t.Logf("main log: %s", strings.TrimSpace(grepLines(mainLog.String(), "memory sync failed")))

	// Memory: new turns are refused with a clear error, a few times over.
	for i := 0; i < 3; i++ {
		code, body = memoryCall(t, s, "POST", "/cache/test", turns(t, fmt.Sprintf("while full %d %s", i, strings.Repeat("y", 4096)), "ok"))
		diskFullError(t, "recording a turn", code, body)
	}

	// Space comes back: both work again, and nothing is damaged.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	mustCall(t, s, "POST", "/api/config/core_api", map[string]any{"coreApi": "openai", "coreApiKey": "sk-later"})
	mustCall(t, s, "POST", "/api/characters/catgirl", map[string]any{config.KeyProfileName: "DiskFull"})
	if got := mustCall(t, s, "GET", "/api/characters/", nil); !strings.Contains(fmt.Sprint(got), "DiskFull") {
		t.Fatalf("the character saved after space came back is not listed: %v", got)
	}
	if code, b := memoryCall(t, s, "POST", "/cache/test", turns(t, "after space came back", "noted again")); code != 200 {
		t.Fatalf("cache after space came back: %d %s", code, b)
	}
	code, dialog := memoryCall(t, s, "GET", "/new_dialog/test", "")
	if code != 200 || !strings.Contains(string(dialog), "before the disk filled") || !strings.Contains(string(dialog), "after space came back") {
		t.Fatalf("recent memory after the full disk: %d %s", code, dialog)
	}
	memDir := paths.Memory
	raw, err := os.ReadFile(filepath.Join(memDir, "recent_test.json"))
	if err != nil {
		t.Fatal(err)
	}
	list, err := msg.ParseList(raw)
	if err != nil {
		t.Fatalf("recent_test.json is not valid: %v", err)
	}
	var texts []string
	for _, m := range list {
		texts = append(texts, m.Text)
	}
	joined := strings.Join(texts, "|")
	if !strings.Contains(joined, "before the disk filled") || !strings.Contains(joined, "after space came back") {
		t.Fatalf("recent_test.json lost turns: %q", texts)
	}
	noTempFiles(t, memDir)

	stop() // the archive is checked closed, as the next start finds it
	db, err := store.Open(context.Background(), filepath.Join(memDir, "time_indexed_test"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.IntegrityCheck(context.Background()); err != nil {
		t.Fatalf("archive after the full disk: %v", err)
	}
	rows, err := db.Rows(context.Background(), store.KindOriginal, store.RowFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var archived []string
	for _, r := range rows {
		archived = append(archived, r.Text)
	}
	if j := strings.Join(archived, "|"); !strings.Contains(j, "before the disk filled") || !strings.Contains(j, "after space came back") || strings.Contains(j, "while full") {
		t.Fatalf("archive rows after the full disk: %q", archived)
	}
}

// noTempFiles fails if an atomic write left its temporary file behind.
func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", filepath.Join(dir, e.Name()))
		}
	}
}
