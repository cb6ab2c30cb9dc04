package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// ProtocolVersion is pinned so the client skips the discovery round trip
// that current servers reject.
const ProtocolVersion = "2025-11-25"

// Options tune a Manager; zero values pick the defaults in brackets.
type Options struct {
	ConnectTimeout time.Duration // spawn/dial + initialize [30s]
	CallTimeout    time.Duration // one tools/call [60s]
	ToolsTTL       time.Duration // tool list cache [60s]
	// TerminateDuration is how long Close waits for a stdio server to exit
	// after its stdin closes before it is signalled [500ms].
	TerminateDuration time.Duration
	// HTTPClient dials streamable-HTTP servers [a client with no proxy].
	HTTPClient *http.Client
}

func (o *Options) fill() {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 30 * time.Second
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 60 * time.Second
	}
	if o.ToolsTTL <= 0 {
		o.ToolsTTL = time.Minute
	}
	if o.TerminateDuration <= 0 {
		o.TerminateDuration = 500 * time.Millisecond
	}
	if o.HTTPClient == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.Proxy = nil
		o.HTTPClient = &http.Client{Transport: tr}
	}
}

// Tool is one tool of one server, as the planner sees it.
type Tool struct {
	Server      string          `json:"server"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema,omitempty"`
	ReadOnly    bool            `json:"read_only"`
}

// Result is the outcome of a tool call. IsError is the server's verdict
// (the call itself worked); a failed call is a Go error instead.
type Result struct {
	Text    string `json:"text"`
	IsError bool   `json:"is_error"`
}

// ServerStatus describes one configured server for the management API.
type ServerStatus struct {
	Name      string       `json:"name"`
	Transport string       `json:"transport"`
	Enabled   bool         `json:"enabled"`
	Connected bool         `json:"connected"`
	Tools     int          `json:"tools"`
	LastError string       `json:"last_error,omitempty"`
	Config    ServerConfig `json:"config"`
}

// ErrUnknownServer is returned for a name that is not in mcp.json.
var ErrUnknownServer = errors.New("mcp: unknown server")

// Manager owns the configured servers and their live sessions.
type Manager struct {
	path string
	opts Options
	log  *slog.Logger
	cli  *sdk.Client

	mu      sync.Mutex
	file    *File
	conns   map[string]*conn
	closed  bool
	changed func()
	closing sync.WaitGroup // sessions being stopped in the background
}

type conn struct {
	mu      sync.Mutex // serialises connect and tool listing
	cfg     ServerConfig
	session *sdk.ClientSession
	cmd     *exec.Cmd // stdio servers
	stderr  *tailBuffer
	tools   []Tool
	fetched time.Time
	lastErr string
}

// NewManager loads path (mcp.json). Nothing is started until a server is used.
func NewManager(path string, opts Options, log *slog.Logger) (*Manager, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts.fill()
	f, err := LoadFile(path)
	if err != nil {
		return nil, err
	}
	m := &Manager{path: path, opts: opts, log: log.With("component", "mcp"), file: f, conns: map[string]*conn{}}
	m.cli = sdk.NewClient(&sdk.Implementation{Name: "neko-agent", Version: "1"}, &sdk.ClientOptions{
		ToolListChangedHandler: func(context.Context, *sdk.ToolListChangedRequest) { m.invalidateAll() },
	})
	return m, nil
}

// OnChange registers f to run after the server list changes.
func (m *Manager) OnChange(f func()) { m.mu.Lock(); m.changed = f; m.mu.Unlock() }

// Servers lists every configured server with secrets masked.
func (m *Manager) Servers() []ServerStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]ServerStatus, 0, len(m.file.Servers))
	for _, name := range m.file.Names() {
		cfg := m.file.Servers[name]
		st := ServerStatus{Name: name, Transport: cfg.Transport(), Enabled: !cfg.Disabled, Config: cfg.Masked()}
		if c := m.conns[name]; c != nil && c.mu.TryLock() {
			st.Connected = c.session != nil
			st.Tools = len(c.tools)
			st.LastError = c.lastErr
			c.mu.Unlock()
		}
		out = append(out, st)
	}
	return out
}

// Put adds or replaces a server and saves mcp.json. A replaced server's
// running session is stopped.
func (m *Manager) Put(name string, cfg ServerConfig) error {
	if err := cfg.Validate(name); err != nil {
		return err
	}
	return m.mutate(func(f *File) error { f.Servers[name] = cfg; return nil }, name)
}

// Remove deletes a server and saves mcp.json.
func (m *Manager) Remove(name string) error {
	return m.mutate(func(f *File) error {
		if _, ok := f.Servers[name]; !ok {
			return fmt.Errorf("%w %q", ErrUnknownServer, name)
		}
		delete(f.Servers, name)
		return nil
	}, name)
}

