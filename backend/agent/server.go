package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"neko/backend/agent/browser"
	"neko/backend/agent/computer"
	"neko/backend/agent/mcp"
	"neko/backend/agent/model"
	"neko/backend/bridge"
)

// Server is the agent server. Build it with New, consume analyze requests
// with Run, mount Handler on 48915 and call Close at shutdown.
type Server struct {
	cfg  Config
	deps Deps
	log  *slog.Logger
	now  func() time.Time
	reg  *registry
	mcp  *mcp.Manager

	approvals    Approvals
	computerSlot chan struct{} // one computer-use task at a time
	browserSlot  chan struct{} // one browser-use task at a time

	mu           sync.Mutex
	flags        Flags
	analyzer     bool
	revision     int64
	notification string
	fingerprints map[string]string // character → last user-turn fingerprint

	runMu   sync.Mutex
	runCtx  context.Context
	stopRun context.CancelFunc
	wg      sync.WaitGroup
	closed  bool
}

// Flags are the per-channel switches; all false by default.
type Flags struct {
	ComputerUse bool `json:"computer_use_enabled"`
	BrowserUse  bool `json:"browser_use_enabled"`
	UserPlugin  bool `json:"user_plugin_enabled"`
	MCP         bool `json:"mcp_enabled"`
}

// New builds the server; nothing runs until Run.
func New(cfg Config, deps Deps, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.fill()
	if cfg.DataDir == "" {
		return nil, errors.New("agent: Config.DataDir is required")
	}
	if deps.Send == nil {
		return nil, errors.New("agent: Deps.Send is required")
	}
	if deps.Model == nil && deps.Endpoint != nil {
		deps.Model = model.FromEndpoints(deps.Endpoint, log)
	}
	if deps.Model == nil {
		deps.Model = func(string) modelT { return nil }
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	log = log.With("component", "agent")
	m, err := mcp.NewManager(cfg.MCPFile, mcp.Options{CallTimeout: cfg.MCPTaskTimeout, ConnectTimeout: cfg.MCPConnectTimeout}, log)
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	if deps.Browser == nil {
		deps.Browser = browser.New(cfg.Browser, log)
	}
	if deps.Computer == nil {
		deps.Computer = computer.New(cfg.Computer, log)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg: cfg, deps: deps, log: log, now: now,
		reg:          newRegistry(cfg.TaskTTL, now),
		mcp:          m,
		computerSlot: make(chan struct{}, 1),
		browserSlot:  make(chan struct{}, 1),
		fingerprints: map[string]string{},
		runCtx:       ctx, stopRun: cancel,
	}
	m.OnChange(s.statusChanged)
	return s, nil
}

// MCP returns the MCP server manager (for the management API and tests).
func (s *Server) MCP() *mcp.Manager { return s.mcp }

// Run consumes analyze requests until ctx is done, then cancels running
// tasks and waits for every goroutine it started.
func (s *Server) Run(ctx context.Context) error {
	sweep := time.NewTicker(30 * time.Second)
	defer sweep.Stop()
	defer s.stopTasks()
	in := s.deps.Analyze
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sweep.C:
			s.reg.expire()
		case ev, ok := <-in:
			if !ok {
				in = nil // keep serving HTTP-started tasks until ctx ends
				continue
			}
			if ev.EventType != bridge.TypeAnalyzeRequest {
				continue
			}
			s.handleAnalyze(ctx, ev)
		}
	}
}

func (s *Server) stopTasks() {
	s.runMu.Lock()
	s.stopRun()
	s.runMu.Unlock()
	s.reg.cancelAll(false)
	s.wg.Wait()
}

// spawn runs f on a tracked goroutine rooted in the server's lifetime.
func (s *Server) spawn(f func(ctx context.Context)) bool {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.closed || s.runCtx.Err() != nil {
		return false
	}
	s.wg.Add(1)
	ctx := s.runCtx
	go func() { defer s.wg.Done(); f(ctx) }()
	return true
}

// Close stops tasks, MCP servers, the browser and computer use.
func (s *Server) Close() error {
	s.runMu.Lock()
	s.closed = true
	s.runMu.Unlock()
	s.stopTasks()
	errs := []error{s.mcp.Close()}
	if s.deps.Browser != nil {
		errs = append(errs, s.deps.Browser.Close())
	}
	if s.deps.Computer != nil {
		errs = append(errs, s.deps.Computer.Close())
	}
	return errors.Join(errs...)
}

func (s *Server) send(ev bridge.Event) {
	if err := s.deps.Send(ev); err != nil {
		s.log.Warn("send to main failed", "event", ev.EventType, "err", err)
	}
}

// flagsSnapshot returns the flags and analyzer switch.
func (s *Server) flagsSnapshot() (Flags, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flags, s.analyzer
}

// HealthExtra is merged into GET /health.
func (s *Server) HealthExtra() map[string]any {
	f, _ := s.flagsSnapshot()
	return map[string]any{"agent_flags": f}
}

// AnnounceStatus sends the current status to main without changing it
// (when the bridge comes up).
func (s *Server) AnnounceStatus() {
	s.send(bridge.Event{EventType: bridge.TypeAgentStatusUpdate, Snapshot: s.Snapshot()})
}

func (s *Server) statusChanged() {
	s.mu.Lock()
	s.revision++
	s.mu.Unlock()
	s.send(bridge.Event{EventType: bridge.TypeAgentStatusUpdate, Snapshot: s.Snapshot()})
}
