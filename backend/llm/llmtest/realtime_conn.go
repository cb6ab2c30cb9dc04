package llmtest

import (
	"encoding/json"
	"time"

	"github.com/gorilla/websocket"
)

// Send writes one JSON event to the client (Gemini connections get binary
// frames, as the real service sends).
func (c *RealtimeConn) Send(ev map[string]any) {
	b, _ := json.Marshal(ev)
	c.SendRaw(b)
}

// SendRaw writes raw bytes as one frame.
func (c *RealtimeConn) SendRaw(b []byte) {
	typ := websocket.TextMessage
	if c.Gemini {
		typ = websocket.BinaryMessage
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_ = c.ws.WriteMessage(typ, b)
}

// SpeechStarted sends the server-VAD start event.
func (c *RealtimeConn) SpeechStarted() {
	c.Send(map[string]any{"type": "input_audio_buffer.speech_started", "audio_start_ms": 100, "item_id": "item_user"})
}

// SpeechStopped sends the server-VAD stop event.
func (c *RealtimeConn) SpeechStopped() {
	c.Send(map[string]any{"type": "input_audio_buffer.speech_stopped", "audio_end_ms": 900, "item_id": "item_user"})
}

// InputTranscript sends the user's transcript.
func (c *RealtimeConn) InputTranscript(text string) {
	c.Send(map[string]any{"type": "conversation.item.input_audio_transcription.completed",
		"item_id": "item_user", "content_index": 0, "transcript": text})
}

// Error sends an error event.
func (c *RealtimeConn) Error(code, message string) {
	c.Send(map[string]any{"type": "error", "error": map[string]any{"type": "invalid_request_error", "code": code, "message": message}})
}

// CloseWith closes the socket with a close code and reason.
func (c *RealtimeConn) CloseWith(code int, text string) {
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
	c.wmu.Unlock()
	_ = c.ws.Close()
}

// Drop cuts the connection without a close frame.
func (c *RealtimeConn) Drop() { _ = c.ws.NetConn().Close() }

// Received returns the client events received so far.
func (c *RealtimeConn) Received() []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]map[string]any(nil), c.received...)
}

// ReceivedAudio returns the total input audio bytes received (decoded).
func (c *RealtimeConn) ReceivedAudio() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.audio
}

// WaitFor waits until match accepts a received event and returns it; it
// returns nil after timeout.
func (c *RealtimeConn) WaitFor(timeout time.Duration, match func(map[string]any) bool) map[string]any {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	seen := 0
	for {
		evs := c.Received()
		for _, ev := range evs[seen:] {
			if match(ev) {
				return ev
			}
		}
		seen = len(evs)
		select {
		case <-c.notify:
		case <-c.closed:
			for _, ev := range c.Received()[seen:] {
				if match(ev) {
					return ev
				}
			}
			return nil
		case <-deadline.C:
			return nil
		}
	}
}

// WaitType waits for an event of the given type.
func (c *RealtimeConn) WaitType(timeout time.Duration, typ string) map[string]any {
	return c.WaitFor(timeout, func(ev map[string]any) bool { return ev["type"] == typ })
}

// Done is closed when the connection has ended.
func (c *RealtimeConn) Done() <-chan struct{} { return c.closed }

// PCM16 returns n bytes of a quiet 440 Hz-ish test pattern (PCM16 LE).
func PCM16(n int) []byte {
	b := make([]byte, n&^1)
	for i := 0; i+1 < len(b); i += 2 {
		v := int16((i/2)%64*32 - 1024)
		b[i], b[i+1] = byte(v), byte(v>>8)
	}
	return b
}