// SetEnabled switches a server on or off and saves mcp.json.
func (m *Manager) SetEnabled(name string, on bool) error {
	return m.mutate(func(f *File) error {
		cfg, ok := f.Servers[name]
		if !ok {
			return fmt.Errorf("%w %q", ErrUnknownServer, name)
		}
		cfg.Disabled = !on
		f.Servers[name] = cfg
		return nil
	}, name)
}

func (m *Manager) mutate(edit func(*File) error, name string) error {
	m.mu.Lock()
	next := &File{Servers: make(map[string]ServerConfig, len(m.file.Servers)+1), other: m.file.other}
	for k, v := range m.file.Servers {
		next.Servers[k] = v
	}
	if err := edit(next); err != nil {
		m.mu.Unlock()
		return err
	}
	if err := next.Save(m.path); err != nil {
		m.mu.Unlock()
		return err
	}
	m.file = next
	old := m.conns[name]
	delete(m.conns, name)
	changed := m.changed
	m.mu.Unlock()
	if old != nil {
		old.close()
	}
	if changed != nil {
		changed()
	}
	return nil
}

// Tools lists the tools of every enabled server, connecting as needed. A
// server that fails is skipped and its error kept in its status; errs maps
// server name to that error.
func (m *Manager) Tools(ctx context.Context) (tools []Tool, errs map[string]error) {
	m.mu.Lock()
	names := []string{}
	for _, n := range m.file.Names() {
		if !m.file.Servers[n].Disabled {
			names = append(names, n)
		}
	}
	m.mu.Unlock()
	type res struct {
		name  string
		tools []Tool
		err   error
	}
	ch := make(chan res, len(names))
	for _, n := range names {
		go func() {
			t, err := m.ServerTools(ctx, n)
			ch <- res{n, t, err}
		}()
	}
	errs = map[string]error{}
	for range names {
		r := <-ch
		if r.err != nil {
			errs[r.name] = r.err
			continue
		}
		tools = append(tools, r.tools...)
	}
	sortTools(tools)
	return tools, errs
}

// ServerTools lists one server's tools (cached for ToolsTTL).
func (m *Manager) ServerTools(ctx context.Context, name string) ([]Tool, error) {
	c, err := m.conn(name)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session != nil && c.tools != nil && time.Since(c.fetched) < m.opts.ToolsTTL {
		return c.tools, nil
	}
	s, err := m.sessionLocked(ctx, name, c)
	if err != nil {
		return nil, err
	}
	lctx, cancel := context.WithTimeout(ctx, m.opts.ConnectTimeout)
	defer cancel()
	var tools []Tool
	for t, err := range s.Tools(lctx, nil) {
		if err != nil {
			m.dropLocked(c, err)
			return nil, fmt.Errorf("mcp: %s: list tools: %w", name, c.explain(err))
		}
		tt := Tool{Server: name, Name: t.Name, Description: t.Description}
		if t.Annotations != nil {
			tt.ReadOnly = t.Annotations.ReadOnlyHint
		}
		if t.InputSchema != nil {
			tt.InputSchema, _ = json.Marshal(t.InputSchema)
		}
		tools = append(tools, tt)
	}
	if tools == nil {
		tools = []Tool{}
	}
	c.tools, c.fetched, c.lastErr = tools, time.Now(), ""
	return tools, nil
}

// Call runs one tool. The call is bounded by the server's timeout; a server
// that times out or dies is stopped and restarted on the next use.
func (m *Manager) Call(ctx context.Context, server, tool string, args map[string]any) (Result, error) {
	c, err := m.conn(server)
	if err != nil {
		return Result{}, err
	}
	c.mu.Lock()
	s, err := m.sessionLocked(ctx, server, c)
	timeout := m.opts.CallTimeout
	if c.cfg.TimeoutSeconds > 0 {
		timeout = time.Duration(c.cfg.TimeoutSeconds * float64(time.Second))
	}
	c.mu.Unlock()
	if err != nil {
		return Result{}, err
	}
	if args == nil {
		args = map[string]any{}
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := s.CallTool(cctx, &sdk.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.session == s {
			m.dropLocked(c, err)
		}
		switch {
		case ctx.Err() != nil:
			return Result{}, fmt.Errorf("mcp: %s/%s: %w", server, tool, ctx.Err())
		case errors.Is(cctx.Err(), context.DeadlineExceeded):
			return Result{}, fmt.Errorf("mcp: %s/%s: no answer within %s; the server was stopped", server, tool, timeout)
		}
		return Result{}, fmt.Errorf("mcp: %s/%s: %w", server, tool, c.explain(err))
	}
	return Result{Text: resultText(res), IsError: res.IsError}, nil
}

func (m *Manager) conn(name string) (*conn, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errors.New("mcp: manager closed")
	}
	cfg, ok := m.file.Servers[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownServer, name)
	}
	if cfg.Disabled {
		return nil, fmt.Errorf("mcp: server %q is disabled", name)
	}
	c := m.conns[name]
	if c == nil {
		c = &conn{cfg: cfg}
		m.conns[name] = c
	}
	return c, nil
}

