//go:build desktop || bindings

package main

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/wailsapp/wails/v2/pkg/options"
	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"

	"neko/backend/desktopctl"
	"neko/backend/services"
)

// App is the desktop shell's lifecycle owner: the servers are started before
// the window (by main) and stopped in order when the window quits.
type App struct {
	svc     *services.Services
	log     *slog.Logger
	base    *url.URL // the main server
	ctx     context.Context
	trayEnd func()

	prefsMu    sync.Mutex
	prefs      desktopPrefs
	hidden     bool
	firstReady sync.Once
	restart    bool // pet/window mode changed: start a new window after quitting
	signals    chan os.Signal
}

// NewApp wraps running services; sig receives SIGINT/SIGTERM, caught
// before the servers started so that an early signal still quits in order.
func NewApp(svc *services.Services, sig chan os.Signal, log *slog.Logger) *App {
	base, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", svc.Ports.Main))
	return &App{svc: svc, base: base, log: log.With("component", "desktop"), prefs: loadDesktopPrefs(svc.Store), signals: sig}
}

// startup runs when the window exists: the tray starts, and SIGINT/SIGTERM
// or a server asking to stop quit the app the normal way, so shutdown stays
// ordered.
func (a *App) startup(ctx context.Context) {
	a.ctx = ctx
	if st := controlsState(a.prefsNow()); st != (desktopctl.State{}) {
		if err := a.pushControls(st); err != nil {
			a.log.Warn("apply saved tray switches", "err", err)
		}
	}
	a.startTray()
	go func() {
		defer signal.Stop(a.signals)
		select {
		case <-a.signals:
			a.log.Info("signal received; quitting")
		case <-a.svc.Done():
			a.log.Info("a server asked to stop; quitting")
		case <-ctx.Done():
			return
		}
		wruntime.Quit(ctx)
	}()
}

// domReady runs after every page load. The first shows the window where it
// was, unless it starts in the tray (start minimised, or voice-only mode);
// later ones (settings pages) leave the window as the user has it.
func (a *App) domReady(ctx context.Context) {
	p := a.prefsNow()
	a.firstReady.Do(func() {
		a.restoreGeometry()
		if p.AlwaysOnTop || p.Mode == modePet {
			wruntime.WindowSetAlwaysOnTop(ctx, true)
		}
		hide := p.StartMinimised || p.VoiceOnly
		a.setHidden(hide)
		a.log.Info("window ready", "mode", p.Mode, "hidden", hide, "click_through", p.ClickThrough && p.Mode == modePet)
	})
	if p.ClickThrough {
		a.applyClickThrough(p)
	}
}

// prefsNow is a copy of the preferences.
func (a *App) prefsNow() desktopPrefs {
	a.prefsMu.Lock()
	defer a.prefsMu.Unlock()
	p := a.prefs
	p.Windows = maps.Clone(p.Windows)
	return p
}

// setHidden hides or shows the window.
func (a *App) setHidden(hide bool) {
	a.prefsMu.Lock()
	a.hidden = hide
	a.prefsMu.Unlock()
	if hide {
		wruntime.WindowHide(a.ctx)
		return
	}
	wruntime.WindowUnminimise(a.ctx)
	wruntime.WindowShow(a.ctx)
}

// beforeClose remembers where the window was; a hidden window (tray,
// voice-only) keeps the place saved when it was last shown.
func (a *App) beforeClose(ctx context.Context) bool {
	a.prefsMu.Lock()
	hidden := a.hidden
	a.prefsMu.Unlock()
	if !hidden {
		a.rememberGeometry()
	}
	return false
}

// shutdown stops the tray and the servers (main → memory → agent).
func (a *App) shutdown(context.Context) {
	if a.trayEnd != nil {
		a.trayEnd()
	}
	if a.svc == nil || a.svc.Attached {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.svc.Shutdown(ctx); err != nil {
		a.log.Error("shutdown", "err", err)
	}
}

// secondInstance focuses this window when neko is launched again.
func (a *App) secondInstance(options.SecondInstanceData) {
	if a.ctx == nil {
		return
	}
	a.setHidden(false)
}

// switchCharacter asks the main server to switch (the same path the page
// uses, so every open page is told).
func (a *App) switchCharacter(name string) {
	body := strings.NewReader(fmt.Sprintf(`{"catgirl_name":%q}`, name))
	req, _ := http.NewRequest(http.MethodPost, a.base.String()+"/api/characters/current_catgirl", body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Neko-Token", a.svc.Token())
	req.Header.Set("Origin", a.base.String())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.log.Warn("switch character", "err", err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		a.log.Warn("switch character refused", "status", resp.Status)
	}
}
