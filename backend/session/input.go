package session

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// clientMsg is one message from the page (reference §5.2), or a binary mic
// frame (our extension: PCM16 LE at 48 kHz).
type clientMsg struct {
	Action     string          `json:"action"`
	InputType  string          `json:"input_type"`
	Data       json.RawMessage `json:"data"`
	NewSession bool            `json:"new_session"`
	Language   string          `json:"language"`
	binary     []byte
}

// handle is called on the manager goroutine for each message of the
// current socket.
func (m *Manager) handle(c *conn, msg clientMsg) {
	if c != m.conn {
		// Only the newest socket of a character may drive it.
		c.send(statusMessage("CHARACTER_SWITCHING_TERMINAL", nil))
		c.close()
		return
	}
	if msg.Language != "" {
		m.lang = msg.Language
	}
	if msg.binary != nil {
		m.streamData(clientMsg{Action: "stream_data", InputType: "audio", binary: msg.binary})
		return
	}
	switch msg.Action {
	case "ping":
		m.toClient(map[string]any{"type": "pong"})
	case "start_session":
		mode := ModeAudio
		switch msg.InputType {
		case "", "audio", "screen", "camera":
		case "text":
			mode = ModeText
		default:
			m.status("INVALID_INPUT_TYPE", map[string]any{"input_type": msg.InputType})
			return
		}
		if m.mode == mode && !msg.NewSession {
			m.toClient(map[string]any{"type": "session_started", "input_mode": mode})
			return
		}
		m.startSession(mode)
	case "stream_data":
		m.streamData(msg)
	case "end_session", "pause_session":
		m.endSession(false)
	case "screenshot_response":
		m.h.screenshots.resolve(m.name, dataString(msg.Data))
	default:
		m.status("UNKNOWN_ACTION", map[string]any{"action": msg.Action})
	}
}

// streamData routes user input, starting or switching the session when the
// input does not match it (reference §6.4).
func (m *Manager) streamData(msg clientMsg) {
	want := ModeAudio
	switch msg.InputType {
	case "text":
		want = ModeText
	case "audio":
		if d := m.h.deps.Desktop; d != nil && d.MicMuted() {
			return // muted: not heard, and no session started for it
		}
	case "screen", "camera":
		img := dataString(msg.Data)
		if img == "" || !validImage(img) {
			m.status("IMAGE_BLOCKED", map[string]any{"reason": "not a JPEG/PNG image"})
			return
		}
		if m.rt != nil {
			m.rt.image(img)
			return
		}
		if len(m.images) < 4 {
			m.images = append(m.images, img)
		}
		return
	default:
		m.status("INVALID_INPUT_TYPE", map[string]any{"input_type": msg.InputType})
		return
	}
	if m.starting {
		if len(m.pending) < 256 {
			m.pending = append(m.pending, msg)
		}
		return
	}
	if m.mode != want {
		if time.Now().Before(m.coolUntil) {
			return // starts keep failing: wait out the cool-down quietly
		}
		// No session (or the other kind): start the right one, as the
		// original does, and replay this input once it is ready.
		m.pending = append(m.pending, msg)
		m.startSession(want)
		return
	}
	if want == ModeText {
		if m.cascade != nil {
			// Typing during a cascaded voice session is a normal turn.
			want = ModeAudio
		}
		var text string
		if err := json.Unmarshal(msg.Data, &text); err != nil || strings.TrimSpace(text) == "" {
			m.status("INVALID_INPUT_TYPE", map[string]any{"reason": "text data must be a non-empty string"})
			return
		}
		m.userText(text)
		return
	}
	switch {
	case m.rt != nil:
		chunk := m.rt.audio(msg)
		switch {
		case chunk == nil:
		case m.swap.swapping:
			if len(m.swap.audio) < maxSwapAudio {
				m.swap.audio = append(m.swap.audio, chunk)
			}
		default:
			m.rt.sendAudio(chunk)
		}
	case m.cascade != nil:
		m.cascadeAudio(msg)
	}
}

func dataString(raw json.RawMessage) string {
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

// validImage accepts a JPEG or PNG as a data URL or raw base64.
func validImage(s string) bool {
	if i := strings.Index(s, ","); strings.HasPrefix(s, "data:") && i > 0 {
		s = s[i+1:]
	}
	if len(s) < 8 || len(s) > 8<<20 {
		return false
	}
	head, err := base64.StdEncoding.DecodeString(s[:8])
	if err != nil {
		return false
	}
	return strings.HasPrefix(string(head), "\xff\xd8\xff") || strings.HasPrefix(string(head), "\x89PNG")
}