// sessionLocked returns the live session, connecting when there is none.
func (m *Manager) sessionLocked(ctx context.Context, name string, c *conn) (*sdk.ClientSession, error) {
	if c.session != nil {
		return c.session, nil
	}
	cctx, cancel := context.WithTimeout(ctx, m.opts.ConnectTimeout)
	defer cancel()
	var tr sdk.Transport
	c.stderr = &tailBuffer{max: 4096}
	if c.cfg.Command != "" {
		cmd := exec.Command(c.cfg.Command, c.cfg.Args...)
		cmd.Env = os.Environ()
		for k, v := range c.cfg.Env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		cmd.Dir = c.cfg.Cwd
		cmd.Stderr = c.stderr
		isolate(cmd)
		c.cmd = cmd
		tr = &sdk.CommandTransport{Command: cmd, TerminateDuration: m.opts.TerminateDuration}
	} else {
		hc := m.opts.HTTPClient
		if len(c.cfg.Headers) > 0 {
			hc = &http.Client{Transport: headerRT{base: hc.Transport, h: c.cfg.Headers}, Timeout: hc.Timeout}
		}
		tr = &sdk.StreamableClientTransport{Endpoint: c.cfg.URL, HTTPClient: hc, MaxRetries: 1, DisableStandaloneSSE: true}
	}
	start := time.Now()
	s, err := m.cli.Connect(cctx, tr, &sdk.ClientSessionOptions{ProtocolVersion: ProtocolVersion})
	if err != nil {
		if errors.Is(cctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			err = fmt.Errorf("no initialize answer within %s", m.opts.ConnectTimeout)
		}
		err = fmt.Errorf("mcp: start %s: %w", name, c.explain(err))
		c.lastErr = err.Error()
		killGroup(c.cmd)
		c.cmd = nil
		return nil, err
	}
	m.log.Info("mcp server connected", "server", name, "transport", c.cfg.Transport(), "ms", time.Since(start).Milliseconds())
	c.session, c.tools, c.lastErr = s, nil, ""
	return s, nil
}

func (m *Manager) dropLocked(c *conn, cause error) {
	c.lastErr = c.explain(cause).Error()
	if s, cmd := c.session, c.cmd; s != nil {
		m.closing.Add(1)
		go func() { defer m.closing.Done(); _ = s.Close(); killGroup(cmd) }()
	}
	c.session, c.tools, c.cmd = nil, nil, nil
}

func (m *Manager) invalidateAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.conns {
		if c.mu.TryLock() {
			c.fetched = time.Time{}
			c.mu.Unlock()
		}
	}
}

// Close stops every server.
func (m *Manager) Close() error {
	m.mu.Lock()
	m.closed = true
	conns := m.conns
	m.conns = map[string]*conn{}
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() { defer wg.Done(); c.close() }()
	}
	wg.Wait()
	m.closing.Wait()
	return nil
}

func (c *conn) close() {
	c.mu.Lock()
	s, cmd := c.session, c.cmd
	c.session, c.cmd = nil, nil
	c.mu.Unlock()
	if s != nil {
		_ = s.Close()
	}
	killGroup(cmd)
}

// explain adds the server's last stderr lines to err when it exited.
func (c *conn) explain(err error) error {
	if c.stderr == nil {
		return err
	}
	msg := err.Error()
	if !errors.Is(err, sdk.ErrConnectionClosed) && !errors.Is(err, io.EOF) && !errors.Is(err, syscall.EPIPE) &&
		!strings.Contains(msg, "closed") && !strings.Contains(msg, "broken pipe") && !strings.Contains(msg, "EOF") {
		return err
	}
	// The process exited; its last words may still be in the pipe.
	tail := strings.TrimSpace(c.stderr.String())
	for i := 0; tail == "" && i < 30; i++ {
		time.Sleep(10 * time.Millisecond)
		tail = strings.TrimSpace(c.stderr.String())
	}
	if tail != "" {
		return fmt.Errorf("%w (server stderr: %s)", err, lastLines(tail, 3))
	}
	return err
}

type headerRT struct {
	base http.RoundTripper
	h    map[string]string
}

func (t headerRT) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range t.h {
		r.Header.Set(k, v)
	}
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(r)
}
