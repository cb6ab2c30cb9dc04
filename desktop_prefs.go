//go:build desktop || bindings

package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/wailsapp/wails/v2/pkg/options/linux"
	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"

	"neko/backend/atomicfile"
	"neko/backend/config"
)

// Window modes.
const (
	modeWindow = "window"
	modePet    = "pet" // frameless, transparent, always on top
)

// desktopPrefs is config/desktop.json: how the window looks and where it was
// on each display.
type desktopPrefs struct {
	Mode           string              `json:"mode"`
	AlwaysOnTop    bool                `json:"always_on_top"`
	StartMinimised bool                `json:"start_minimised"`
	GPUPolicy      string              `json:"gpu_policy,omitempty"` // "on_demand" (default), "always", "never"
	MicMuted       bool                `json:"mic_muted"`
	VoiceMuted     bool                `json:"voice_muted"`
	VoiceOnly      bool                `json:"voice_only"`    // window hidden, speech through the speakers
	ClickThrough   bool                `json:"click_through"` // pet mode: clicks pass to the windows below
	Windows        map[string]geometry `json:"windows"`       // by display ("1920x1080")
}

type geometry struct {
	X, Y, W, H int
}

func loadDesktopPrefs(st *config.Store) desktopPrefs {
	p := desktopPrefs{Mode: modeWindow, Windows: map[string]geometry{}}
	b, err := os.ReadFile(st.Paths.File("desktop.json"))
	if err == nil && json.Unmarshal(b, &p) != nil {
		p = desktopPrefs{Mode: modeWindow}
	}
	if p.Mode != modePet {
		p.Mode = modeWindow
	}
	if p.Windows == nil {
		p.Windows = map[string]geometry{}
	}
	return p
}

// updatePrefs changes the preferences under their lock (tray items run on
// their own goroutines) and saves them.
func (a *App) updatePrefs(fn func(p *desktopPrefs)) desktopPrefs {
	a.prefsMu.Lock()
	defer a.prefsMu.Unlock()
	fn(&a.prefs)
	a.savePrefsLocked()
	return a.prefs
}

func (a *App) savePrefsLocked() {
	b, _ := json.MarshalIndent(a.prefs, "", "  ")
	if err := atomicfile.Write(a.svc.Store.Paths.File("desktop.json"), b, 0o644); err != nil {
		a.log.Warn("save desktop preferences", "err", err)
	}
}

// displayKey names the display the window is on by its size.
func (a *App) displayKey() string {
	screens, err := wruntime.ScreenGetAll(a.ctx)
	if err != nil {
		return "default"
	}
	for _, s := range screens {
		if s.IsCurrent {
			return fmt.Sprintf("%dx%d", s.Size.Width, s.Size.Height)
		}
	}
	return "default"
}

// restoreGeometry puts the window where it was on this display.
func (a *App) restoreGeometry() {
	if g, ok := a.prefsNow().Windows[a.displayKey()]; ok && g.W > 100 && g.H > 100 {
		wruntime.WindowSetSize(a.ctx, g.W, g.H)
		wruntime.WindowSetPosition(a.ctx, g.X, g.Y)
	}
}

// rememberGeometry saves the window's place for this display.
func (a *App) rememberGeometry() {
	x, y := wruntime.WindowGetPosition(a.ctx)
	w, h := wruntime.WindowGetSize(a.ctx)
	if w > 100 && h > 100 {
		key := a.displayKey()
		a.updatePrefs(func(p *desktopPrefs) { p.Windows[key] = geometry{X: x, Y: y, W: w, H: h} })
	}
}

// gpuPolicy is WebKitGTK's hardware acceleration policy. On demand (the
// default) composites on the GPU only while the page needs it, which the
// avatar's WebGL canvas does; "never" is for drivers that show a blank
// window with acceleration (wails#2977), at the price of the WebGL avatar.
func (p desktopPrefs) gpuPolicy() linux.WebviewGpuPolicy {
	switch p.GPUPolicy {
	case "always":
		return linux.WebviewGpuPolicyAlways
	case "never":
		return linux.WebviewGpuPolicyNever
	}
	return linux.WebviewGpuPolicyOnDemand
}
