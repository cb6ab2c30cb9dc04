package services

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"neko/backend/bridge"
)

// Events writes the launcher's machine-readable lines on stdout:
//
//	NEKO_EVENT {"source":"neko_launcher","event":"startup_ready","ts":…,"launch_id":"…","payload":{…}}
//
// A desktop shell (the original's Electron app, or ours) parses them.
type Events struct {
	mu       sync.Mutex
	w        io.Writer
	LaunchID string
}

// NewEvents writes to w (nil: nowhere).
func NewEvents(w io.Writer) *Events {
	if w == nil {
		w = io.Discard
	}
	return &Events{w: w, LaunchID: bridge.NewID()[:12]}
}

// Emit writes one event line.
func (e *Events) Emit(event string, payload map[string]any) {
	if e == nil {
		return
	}
	if payload == nil {
		payload = map[string]any{}
	}
	line, err := json.Marshal(map[string]any{"source": "neko_launcher", "event": event,
		"ts": float64(time.Now().UnixMilli()) / 1000, "launch_id": e.LaunchID, "payload": payload})
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	fmt.Fprintf(e.w, "NEKO_EVENT %s\n", line)
}
