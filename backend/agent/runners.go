package agent

import (
	"context"

	"neko/backend/agent/browser"
	"neko/backend/agent/computer"
)

// Progress reports one step of a long task.
type Progress func(step, total int, message string)

// Outcome is what a channel runner reports for a finished task.
type Outcome struct {
	Success bool
	Result  string // the answer or what was done
	Steps   int
}

// BrowserRunner runs a browser-use task (*browser.Browser).
type BrowserRunner interface {
	// Available reports whether the browser can start, with a reason code when not.
	Available() (ok bool, reason string)
	Run(ctx context.Context, t browser.Task) (browser.Result, error)
	Close() error
}

// ComputerRunner runs a computer-use task (*computer.Runner).
type ComputerRunner interface {
	Available() (ok bool, reason string)
	Run(ctx context.Context, t computer.Task) (computer.Result, error)
	Close() error
}

var (
	_ ComputerRunner = (*computer.Runner)(nil)
	_ BrowserRunner  = (*browser.Browser)(nil)
)
