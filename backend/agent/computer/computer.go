// Package computer is the agent's computer-use channel: screenshot → vision
// model → one action per step in 0–999 normalised coordinates, executed by
// an OS backend (Linux X11 via XTEST; other systems report unavailable).
// Safety beyond the original: dry-run mode, per-action approval, a deny-list
// of windows, a step cap, and an audit log (JSONL + screenshots).
package computer

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"strings"
	"sync"
	"time"

	"neko/backend/agent/model"
)

// DefaultDenyList names windows she must never touch (case-insensitive
// substrings of a window's title or class): password managers, system
// settings, process managers and herself.
var DefaultDenyList = []string{
	"1password", "bitwarden", "keepass", "lastpass", "keychain", "password manager",
	"system settings", "system preferences", "gnome-control-center", "systemsettings",
	"activity monitor", "task manager", "n.e.k.o", "neko-desktop",
}

// Options configure a Runner.
type Options struct {
	// Display is the X display (":0"); empty uses $DISPLAY.
	Display string
	// DryRun plans actions without executing them.
	DryRun bool
	// RequireApproval asks Task.Approve before every action.
	RequireApproval bool
	// DenyList refuses actions on matching windows (nil: DefaultDenyList).
	DenyList []string
	// MaxSteps caps model calls per task [30].
	MaxSteps int
	// AuditDir receives audit.jsonl and shots/ ("" disables the log).
	AuditDir string
	// MaxImageHistory is how many past screenshots accompany a step [2].
	MaxImageHistory int
	// Settle is the pause after an action before the next screenshot [300ms].
	Settle time.Duration
	// ApprovalTimeout declines an action nobody answered [2m].
	ApprovalTimeout time.Duration
	// MaxWidth downscales screenshots sent to the model [1280].
	MaxWidth int
}

// DefaultOptions are the safe defaults: dry run, approval required.
func DefaultOptions(auditDir string) Options {
	return Options{DryRun: true, RequireApproval: true, AuditDir: auditDir}
}

func (o *Options) fill() {
	if o.DenyList == nil {
		o.DenyList = DefaultDenyList
	}
	if o.MaxSteps <= 0 {
		o.MaxSteps = 30
	}
	if o.MaxImageHistory <= 0 {
		o.MaxImageHistory = 2
	}
	if o.Settle <= 0 {
		o.Settle = 300 * time.Millisecond
	}
	if o.ApprovalTimeout <= 0 {
		o.ApprovalTimeout = 2 * time.Minute
	}
	if o.MaxWidth <= 0 {
		o.MaxWidth = 1280
	}
}

// Window describes a top-level window (for the deny-list and the audit).
type Window struct {
	ID    uint32 `json:"id"`
	Title string `json:"title"`
	Class string `json:"class"`
}

func (w Window) String() string {
	if w.Title == "" && w.Class == "" {
		return "(desktop)"
	}
	if w.Class == "" {
		return fmt.Sprintf("%q", w.Title)
	}
	return fmt.Sprintf("%q (%s)", w.Title, w.Class)
}

// Backend is one OS's screen and input.
type Backend interface {
	Size() (w, h int)
	Screenshot() (image.Image, error)
	Move(x, y int) error
	Click(x, y, button, count int) error
	Scroll(x, y, clicks int) error // clicks < 0 scrolls up
	Type(text string) error
	Key(combo string) error // "ctrl+s", "Return", "alt+F4"
	WindowAt(x, y int) (Window, error)
	Focused() (Window, error)
	Close() error
}

// ErrUnavailable is returned when the OS backend cannot start.
var ErrUnavailable = errors.New("computer use unavailable")

// Approval is one action waiting for the user's yes or no.
type Approval struct {
	TaskID      string `json:"task_id"`
	Step        int    `json:"step"`
	Action      Action `json:"action"`
	Description string `json:"description"`
	Window      string `json:"window"`
}

// Task is one instruction to carry out.
type Task struct {
	ID          string
	Instruction string
	Model       model.Model
	// Progress reports steps (may be nil).
	Progress func(step, total int, message string)
	// Approve asks the user (required when Options.RequireApproval).
	Approve func(ctx context.Context, a Approval) (bool, error)
}

// Result is the outcome of a task.
type Result struct {
	Success bool     `json:"success"`
	Answer  string   `json:"answer"`
	Steps   int      `json:"steps"`
	DryRun  bool     `json:"dry_run"`
	Actions []string `json:"actions"`
}

// Runner runs computer-use tasks, one at a time.
type Runner struct {
	opts  Options
	log   *slog.Logger
	open  func(display string) (Backend, error)
	mu    sync.Mutex // one task at a time
	audit *auditLog
}

// New returns a Runner for this OS's backend.
func New(opts Options, log *slog.Logger) *Runner {
	return NewWithBackend(opts, openBackend, log)
}

// NewWithBackend uses open to reach the screen (tests, other backends).
func NewWithBackend(opts Options, open func(display string) (Backend, error), log *slog.Logger) *Runner {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts.fill()
	return &Runner{opts: opts, log: log.With("component", "computer-use"), open: open, audit: newAuditLog(opts.AuditDir)}
}

// Options returns the runner's settings.
func (r *Runner) Options() Options { return r.opts }

// Available reports whether the screen can be reached.
func (r *Runner) Available() (bool, string) {
	b, err := r.open(r.opts.Display)
	if err != nil {
		return false, "AGENT_CU_UNAVAILABLE"
	}
	_ = b.Close()
	return true, ""
}

// Close releases nothing long-lived; the screen is opened per task.
func (r *Runner) Close() error { return nil }

func (r *Runner) denied(w Window) string {
	hay := strings.ToLower(w.Title + "\x00" + w.Class)
	for _, d := range r.opts.DenyList {
		if d != "" && strings.Contains(hay, strings.ToLower(d)) {
			return d
		}
	}
	return ""
}
