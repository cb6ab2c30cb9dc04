package mcp_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"neko/backend/agent/internal/mcptest"
	"neko/backend/agent/mcp"
	"neko/backend/testutil"
)

func newManager(t *testing.T, opts mcp.Options) (*mcp.Manager, string) {
	t.Helper()
	if opts.ConnectTimeout == 0 {
		opts.ConnectTimeout = 2 * time.Minute // a failure guard: node starts slowly on a loaded machine
	}
	path := filepath.Join(t.TempDir(), "mcp.json")
	m, err := mcp.NewManager(path, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, path
}

func TestStdioEverything(t *testing.T) {
	entry := mcptest.Everything(t)
	m, _ := newManager(t, mcp.Options{})
	if err := m.Put("everything", mcp.ServerConfig{Command: mcptest.Node(t), Args: []string{entry, "stdio"}}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tools, errs := m.Tools(ctx)
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	var echo *mcp.Tool
	for i := range tools {
		if tools[i].Name == "echo" {
			echo = &tools[i]
		}
	}
	if echo == nil || echo.Server != "everything" || !strings.Contains(string(echo.InputSchema), "message") || !echo.ReadOnly {
		t.Fatalf("echo tool missing or wrong: %+v", echo)
	}
	res, err := m.Call(ctx, "everything", "echo", map[string]any{"message": "purr"})
	if err != nil || res.IsError || res.Text != "Echo: purr" {
		t.Fatalf("echo = %+v, %v", res, err)
	}
	res, err = m.Call(ctx, "everything", "get-sum", map[string]any{"a": 2, "b": 40})
	if err != nil || !strings.Contains(res.Text, "42") {
		t.Fatalf("get-sum = %+v, %v", res, err)
	}
	res, err = m.Call(ctx, "everything", "no-such-tool", nil)
	if err != nil || !res.IsError {
		t.Fatalf("unknown tool = %+v, %v; want IsError", res, err)
	}
	st := m.Servers()
	if len(st) != 1 || !st[0].Connected || st[0].Tools == 0 || st[0].Transport != "stdio" {
		t.Fatalf("status = %+v", st)
	}
}

func TestFilesystemServer(t *testing.T) {
	entry := mcptest.Filesystem(t)
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "note.txt"), []byte("the cat sleeps at noon"), 0o600); err != nil {
		t.Fatal(err)
	}
	m, _ := newManager(t, mcp.Options{})
	if err := m.Put("fs", mcp.ServerConfig{Command: mcptest.Node(t), Args: []string{entry, root}}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := m.Call(ctx, "fs", "read_text_file", map[string]any{"path": filepath.Join(root, "note.txt")})
	if err != nil || res.IsError || !strings.Contains(res.Text, "cat sleeps") {
		t.Fatalf("read = %+v, %v", res, err)
	}
	res, err = m.Call(ctx, "fs", "write_file", map[string]any{"path": filepath.Join(root, "out.txt"), "content": "meow"})
	if err != nil || res.IsError {
		t.Fatalf("write = %+v, %v", res, err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "out.txt")); string(b) != "meow" {
		t.Fatalf("file = %q", b)
	}
	// Outside the allowed directory the server refuses: a tool error, not a crash.
	res, err = m.Call(ctx, "fs", "read_text_file", map[string]any{"path": "/etc/hostname"})
	if err != nil || !res.IsError {
		t.Fatalf("outside read = %+v, %v; want IsError", res, err)
	}
}

func TestStreamableHTTPEverything(t *testing.T) {
	url := mcptest.EverythingHTTP(t)
	m, _ := newManager(t, mcp.Options{})
	if err := m.Put("remote", mcp.ServerConfig{URL: url, Type: "http", Headers: map[string]string{"X-Test": "1"}}); err != nil {
		t.Fatal(err)
	}
	res, err := m.Call(context.Background(), "remote", "echo", map[string]any{"message": "over http"})
	if err != nil || res.Text != "Echo: over http" {
		t.Fatalf("echo = %+v, %v", res, err)
	}
	if st := m.Servers(); st[0].Transport != "http" || st[0].Config.Headers["X-Test"] != "***" {
		t.Fatalf("status = %+v", st)
	}
}

func TestCrashingAndHangingServers(t *testing.T) {
	node := mcptest.Node(t)
	entry := mcptest.Everything(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// A short connect timeout for the broken servers only: a healthy server
	// may need more than a second to start on a loaded machine.
	bad, _ := newManager(t, mcp.Options{ConnectTimeout: time.Second})
	sh := testutil.RequireTool(t, "sh")
	must(bad.Put("crash", mcp.ServerConfig{Command: sh, Args: []string{"-c", "echo 'boom: no config' >&2; exit 3"}}))
	must(bad.Put("hang", mcp.ServerConfig{Command: sh, Args: []string{"-c", "exec sleep 60"}}))
	ctx := context.Background()
	_, errs := bad.Tools(ctx)
	if errs["crash"] == nil || !strings.Contains(errs["crash"].Error(), "boom") {
		t.Errorf("crash error = %v; want the server's stderr", errs["crash"])
	}
	if errs["hang"] == nil || !strings.Contains(errs["hang"].Error(), "within") {
		t.Errorf("hang error = %v; want a timeout", errs["hang"])
	}
	if st := bad.Servers(); st[0].LastError == "" || st[1].LastError == "" || st[0].Connected {
		t.Errorf("status = %+v", st)
	}
	m, _ := newManager(t, mcp.Options{})
	must(m.Put("good", mcp.ServerConfig{Command: node, Args: []string{entry}, TimeoutSeconds: 1}))
	// A call that outlives the server's timeout fails clearly, and the next call
	// gets a fresh server.
	_, err := m.Call(ctx, "good", "trigger-long-running-operation", map[string]any{"duration": 30, "steps": 30})
	if err == nil || !strings.Contains(err.Error(), "no answer within 1s") {
		t.Fatalf("long call err = %v", err)
	}
	res, err := m.Call(ctx, "good", "echo", map[string]any{"message": "again"})
	if err != nil || res.Text != "Echo: again" {
		t.Fatalf("after timeout = %+v, %v", res, err)
	}
}

func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mcp.json")
	pasted := `{"mcpServers":{"files":{"command":"npx","args":["-y","@modelcontextprotocol/server-filesystem","/tmp"],"env":{"TOKEN":"s3cret"}},
	"web":{"type":"http","url":"http://127.0.0.1:9/mcp","disabled":true}},"otherApp":{"keep":true}}`
	if err := os.WriteFile(path, []byte(pasted), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := mcp.NewManager(path, mcp.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	st := m.Servers()
	if len(st) != 2 || st[0].Name != "files" || st[0].Config.Env["TOKEN"] != "***" || st[1].Enabled {
		t.Fatalf("servers = %+v", st)
	}
	if err := m.SetEnabled("web", true); err != nil {
		t.Fatal(err)
	}
	if err := m.Remove("files"); err != nil {
		t.Fatal(err)
	}
	if err := m.Remove("files"); !errors.Is(err, mcp.ErrUnknownServer) {
		t.Fatalf("second remove = %v", err)
	}
	for _, bad := range []struct {
		name string
		cfg  mcp.ServerConfig
	}{
		{"../x", mcp.ServerConfig{Command: "node"}},
		{"ok", mcp.ServerConfig{}},
		{"ok", mcp.ServerConfig{Command: "a", URL: "http://x"}},
		{"ok", mcp.ServerConfig{URL: "file:///etc/passwd"}},
		{"ok", mcp.ServerConfig{URL: "http://x", Type: "sse"}},
	} {
		if err := m.Put(bad.name, bad.cfg); err == nil {
			t.Errorf("Put(%q, %+v) accepted", bad.name, bad.cfg)
		}
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, %v", fi.Mode(), err)
	}
	f, err := mcp.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Servers["files"]; ok || f.Servers["web"].Disabled {
		t.Fatalf("reloaded = %+v", f.Servers)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), `"otherApp"`) {
		t.Fatalf("foreign key lost: %s", b)
	}
	if err := os.WriteFile(path, []byte(`{"mcpServers": [}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := mcp.NewManager(path, mcp.Options{}, nil); err == nil {
		t.Fatal("malformed mcp.json accepted")
	}
}
