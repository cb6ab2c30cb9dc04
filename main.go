//go:build desktop || bindings

// Command neko is the desktop companion: the three servers in-process, a
// Wails window showing the character, and a tray menu.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/windows"

	"neko/backend/launcher"
	"neko/backend/services"
)

var version = "dev"

func main() {
	o, code, serve := launcher.Command(os.Args[1:], version, "desktop")
	if !serve {
		os.Exit(code)
	}
	log, root, closer, err := launcher.Setup(o, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "neko:", err)
		os.Exit(1)
	}
	defer closer.Close()
	o.Attach = true // a second launch opens a window on the running servers
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	svc, err := launcher.StartServices(context.Background(), o, root, frontendAssets(), services.NewEvents(os.Stdout), log)
	if err != nil {
		log.Error("startup failed", "err", err)
		os.Exit(1)
	}
	app := NewApp(svc, sig, log)
	pet := app.prefs.Mode == modePet
	bg := &options.RGBA{R: 250, G: 246, B: 255, A: 255}
	if pet {
		bg = &options.RGBA{}
	}
	err = wails.Run(&options.App{
		Title:            "N.E.K.O",
		Width:            1100,
		Height:           760,
		MinWidth:         240,
		MinHeight:        320,
		Frameless:        pet,
		AlwaysOnTop:      pet || app.prefs.AlwaysOnTop,
		StartHidden:      true, // shown from OnDomReady once its place is restored
		BackgroundColour: bg,
		AssetServer:      &assetserver.Options{Handler: app.assets()},
		OnStartup:        app.startup,
		OnDomReady:       app.domReady,
		OnBeforeClose:    app.beforeClose,
		OnShutdown:       app.shutdown,
		SingleInstanceLock: &options.SingleInstanceLock{
			UniqueId:               "dev.neko.companion.window",
			OnSecondInstanceLaunch: app.secondInstance,
		},
		Linux:   &linux.Options{ProgramName: "neko", WindowIsTranslucent: pet, WebviewGpuPolicy: app.prefs.gpuPolicy()},
		Windows: &windows.Options{WebviewIsTransparent: pet, WindowIsTranslucent: pet},
	})
	if err != nil {
		log.Error("window", "err", err)
		app.shutdown(context.Background())
		os.Exit(1)
	}
	if app.restart {
		relaunch(log)
	}
}
