package mcp_test

import (
	"os"
	"path/filepath"
	"testing"

	"neko/backend/agent/mcp"
)

// FuzzLoadFile: any mcp.json either loads into valid-or-rejected servers or
// fails with an error; it never panics, and what loads saves and reloads.
func FuzzLoadFile(f *testing.F) {
	f.Add(`{"mcpServers":{"a":{"command":"node","args":["x"],"env":{"K":"v"}}},"other":1}`)
	f.Add(`{"mcpServers":{"b":{"url":"http://127.0.0.1:1/mcp","type":"http","headers":{"A":"b"},"disabled":true}}}`)
	f.Add(`{"mcpServers":null}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, data string) {
		dir := t.TempDir()
		path := filepath.Join(dir, "mcp.json")
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		file, err := mcp.LoadFile(path)
		if err != nil {
			return
		}
		for _, name := range file.Names() {
			_ = file.Servers[name].Validate(name)
			_ = file.Servers[name].Masked()
		}
		if err := file.Save(path); err != nil {
			t.Fatal(err)
		}
		again, err := mcp.LoadFile(path)
		if err != nil || len(again.Servers) != len(file.Servers) {
			t.Fatalf("reload: %v, %d vs %d servers", err, len(again.Servers), len(file.Servers))
		}
	})
}
