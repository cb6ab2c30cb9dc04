//go:build desktop || bindings

package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/runtime"

	"neko/backend/services"
)

// App is the desktop shell's lifecycle owner: the servers are started before
// the window (by main) and stopped in order when the window quits.
type App struct {
	svc *services.Services
	log *slog.Logger
	url string
	ctx context.Context
}

// NewApp wraps running services; url is the main page the window shows.
func NewApp(svc *services.Services, url string, log *slog.Logger) *App {
	return &App{svc: svc, url: url, log: log.With("component", "desktop")}
}

// startup runs when the window exists: SIGINT/SIGTERM and a server asking to
// stop quit the app the normal way, so shutdown stays ordered.
func (a *App) startup(ctx context.Context) {
	a.ctx = ctx
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		defer signal.Stop(sig)
		select {
		case <-sig:
			a.log.Info("signal received; quitting")
		case <-a.svc.Done():
			a.log.Info("a server asked to stop; quitting")
		case <-ctx.Done():
			return
		}
		runtime.Quit(ctx)
	}()
}

// shutdown stops the servers (main → memory → agent).
func (a *App) shutdown(context.Context) {
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
	runtime.WindowUnminimise(a.ctx)
	runtime.WindowShow(a.ctx)
}

// shellPage is what the webview loads first: it hands over to the main
// server's page, so the window and a browser run the very same app.
func (a *App) shellPage() http.Handler {
	page := fmt.Sprintf(`<!doctype html><html><head><meta charset="utf-8"><title>N.E.K.O</title>
<meta http-equiv="refresh" content="0;url=%[1]s"></head>
<body style="background:transparent"><script>location.replace(%[1]q)</script></body></html>`, a.url)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	})
}
