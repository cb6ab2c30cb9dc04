package llmtest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// handleGemini serves Gemini Live (BidiGenerateContent): a setup message,
// then realtimeInput / clientContent from the client and serverContent
// from the server, all as JSON in binary frames.
func (s *Server) handleGemini(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "BidiGenerateContent") {
		http.NotFound(w, r)
		return
	}
	if !s.authorized(w, r) || s.refuseHandshake(w) {
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &RealtimeConn{ws: ws, Path: r.URL.Path, Gemini: true, notify: make(chan struct{}, 1), closed: make(chan struct{})}
	s.rt.add(c)
	defer s.rt.remove(c)
	defer close(c.closed)
	defer ws.Close()
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var ev map[string]any
		if err := json.Unmarshal(data, &ev); err != nil {
			c.CloseWith(1007, "Request contains an invalid argument.")
			return
		}
		c.record(ev)
		switch {
		case ev["setup"] != nil:
			setup, _ := ev["setup"].(map[string]any)
			model, _ := setup["model"].(string)
			c.mu.Lock()
			c.Model = strings.TrimPrefix(model, "models/")
			c.session = setup
			c.mu.Unlock()
			c.Send(map[string]any{"setupComplete": map[string]any{}})
		case ev["realtimeInput"] != nil:
			in, _ := ev["realtimeInput"].(map[string]any)
			if a, ok := in["audio"].(map[string]any); ok {
				b64, _ := a["data"].(string)
				pcm, _ := base64.StdEncoding.DecodeString(b64)
				c.mu.Lock()
				c.audio += len(pcm)
				c.mu.Unlock()
			}
		case ev["clientContent"] != nil:
			cc, _ := ev["clientContent"].(map[string]any)
			turns, _ := cc["turns"].([]any)
			for _, t := range turns {
				parts, _ := t.(map[string]any)["parts"].([]any)
				for _, p := range parts {
					if txt, ok := p.(map[string]any)["text"].(string); ok {
						c.mu.Lock()
						c.lastText = txt
						c.mu.Unlock()
					}
				}
			}
			if cc["turnComplete"] == true {
				s.startGeminiTurn(c)
			}
		}
	}
}

// GeminiInputTranscript sends a fragment of the user's transcript.
func (c *RealtimeConn) GeminiInputTranscript(text string) {
	c.Send(map[string]any{"serverContent": map[string]any{"inputTranscription": map[string]any{"text": text}}})
}

// GeminiInterrupted tells the client the user barged in and, as Gemini
// does, drops the rest of the turn being played (no turnComplete).
func (c *RealtimeConn) GeminiInterrupted() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil {
		close(c.cancel)
		c.cancel = nil
	}
	c.Send(map[string]any{"serverContent": map[string]any{"interrupted": true}})
}

// sendLive sends ev unless the turn was cancelled; the check and the send
// are atomic with respect to GeminiInterrupted.
func (c *RealtimeConn) sendLive(cancel chan struct{}, ev map[string]any) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-cancel:
		return false
	default:
	}
	c.Send(ev)
	return true
}

func (s *Server) startGeminiTurn(c *RealtimeConn) {
	c.mu.Lock()
	req := RealtimeRequest{Model: c.Model, Text: c.lastText, AudioBytes: c.audio}
	cancel := make(chan struct{})
	c.cancel = cancel
	c.mu.Unlock()
	s.rt.mu.Lock()
	script := s.rt.script
	s.rt.mu.Unlock()
	reply := RealtimeReply{}
	if script != nil {
		reply = script(req)
	}
	if len(reply.Chunks) == 0 && len(reply.Audio) == 0 && reply.Error == "" && !reply.Drop && reply.Close == 0 {
		text := req.Text
		if text == "" {
			text = "ok"
		}
		reply.Chunks, reply.Audio = []string{text}, [][]byte{make([]byte, 480)}
	}
	go c.playGemini(reply, cancel)
}

func (c *RealtimeConn) playGemini(reply RealtimeReply, cancel chan struct{}) {
	if reply.Malformed {
		c.SendRaw([]byte(`{"serverContent":`))
	}
	switch {
	case reply.Close != 0:
		c.CloseWith(reply.Close, reply.CloseText)
		return
	case reply.Error != "":
		c.CloseWith(1011, reply.Error)
		return
	case reply.Drop:
		c.Drop()
		return
	}
	c.mu.Lock()
	gen, _ := c.session["generationConfig"].(map[string]any)
	c.mu.Unlock()
	mods, _ := gen["responseModalities"].([]any)
	textOnly := len(mods) == 1 && mods[0] == "TEXT"
	n := max(len(reply.Chunks), len(reply.Audio))
	for i := 0; i < n; i++ {
		d := reply.Delay
		if i == 0 {
			d = reply.FirstDelay
		}
		if d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-cancel:
				t.Stop()
				return
			case <-c.closed:
				t.Stop()
				return
			}
		}
		if i < len(reply.Audio) && !textOnly {
			part := map[string]any{"inlineData": map[string]any{"mimeType": "audio/pcm;rate=24000",
				"data": base64.StdEncoding.EncodeToString(reply.Audio[i])}}
			ev := map[string]any{"serverContent": map[string]any{"modelTurn": map[string]any{"parts": []any{part}}}}
			if !c.sendLive(cancel, ev) {
				return
			}
		}
		if i < len(reply.Chunks) {
			ev := map[string]any{"serverContent": map[string]any{"outputTranscription": map[string]any{"text": reply.Chunks[i]}}}
			if textOnly {
				ev = map[string]any{"serverContent": map[string]any{"modelTurn": map[string]any{"parts": []any{
					map[string]any{"text": reply.Chunks[i]}}}}}
			}
			if !c.sendLive(cancel, ev) {
				return
			}
		}
	}
	if !c.sendLive(cancel, map[string]any{"serverContent": map[string]any{"generationComplete": true}}) {
		return
	}
	c.sendLive(cancel, map[string]any{"serverContent": map[string]any{"turnComplete": true},
		"usageMetadata": map[string]any{"promptTokenCount": 10, "responseTokenCount": 4, "totalTokenCount": 14}})
}
