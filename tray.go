//go:build desktop || bindings

package main

import (
	"bytes"
	_ "embed"
	"image"
	"image/png"
	"os/exec"
	"runtime"

	"fyne.io/systray"
	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"
)

//go:embed build/appicon.png
var appIcon []byte

// settingsPages are the pages the tray opens in the window.
var settingsPages = []struct{ title, path string }{
	{"Characters", "/chara_manager"}, {"API keys", "/api_key"}, {"Models", "/model_manager"},
	{"Memory", "/memory_browser"}, {"Voice clone", "/voice_clone"}, {"Workshop", "/steam_workshop_manager"},
}

// startTray shows the tray icon (StatusNotifierItem on Linux) with the app's
// menu. It runs beside the Wails loop, never as its own main loop.
func (a *App) startTray() {
	start, end := systray.RunWithExternalLoop(a.trayReady, func() {})
	a.trayEnd = end
	start()
}

func (a *App) trayReady() {
	systray.SetIcon(trayIcon())
	systray.SetTitle("N.E.K.O")
	systray.SetTooltip("N.E.K.O desktop companion")
	show := systray.AddMenuItem("Show / hide", "Show or hide the window")
	prefs := a.prefsNow()
	top := systray.AddMenuItemCheckbox("Always on top", "Keep the window above others", prefs.AlwaysOnTop)
	pet := systray.AddMenuItemCheckbox("Pet mode", "Frameless, transparent window (restarts the window)", prefs.Mode == modePet)
	a.addWindowItems()
	a.addControlItems()
	chars := systray.AddMenuItem("Switch character", "")
	var charItems []*systray.MenuItem
	var charNames []string
	for _, n := range a.svc.Store.Characters().Names() {
		charItems = append(charItems, chars.AddSubMenuItem(n, "Talk with "+n))
		charNames = append(charNames, n)
	}
	settings := systray.AddMenuItem("Settings", "")
	var pageItems []*systray.MenuItem
	for _, p := range settingsPages {
		pageItems = append(pageItems, settings.AddSubMenuItem(p.title, ""))
	}
	data := systray.AddMenuItem("Open data folder", a.svc.Store.Paths.Root)
	systray.AddSeparator()
	quit := systray.AddMenuItem("Quit", "Quit N.E.K.O")

	for i, it := range charItems {
		name := charNames[i]
		go a.onClick(it, func() { a.switchCharacter(name) })
	}
	for i, it := range pageItems {
		path := settingsPages[i].path
		go a.onClick(it, func() { a.navigate(path) })
	}
	go a.onClick(show, a.toggleWindow)
	go a.onClick(top, func() {
		p := a.updatePrefs(func(p *desktopPrefs) { p.AlwaysOnTop = !p.AlwaysOnTop })
		setChecked(top, p.AlwaysOnTop)
		wruntime.WindowSetAlwaysOnTop(a.ctx, p.AlwaysOnTop)
	})
	go a.onClick(pet, func() {
		p := a.updatePrefs(func(p *desktopPrefs) {
			if p.Mode == modePet {
				p.Mode = modeWindow
			} else {
				p.Mode = modePet
			}
		})
		setChecked(pet, p.Mode == modePet)
		a.restart = true
		wruntime.Quit(a.ctx)
	})
	go a.onClick(data, func() { openFolder(a.svc.Store.Paths.Root) })
	go a.onClick(quit, func() {
		a.log.Info("quit from the tray")
		wruntime.Quit(a.ctx)
	})
}

func (a *App) onClick(it *systray.MenuItem, fn func()) {
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-it.ClickedCh:
			fn()
		}
	}
}

func setChecked(it *systray.MenuItem, on bool) {
	if on {
		it.Check()
	} else {
		it.Uncheck()
	}
}

func (a *App) toggleWindow() {
	a.prefsMu.Lock()
	hidden := a.hidden
	a.prefsMu.Unlock()
	a.setHidden(!hidden)
}

func (a *App) navigate(path string) {
	a.setHidden(false)
	wruntime.WindowExecJS(a.ctx, "location.assign("+jsString(path)+")")
}

func jsString(s string) string {
	var b bytes.Buffer
	b.WriteByte('"')
	for _, r := range s {
		if r == '"' || r == '\\' || r < 0x20 {
			b.WriteString("\\u00")
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&15])
			continue
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

func openFolder(dir string) {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "windows":
		cmd = exec.Command("explorer", dir)
	case "darwin":
		cmd = exec.Command("open", dir)
	default:
		cmd = exec.Command("xdg-open", dir)
	}
	if cmd.Start() == nil {
		go func() { _ = cmd.Wait() }()
	}
}

// trayIcon scales the 1024 px app icon down to 64 px (a box filter), so the
// tray does not ship megabytes of pixels over D-Bus.
func trayIcon() []byte {
	src, err := png.Decode(bytes.NewReader(appIcon))
	if err != nil {
		return appIcon
	}
	const size = 64
	b := src.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, size, size))
	fx, fy := b.Dx()/size, b.Dy()/size
	if fx < 1 || fy < 1 {
		return appIcon
	}
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			var r, g, bl, al, n uint32
			for yy := 0; yy < fy; yy++ {
				for xx := 0; xx < fx; xx++ {
					cr, cg, cb, ca := src.At(b.Min.X+x*fx+xx, b.Min.Y+y*fy+yy).RGBA()
					r, g, bl, al, n = r+cr, g+cg, bl+cb, al+ca, n+1
				}
			}
			i := dst.PixOffset(x, y)
			if al == 0 {
				continue
			}
			// Un-premultiply the averaged colour.
			dst.Pix[i+0] = uint8(r * 255 / al)
			dst.Pix[i+1] = uint8(g * 255 / al)
			dst.Pix[i+2] = uint8(bl * 255 / al)
			dst.Pix[i+3] = uint8(al / n >> 8)
		}
	}
	var out bytes.Buffer
	if png.Encode(&out, dst) != nil {
		return appIcon
	}
	return out.Bytes()
}
