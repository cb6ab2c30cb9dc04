package mcp_test

import (
	"testing"

	"neko/backend/agent/mcp"
)

// FuzzLoadFile: any mcp.json (as LoadFile reads it) either loads into valid-or-rejected servers or
// fails with an error; it never panics, and what loads saves and reloads.
func FuzzLoadFile(f *testing.F) {
	f.Add(`{"mcpServers":{"a":{"command":"node","args":["x"],"env":{"K":"v"}}},"other":1}`)
	f.Add(`{"mcpServers":{"b":{"url":"http://127.0.0.1:1/mcp","type":"http","headers":{"A":"b"},"disabled":true}}}`)
	f.Add(`{"mcpServers":null}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, data string) {
		file, err := mcp.ParseFile([]byte(data))
		if err != nil {
			return
		}
		for _, name := range file.Names() {
			_ = file.Servers[name].Validate(name)
			_ = file.Servers[name].Masked()
		}
		b, err := file.Encode()
		if err != nil {
			t.Fatal(err)
		}
		again, err := mcp.ParseFile(b)
		if err != nil || len(again.Servers) != len(file.Servers) {
			t.Fatalf("reload: %v, %d vs %d servers", err, len(again.Servers), len(file.Servers))
		}
		b2, err := again.Encode()
		if err != nil || string(b2) != string(b) {
			t.Fatalf("second save differs: %v\n%s\n%s", err, b, b2)
		}
	})
}
