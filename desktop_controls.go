//go:build desktop || bindings

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"fyne.io/systray"

	"neko/backend/desktopctl"
)

// controlsState is the tray's switches as the main server takes them.
func controlsState(p desktopPrefs) desktopctl.State {
	return desktopctl.State{MicMuted: p.MicMuted, VoiceMuted: p.VoiceMuted, VoiceOnly: p.VoiceOnly}
}

// pushControls sends the switches to the main server (the same route a
// page could use), which applies them to every session and tells the pages.
func (a *App) pushControls(st desktopctl.State) error {
	b, _ := json.Marshal(st)
	req, err := http.NewRequest(http.MethodPost, a.base.String()+"/api/desktop/controls", bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Neko-Token", a.svc.Token())
	req.Header.Set("Origin", a.base.String())
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("desktop controls: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("desktop controls: %s", resp.Status)
	}
	return nil
}

// addControlItems adds the mute and voice-only checkboxes to the tray.
func (a *App) addControlItems() {
	p := a.prefsNow()
	mic := systray.AddMenuItemCheckbox("Mute microphone", "She does not hear the microphone", p.MicMuted)
	voice := systray.AddMenuItemCheckbox("Mute voice", "She answers in text only", p.VoiceMuted)
	only := systray.AddMenuItemCheckbox("Voice only", "Hide the window; she still talks through the speakers", p.VoiceOnly)
	go a.onClick(mic, func() {
		p := a.updatePrefs(func(p *desktopPrefs) { p.MicMuted = !p.MicMuted })
		a.applyControl(mic, p, p.MicMuted)
	})
	go a.onClick(voice, func() {
		p := a.updatePrefs(func(p *desktopPrefs) { p.VoiceMuted = !p.VoiceMuted })
		a.applyControl(voice, p, p.VoiceMuted)
	})
	go a.onClick(only, func() {
		p := a.updatePrefs(func(p *desktopPrefs) { p.VoiceOnly = !p.VoiceOnly })
		a.applyControl(only, p, p.VoiceOnly)
		a.setHidden(p.VoiceOnly)
	})
}

// addWindowItems adds the window checkboxes: click-through (pet mode, where
// the platform allows it; the drag handle stays clickable on Linux) and
// start in the tray.
func (a *App) addWindowItems() {
	p := a.prefsNow()
	through := systray.AddMenuItemCheckbox("Click-through", "Clicks pass through the pet to the windows below", p.ClickThrough)
	if p.Mode != modePet || !clickThroughSupported {
		through.Disable()
	}
	tray := systray.AddMenuItemCheckbox("Start in tray", "Start with the window hidden; the tray shows it", p.StartMinimised)
	go a.onClick(through, func() {
		p := a.updatePrefs(func(p *desktopPrefs) { p.ClickThrough = !p.ClickThrough })
		setChecked(through, p.ClickThrough)
		a.applyClickThrough(p)
	})
	go a.onClick(tray, func() {
		p := a.updatePrefs(func(p *desktopPrefs) { p.StartMinimised = !p.StartMinimised })
		setChecked(tray, p.StartMinimised)
	})
}

// applyClickThrough sets click-through as the preferences say (pet mode only).
func (a *App) applyClickThrough(p desktopPrefs) {
	if !clickThroughSupported || p.Mode != modePet {
		return
	}
	if err := setClickThrough(p.ClickThrough); err != nil {
		a.log.Warn("click-through", "err", err)
	}
}

func (a *App) applyControl(it *systray.MenuItem, p desktopPrefs, on bool) {
	setChecked(it, on)
	if err := a.pushControls(controlsState(p)); err != nil {
		a.log.Warn("apply tray switch", "err", err)
	}
}
