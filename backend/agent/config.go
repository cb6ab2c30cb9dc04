// Package agent is the agent server (port 48915): it turns a conversation
// into tasks — analyze the recent turns, plan an MCP tool call, browser use or
// computer use, execute with cancellation and timeouts, summarise the result
// in the user's language — and reports back to the main server over the
// bridge. Every power is off until the user switches it on.
package agent

import (
	"context"
	"path/filepath"
	"time"

	"neko/backend/agent/browser"
	"neko/backend/agent/computer"
	"neko/backend/agent/model"
	"neko/backend/bridge"
	"neko/backend/llm"
)

// Model roles the agent asks Deps.Model for.
const (
	RoleSummary = "summary" // analyzer, planner, result summaries
	RoleAgent   = "agent"   // browser and computer use (vision)
)

// Config tunes the agent server. Zero durations pick the defaults of
// DefaultConfig.
type Config struct {
	DataDir  string
	MCPFile  string // mcp.json; default DataDir/mcp.json
	AuditDir string // computer-use audit log; default DataDir/agent_audit

	TaskTTL             time.Duration // finished tasks stay listed this long [5m]
	AnalyzeTimeout      time.Duration // analyzer + planner for one turn [60s]
	MCPTaskTimeout      time.Duration // [2m]
	MCPConnectTimeout   time.Duration // starting one MCP server [30s]
	BrowserTaskTimeout  time.Duration // [5m]
	ComputerTaskTimeout time.Duration // [15m]
	HistoryMessages     int           // conversation lines shown to the analyzer [10]
	// Computer configures computer use when Deps.Computer is nil. Its zero
	// value (what DefaultConfig gives) asks approval for every action; the
	// audit log goes to AuditDir.
	Computer computer.Options
	// Browser configures browser use when Deps.Browser is nil (a visible
	// Chromium found on the system).
	Browser browser.Options
	// ComputerWithoutApproval lets computer use act without asking the user
	// about each action (off by default; the user's explicit choice).
	ComputerWithoutApproval bool
	MaxMCPSteps             int // tool calls in one plan [5]
}

// DefaultConfig returns the defaults for a data folder.
func DefaultConfig(dataDir string) Config {
	c := Config{DataDir: dataDir}
	c.fill()
	return c
}

func (c *Config) fill() {
	if c.MCPFile == "" {
		c.MCPFile = filepath.Join(c.DataDir, "mcp.json")
	}
	if c.AuditDir == "" {
		c.AuditDir = filepath.Join(c.DataDir, "agent_audit")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.TaskTTL, 5*time.Minute)
	def(&c.AnalyzeTimeout, time.Minute)
	def(&c.MCPTaskTimeout, 2*time.Minute)
	def(&c.MCPConnectTimeout, 30*time.Second)
	def(&c.BrowserTaskTimeout, 5*time.Minute)
	def(&c.ComputerTaskTimeout, 15*time.Minute)
	if c.HistoryMessages <= 0 {
		c.HistoryMessages = 10
	}
	if c.Computer.AuditDir == "" {
		c.Computer.AuditDir = c.AuditDir
	}
	c.Computer.RequireApproval = !c.ComputerWithoutApproval
	if c.MaxMCPSteps <= 0 {
		c.MaxMCPSteps = 5
	}
}

// Deps are what the agent server needs from the rest of neko.
type Deps struct {
	// Endpoint resolves a role (RoleSummary, RoleAgent) to its provider; a
	// zero BaseURL means the role is not configured.
	Endpoint func(role string) llm.Endpoint
	// Model overrides Endpoint with a ready model per role (nil = not
	// configured); used by benchmarks and embedders with their own client.
	Model func(role string) model.Model
	// Analyze delivers analyze_request events, already acknowledged and
	// deduplicated by event id.
	Analyze <-chan bridge.Event
	// Send delivers an event to the main server (48962).
	Send func(bridge.Event) error
	// Browser and Computer run those channels; nil builds
	// browser.New(Config.Browser) and computer.New(Config.Computer).
	Browser  BrowserRunner
	Computer ComputerRunner
	// Approve, when set, asks the user about one computer-use action (the
	// conversation engine connects it to the WebSocket). When nil, requests
	// wait in Server.Approvals(), are announced as task_update with stage
	// "awaiting_approval", and are answered over HTTP.
	Approve func(ctx context.Context, lanlan string, a computer.Approval) (bool, error)
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
}
