// Package mcp connects the agent to the user's MCP servers: it reads and
// writes mcp.json in the common "mcpServers" shape, starts stdio servers and
// dials streamable-HTTP servers with the official go-sdk, caches their tool
// lists and calls tools with timeouts.
package mcp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// ServerConfig is one entry of "mcpServers". Stdio servers set Command (and
// Args, Env, Cwd); HTTP servers set URL (and Headers). Disabled is the key
// Claude Desktop and Cursor use, so pasted configs keep their meaning.
type ServerConfig struct {
	Command  string            `json:"command,omitempty"`
	Args     []string          `json:"args,omitempty"`
	Env      map[string]string `json:"env,omitempty"`
	Cwd      string            `json:"cwd,omitempty"`
	URL      string            `json:"url,omitempty"`
	Type     string            `json:"type,omitempty"`
	Headers  map[string]string `json:"headers,omitempty"`
	Disabled bool              `json:"disabled,omitempty"`
	// TimeoutSeconds overrides the manager's per-call timeout for this server.
	TimeoutSeconds float64 `json:"timeout,omitempty"`
}

// Transport names the way the server is reached: "stdio" or "http".
func (c ServerConfig) Transport() string {
	if c.Command != "" {
		return "stdio"
	}
	return "http"
}

var nameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// Validate reports a configuration that cannot work.
func (c ServerConfig) Validate(name string) error {
	if !nameRe.MatchString(name) {
		return fmt.Errorf("mcp: invalid server name %q (letters, digits, '_', '-', '.'; at most 64)", name)
	}
	switch {
	case c.Command != "" && c.URL != "":
		return fmt.Errorf("mcp: server %q sets both command and url", name)
	case c.Command == "" && c.URL == "":
		return fmt.Errorf("mcp: server %q needs a command (stdio) or a url (streamable HTTP)", name)
	case c.URL != "" && !strings.HasPrefix(c.URL, "http://") && !strings.HasPrefix(c.URL, "https://"):
		return fmt.Errorf("mcp: server %q url must be http(s)", name)
	}
	switch strings.ToLower(c.Type) {
	case "", "stdio", "http", "streamable-http", "streamablehttp", "streamable_http":
	case "sse":
		return fmt.Errorf("mcp: server %q uses the legacy SSE transport; use streamable HTTP", name)
	default:
		return fmt.Errorf("mcp: server %q has unknown type %q", name, c.Type)
	}
	if c.TimeoutSeconds < 0 {
		return fmt.Errorf("mcp: server %q has a negative timeout", name)
	}
	return nil
}

// Masked returns a copy safe to show: env and header values are hidden.
func (c ServerConfig) Masked() ServerConfig {
	mask := func(m map[string]string) map[string]string {
		if len(m) == 0 {
			return nil
		}
		out := make(map[string]string, len(m))
		for k := range m {
			out[k] = "***"
		}
		return out
	}
	c.Env = mask(c.Env)
	c.Headers = mask(c.Headers)
	c.Args = append([]string(nil), c.Args...)
	return c
}

// File is mcp.json: the servers plus any other top-level keys, which are kept
// untouched so a config shared with another app survives our writes.
type File struct {
	Servers map[string]ServerConfig
	other   map[string]json.RawMessage
}

// LoadFile reads path; a missing file is an empty config.
func LoadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return ParseFile(nil)
	}
	if err != nil {
		return nil, fmt.Errorf("mcp: read %s: %w", path, err)
	}
	f, err := ParseFile(b)
	if err != nil {
		return nil, fmt.Errorf("mcp: %s: %w", path, err)
	}
	return f, nil
}

// ParseFile decodes the contents of an mcp.json; empty input is an empty
// file. Fields other than mcpServers are kept for Encode.
func ParseFile(b []byte) (*File, error) {
	f := &File{Servers: map[string]ServerConfig{}, other: map[string]json.RawMessage{}}
	if len(bytes.TrimSpace(b)) == 0 {
		return f, nil
	}
	if err := json.Unmarshal(b, &f.other); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if raw, ok := f.other["mcpServers"]; ok {
		delete(f.other, "mcpServers")
		if err := json.Unmarshal(raw, &f.Servers); err != nil {
			return nil, fmt.Errorf("mcpServers: %w", err)
		}
		if f.Servers == nil {
			f.Servers = map[string]ServerConfig{}
		}
	}
	if f.other == nil {
		f.other = map[string]json.RawMessage{}
	}
	return f, nil
}

// Names returns the server names in order.
func (f *File) Names() []string {
	out := make([]string, 0, len(f.Servers))
	for n := range f.Servers {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Save writes the file atomically with mode 0600 (env and headers may hold keys).
func (f *File) Save(path string) error {
	b, err := f.Encode()
	if err != nil {
		return err
	}
	return writeAtomic(path, b)
}

// Encode returns the file as it is saved: the other fields as they were
// read, mcpServers as configured.
func (f *File) Encode() ([]byte, error) {
	top := make(map[string]any, len(f.other)+1)
	for k, v := range f.other {
		top[k] = v
	}
	top["mcpServers"] = f.Servers
	b, err := json.MarshalIndent(top, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("mcp: encode config: %w", err)
	}
	return append(b, '\n'), nil
}

func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("mcp: create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".mcp-*.tmp")
	if err != nil {
		return fmt.Errorf("mcp: temp file: %w", err)
	}
	name := tmp.Name()
	defer os.Remove(name)
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("mcp: chmod: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("mcp: write: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("mcp: sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("mcp: close: %w", err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("mcp: rename: %w", err)
	}
	return nil
}
