package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"neko/backend/httpjson"
	"neko/backend/llm"
)

// Proactive chat (reference §6.9): the character starts a conversation from
// what is on the screen or the active window. Web, news and music sources
// need accounts and scrapers; they are not built in, and the channels that
// are not available are simply not used.

var proactiveTags = []string{"[SCREEN]", "[WEB]", "[BOTH]", "[MUSIC]", "[PASS]"}

const proactiveRules = `You are deciding whether to start a conversation with %[1]s, unprompted.
Look at what %[1]s is doing (below). If there is something natural, kind or fun to say about it, say ONE short spoken line in character.
If nothing is worth saying, or %[1]s seems busy, answer exactly [PASS].
Start your answer with a tag: [SCREEN] when you talk about the screen, [WEB] about a web topic, [BOTH] for both; then the line. No emoji, no markdown, no stage directions.`

// ProactiveHandler serves POST /api/proactive_chat.
func (h *Hub) ProactiveHandler() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			LanlanName     string   `json:"lanlan_name"`
			EnabledModes   []string `json:"enabled_modes"`
			ScreenshotData string   `json:"screenshot_data"`
			WindowTitle    string   `json:"window_title"`
			Language       string   `json:"language"`
		}
		if !httpjson.DecodeOrError(w, r, &body, 12<<20) {
			return
		}
		chars := h.deps.Characters()
		if _, ok := chars.Get(body.LanlanName); !ok {
			httpjson.Error(w, http.StatusNotFound, "not_found", fmt.Sprintf("character %q does not exist", body.LanlanName))
			return
		}
		m := h.manager(body.LanlanName)
		if m == nil {
			httpjson.Error(w, http.StatusServiceUnavailable, "closing", "the server is shutting down")
			return
		}
		busy := make(chan string, 1)
		m.post(func() { busy <- m.proactiveBlocker() })
		if reason := <-busy; reason != "" {
			status := http.StatusConflict
			httpjson.Write(w, status, map[string]any{"success": false, "action": "pass", "error": reason, "lanlan_name": body.LanlanName})
			return
		}
		modes := map[string]bool{}
		for _, md := range body.EnabledModes {
			modes[md] = true
		}
		ctx, cancel := context.WithTimeout(r.Context(), 40*time.Second)
		defer cancel()
		shot := body.ScreenshotData
		if modes["vision"] && shot == "" {
			sctx, c := context.WithTimeout(ctx, 3*time.Second)
			shot, _ = h.Screenshot(sctx, body.LanlanName)
			c()
		}
		var channels []string
		if modes["vision"] && shot != "" && validImage(shot) {
			channels = append(channels, "vision")
		} else {
			shot = ""
		}
		if modes["window"] && body.WindowTitle != "" {
			channels = append(channels, "window")
		}
		result := map[string]any{"success": true, "action": "pass", "message": "", "lanlan_name": body.LanlanName,
			"source_mode": "", "source_tag": "", "active_channels": channels, "source_links": []any{}}
		if len(channels) == 0 {
			httpjson.Write(w, http.StatusOK, result)
			return
		}
		line, tag, err := h.proactiveLine(ctx, body.LanlanName, body.Language, shot, body.WindowTitle)
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			httpjson.Error(w, http.StatusGatewayTimeout, "RESPONSE_TIMEOUT", "the model did not answer in time")
			return
		case err != nil:
			httpjson.Error(w, http.StatusBadGateway, errorCode(err), err.Error())
			return
		}
		if tag == "[PASS]" || line == "" {
			httpjson.Write(w, http.StatusOK, result)
			return
		}
		m.post(func() { m.deliverProactive(line) })
		result["action"], result["message"], result["source_tag"] = "chat", line, tag
		result["source_mode"] = channels[0]
		httpjson.Write(w, http.StatusOK, result)
	}
}

// proactiveBlocker says why she must not speak up now ("" = she may).
func (m *Manager) proactiveBlocker() string {
	switch {
	case m.voice.Load():
		return "a voice session is running"
	case m.text != nil && m.text.cancel != nil:
		return "she is answering"
	case m.conn == nil:
		return "no page is connected"
	}
	return ""
}

func (h *Hub) proactiveLine(ctx context.Context, name, lang, shot, window string) (string, string, error) {
	role := llm.RoleCorrection
	if shot != "" {
		role = llm.RoleVision
	}
	ep := h.deps.Endpoint(role)
	if ep.BaseURL == "" || ep.Model == "" {
		return "", "", &llm.Error{Code: llm.CodeKeyRejected, Message: "no " + role + " model is configured"}
	}
	prompt, _ := h.prompt(ctx, name, lang)
	var b strings.Builder
	fmt.Fprintf(&b, proactiveRules, h.masterName())
	if window != "" {
		fmt.Fprintf(&b, "\nActive window: %s", window)
	}
	user := llm.Message{Role: "user", Content: b.String()}
	if shot != "" {
		user.Content += "\nThe screen is attached."
		user.Images = []string{asDataURL(shot)}
	}
	temp := 1.0
	resp, err := llm.NewChatClient(ep.Endpoint).Complete(ctx, llm.ChatRequest{
		Messages: []llm.Message{{Role: "system", Content: prompt}, user}, Temperature: &temp, MaxTokens: 200})
	if err != nil {
		return "", "", err
	}
	return parseProactive(resp.Text)
}

// parseProactive splits "[TAG] line", cutting at a second "|" and at 400
// characters as the original does.
func parseProactive(s string) (string, string, error) {
	s = strings.TrimSpace(s)
	tag := ""
	for _, t := range proactiveTags {
		if strings.HasPrefix(s, t) {
			tag, s = t, strings.TrimSpace(strings.TrimPrefix(s, t))
			break
		}
	}
	if tag == "" {
		if strings.Contains(s, "[PASS]") || s == "" {
			return "", "[PASS]", nil
		}
		tag = "[SCREEN]"
	}
	var g replyGuard
	g.add(s)
	line := g.text()
	if r := []rune(line); len(r) > 400 {
		line = string(r[:400])
	}
	return line, tag, nil
}

func asDataURL(s string) string {
	if strings.HasPrefix(s, "data:") {
		return s
	}
	return "data:image/jpeg;base64," + s
}

// deliverProactive speaks a proactive line as a turn of its own.
func (m *Manager) deliverProactive(line string) {
	if m.proactiveBlocker() != "" {
		return
	}
	if m.text == nil {
		// Start a text session first; the line follows once it is ready.
		m.pendingProactive = line
		m.startSession(ModeText)
		return
	}
	m.newSpeech()
	m.toClient(map[string]any{"type": "gemini_response", "text": line, "isNewMessage": true})
	if m.worker != nil {
		m.worker.Speak(m.speechID, line)
		m.worker.End()
	}
	m.h.deps.Fanout.EndSpeech(m.name, m.speechID)
	m.text.history = append(m.text.history, llm.Message{Role: "assistant", Content: line})
	m.recordTurn("assistant", line)
	m.toClient(map[string]any{"type": "system", "data": "turn end"})
}
