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

func (a *App) applyControl(it *systray.MenuItem, p desktopPrefs, on bool) {
	setChecked(it, on)
	if err := a.pushControls(controlsState(p)); err != nil {
		a.log.Warn("apply tray switch", "err", err)
	}
}
