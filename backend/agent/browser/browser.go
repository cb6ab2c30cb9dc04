// Package browser is the agent's browser-use channel: it drives Chromium
// through chromedp (one browser, one tab per conversation, reused) with a
// model loop that observes the page (a compact list of interactive elements,
// the visible text, optionally a screenshot) and acts (navigate, click, type,
// select, scroll, extract) until done or a step cap. An overlay on the page
// shows that she is at work.
package browser

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"time"

	"github.com/chromedp/chromedp"

	"neko/backend/agent/model"
)

// Options configure a Browser; zero values pick the defaults in brackets.
type Options struct {
	// ExecPath is the Chrome/Chromium binary [searched: Debian's
	// /usr/lib/chromium/chromium, then chromium, google-chrome, …].
	ExecPath string
	// Headless hides the window (tests); the desktop default is visible.
	Headless bool
	// Display is the X display for a visible window on Linux ("" = $DISPLAY).
	Display string
	// UserDataDir keeps the profile ("" = a temporary profile per start).
	UserDataDir string
	// NoSandbox disables Chromium's sandbox (forced when running as root).
	NoSandbox     bool
	MaxSteps      int           // [15]
	ActionTimeout time.Duration // one click/type/extract [10s]
	LoadTimeout   time.Duration // one navigation [20s]
	StartTimeout  time.Duration // browser start [30s]
	// Screenshots sends a screenshot with every observation (vision models).
	Screenshots bool
	Width       int // viewport [1280]
	Height      int // viewport [800]
}

func (o *Options) fill() {
	if o.MaxSteps <= 0 {
		o.MaxSteps = 15
	}
	if o.ActionTimeout <= 0 {
		o.ActionTimeout = 10 * time.Second
	}
	if o.LoadTimeout <= 0 {
		o.LoadTimeout = 20 * time.Second
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 30 * time.Second
	}
	if o.Width <= 0 {
		o.Width = 1280
	}
	if o.Height <= 0 {
		o.Height = 800
	}
	if o.ExecPath == "" {
		o.ExecPath = FindChrome()
	}
	if os.Geteuid() == 0 { // Chromium refuses to run as root with its sandbox
		o.NoSandbox = true
	}
}

// FindChrome returns the first Chrome/Chromium binary found, or "".
func FindChrome() string {
	for _, p := range []string{"/usr/lib/chromium/chromium", "/usr/lib/chromium-browser/chromium-browser"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "msedge"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	for _, p := range []string{
		`C:\Program Files\Google\Chrome\Application\chrome.exe`,
		`C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe`,
		"/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
		"/Applications/Chromium.app/Contents/MacOS/Chromium",
	} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Task is one instruction for the browser.
type Task struct {
	Instruction string
	// SessionID picks the tab; tasks of one conversation share it.
	SessionID string
	Model     model.Model
	Progress  func(step, total int, message string)
}

// Result is the outcome of a task.
type Result struct {
	Success bool     `json:"success"`
	Answer  string   `json:"answer"`
	Steps   int      `json:"steps"`
	URL     string   `json:"url"`
	Actions []string `json:"actions"`
}

// Browser owns one Chromium process, started on first use.
type Browser struct {
	opts Options
	log  *slog.Logger

	mu          sync.Mutex
	allocCancel context.CancelFunc
	root        context.Context // browser context (first tab)
	rootCancel  context.CancelFunc
	tabs        map[string]*tab
	closed      bool
}

type tab struct {
	mu     sync.Mutex // one task per tab at a time
	ctx    context.Context
	cancel context.CancelFunc
}

// New returns a Browser; nothing starts until Run.
func New(opts Options, log *slog.Logger) *Browser {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts.fill()
	return &Browser{opts: opts, log: log.With("component", "browser-use"), tabs: map[string]*tab{}}
}

// Available reports whether a browser binary is installed.
func (b *Browser) Available() (bool, string) {
	if b.opts.ExecPath == "" {
		return false, "AGENT_BROWSER_USE_NOT_INSTALLED"
	}
	if _, err := os.Stat(b.opts.ExecPath); err != nil {
		return false, "AGENT_BROWSER_USE_NOT_INSTALLED"
	}
	if runtime.GOOS == "linux" && !b.opts.Headless && b.opts.Display == "" && os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return false, "AGENT_NO_DISPLAY" // a visible browser needs a desktop
	}
	return true, ""
}

// ErrClosed is returned after Close.
var ErrClosed = errors.New("browser: closed")

// start launches Chromium if it is not running. b.mu is held.
func (b *Browser) startLocked() error {
	if b.closed {
		return ErrClosed
	}
	if b.root != nil && b.root.Err() == nil {
		return nil
	}
	if ok, why := b.Available(); !ok {
		return errors.New(why)
	}
	opts := append([]chromedp.ExecAllocatorOption{}, chromedp.DefaultExecAllocatorOptions[:]...)
	opts = append(opts,
		chromedp.ExecPath(b.opts.ExecPath),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.WindowSize(b.opts.Width, b.opts.Height),
	)
	if b.opts.NoSandbox {
		opts = append(opts, chromedp.NoSandbox)
	}
	if b.opts.UserDataDir != "" {
		opts = append(opts, chromedp.UserDataDir(b.opts.UserDataDir))
	}
	if b.opts.Headless {
		opts = append(opts, chromedp.DisableGPU)
	} else {
		opts = append(opts, chromedp.VisibleWindow)
		if b.opts.Display != "" {
			opts = append(opts, chromedp.Env("DISPLAY="+b.opts.Display))
		}
	}
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), opts...)
	root, rootCancel := chromedp.NewContext(allocCtx)
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(root) }()
	select {
	case err := <-started:
		if err != nil {
			rootCancel()
			allocCancel()
			return fmt.Errorf("browser: start %s: %w", b.opts.ExecPath, err)
		}
	case <-time.After(b.opts.StartTimeout):
		rootCancel()
		allocCancel()
		return fmt.Errorf("browser: %s did not start within %s", b.opts.ExecPath, b.opts.StartTimeout)
	}
	b.root, b.rootCancel, b.allocCancel = root, rootCancel, allocCancel
	b.tabs = map[string]*tab{}
	b.log.Info("browser started", "path", b.opts.ExecPath, "headless", b.opts.Headless)
	return nil
}

// tabFor returns the session's tab, starting the browser when needed.
func (b *Browser) tabFor(session string) (*tab, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.startLocked(); err != nil {
		return nil, err
	}
	if t := b.tabs[session]; t != nil && t.ctx.Err() == nil {
		return t, nil
	}
	ctx, cancel := chromedp.NewContext(b.root)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(b.opts.Width), int64(b.opts.Height))); err != nil {
		cancel()
		b.resetLocked()
		return nil, fmt.Errorf("browser: open tab: %w", err)
	}
	t := &tab{ctx: ctx, cancel: cancel}
	b.tabs[session] = t
	return t, nil
}

// resetLocked stops a browser that died so the next task starts a new one.
func (b *Browser) resetLocked() {
	for _, t := range b.tabs {
		t.cancel()
	}
	b.tabs = map[string]*tab{}
	if b.rootCancel != nil {
		b.rootCancel()
		b.allocCancel()
	}
	b.root, b.rootCancel, b.allocCancel = nil, nil, nil
}

// Close stops the browser.
func (b *Browser) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.resetLocked()
	return nil
}

// Running reports whether a browser process is up (tests, status).
func (b *Browser) Running() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.root != nil && b.root.Err() == nil
}
