package llm

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"neko/backend/audio"
)

// openAIRealtime speaks the OpenAI-Realtime event protocol family.
type openAIRealtime struct {
	*wsSession
	cfg RealtimeConfig
	seq atomic.Int64

	audioMu sync.Mutex // serialises SendAudio (resampler state, order)

	mu             sync.Mutex
	skipPending    int             // skipped response.creates not yet seen as response.created
	skipIDs        map[string]bool // responses whose events are suppressed
	awaitingInput  bool            // hold transcript deltas until the user's transcript arrived
	heldTranscript []string
	throttleUntil  time.Time
	droppedAudio   int
	warm           chan struct{}
	up             *audio.Resampler // 16 kHz → 24 kHz for OpenAI
}

// realtimeURL is "{base}?model={model}", or the bare base for free.
func realtimeURL(cfg RealtimeConfig) (string, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") {
		return "", &Error{Code: CodeConnectionFailed, Message: fmt.Sprintf("realtime URL %q is not ws:// or wss://", cfg.URL)}
	}
	if cfg.Family == FamilyFree || cfg.Model == "" {
		return u.String(), nil
	}
	q := u.Query()
	q.Set("model", cfg.Model)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func dialOpenAIRealtime(ctx context.Context, cfg RealtimeConfig) (*openAIRealtime, error) {
	u, err := realtimeURL(cfg)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	if cfg.APIKey != "" {
		h.Set("Authorization", "Bearer "+cfg.APIKey)
	}
	conn, err := dialWS(ctx, u, h, cfg.HandshakeTimeout)
	if err != nil {
		return nil, err
	}
	c := &openAIRealtime{cfg: cfg, wsSession: newWSSession(conn, cfg.MaxInFlight, cfg.Logger), warm: make(chan struct{}, 1)}
	if cfg.Family == FamilyOpenAI {
		if c.up, err = audio.NewResampler(16000, 24000, 1); err != nil {
			conn.Close()
			return nil, fmt.Errorf("llm: resampler: %w", err)
		}
	}
	c.start(c.handle)
	if err := c.sendJSON(ctx, c.event("session.update", "session", sessionConfig(cfg, cfg.Instructions))); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

// event builds {"type":typ,"event_id":"event_<ms>_<n>", key:val}.
func (c *openAIRealtime) event(typ string, kv ...any) map[string]any {
	m := map[string]any{"type": typ, "event_id": fmt.Sprintf("event_%d_%d", time.Now().UnixMilli(), c.seq.Add(1))}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func (c *openAIRealtime) SendAudio(ctx context.Context, pcm []byte) error {
	// audioMu keeps resampling and queueing in one order when several
	// goroutines send; c.mu is never held while a send waits.
	c.audioMu.Lock()
	defer c.audioMu.Unlock()
	c.mu.Lock()
	throttled := time.Now().Before(c.throttleUntil)
	if throttled {
		c.droppedAudio++
	}
	c.mu.Unlock()
	if throttled {
		return nil
	}
	if c.up != nil {
		in := audio.BytesToInt16LE(nil, pcm)
		out := c.up.ProcessInt16(make([]int16, 0, len(in)*3/2+64), in)
		pcm = audio.Int16ToBytesLE(nil, out)
	}
	if len(pcm) == 0 {
		return nil
	}
	return c.sendJSON(ctx, c.event("input_audio_buffer.append", "audio", base64.StdEncoding.EncodeToString(pcm)))
}

func (c *openAIRealtime) SendImage(ctx context.Context, jpeg []byte) error {
	b64 := base64.StdEncoding.EncodeToString(jpeg)
	switch c.cfg.Family {
	case FamilyQwen, FamilyFree:
		return c.sendJSON(ctx, c.event("input_image_buffer.append", "image", b64))
	case FamilyGLM:
		return c.sendJSON(ctx, c.event("input_audio_buffer.append_video_frame", "video_frame", b64))
	}
	item := map[string]any{"type": "message", "role": "user", "content": []any{
		map[string]any{"type": "input_image", "image_url": "data:image/jpeg;base64," + b64}}}
	return c.sendJSON(ctx, c.event("conversation.item.create", "item", item))
}

func (c *openAIRealtime) CreateResponse(ctx context.Context, text string, skipped bool) error {
	if c.cfg.Family == FamilyQwen {
		// Qwen-Omni ignores text items for the answer; the line goes into
		// the instructions instead.
		s := sessionConfig(c.cfg, c.cfg.Instructions+"\n"+text)
		if err := c.sendJSON(ctx, c.event("session.update", "session", s)); err != nil {
			return err
		}
	} else if text != "" {
		item := map[string]any{"type": "message", "role": "user", "content": []any{
			map[string]any{"type": "input_text", "text": text}}}
		if err := c.sendJSON(ctx, c.event("conversation.item.create", "item", item)); err != nil {
			return err
		}
	}
	if !skipped {
		return c.sendJSON(ctx, c.event("response.create"))
	}
	c.mu.Lock()
	c.skipPending++
	c.mu.Unlock()
	err := c.sendJSON(ctx, c.event("response.create"))
	if err != nil {
		c.mu.Lock()
		c.skipPending--
		c.mu.Unlock()
	}
	return err
}

func (c *openAIRealtime) CancelResponse(ctx context.Context) error {
	return c.sendJSON(ctx, c.event("response.cancel"))
}

func (c *openAIRealtime) ClearInput(ctx context.Context) error {
	return c.sendJSON(ctx, c.event("input_audio_buffer.clear"))
}

func (c *openAIRealtime) Warmup(ctx context.Context) error {
	if c.cfg.Family == FamilyFree {
		return nil
	}
	select { // forget a stale signal
	case <-c.warm:
	default:
	}
	if err := c.CreateResponse(ctx, "", true); err != nil {
		return err
	}
	t := time.NewTimer(c.cfg.WarmupTimeout)
	defer t.Stop()
	select {
	case <-c.warm:
		return nil
	case <-c.done:
		return c.closedErr()
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		// The warm-up only primes a cache: give up on it, cancel it (its
		// response.done ends the skipping) and let the session start.
		c.log.Warn("realtime: warm-up response is late; cancelling it", "after", c.cfg.WarmupTimeout)
		return c.CancelResponse(ctx)
	}
}

// DroppedAudio reports how many audio sends were dropped while throttled.
func (c *openAIRealtime) DroppedAudio() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.droppedAudio
}

// rtEvent is the union of the provider events we read.
type rtEvent struct {
	Type       string `json:"type"`
	ResponseID string `json:"response_id"`
	Delta      string `json:"delta"`
	Transcript string `json:"transcript"`
	Response   *struct {
		ID string `json:"id"`
	} `json:"response"`
	Error *wireError `json:"error"`
}

func (c *openAIRealtime) handle(data []byte) error {
	c.mu.Lock()
	anySkip := c.skipPending > 0 || len(c.skipIDs) > 0
	c.mu.Unlock()
	if !anySkip {
		if pcm, ok := fastAudioDelta(data); ok {
			c.emit(RealtimeEvent{Kind: EventAudio, Audio: pcm})
			return nil
		}
	}
	var ev rtEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		c.log.Warn("realtime: malformed event", "err", err)
		c.emit(RealtimeEvent{Kind: EventStatus, Code: CodeResponseInvalid,
			Err: &Error{Code: CodeResponseInvalid, Message: "malformed realtime event: " + err.Error(), Err: err}})
		return nil
	}
	skipping := c.skipped(ev)
	switch ev.Type {
	case "error":
		return c.handleError(ev.Error)
	case "input_audio_buffer.speech_started":
		c.mu.Lock()
		c.awaitingInput = c.cfg.Family != FamilyStep && c.cfg.Family != FamilyFree
		c.mu.Unlock()
		c.emit(RealtimeEvent{Kind: EventSpeechStarted})
	case "input_audio_buffer.speech_stopped":
		c.emit(RealtimeEvent{Kind: EventSpeechStopped})
	case "conversation.item.input_audio_transcription.completed":
		c.emit(RealtimeEvent{Kind: EventInputTranscript, Text: ev.Transcript})
		c.flushHeld()
	case "conversation.item.input_audio_transcription.failed":
		c.flushHeld()
	case "response.created":
		c.mu.Lock()
		skip := c.skipPending > 0
		if skip {
			c.skipPending--
			if c.skipIDs == nil {
				c.skipIDs = map[string]bool{}
			}
			c.skipIDs[respID(ev)] = true
		}
		c.mu.Unlock()
		if !skip {
			c.emit(RealtimeEvent{Kind: EventResponseCreated, ResponseID: respID(ev)})
		}
	case "response.done":
		c.flushHeld()
		id := respID(ev)
		c.mu.Lock()
		skip := c.skipIDs[id]
		delete(c.skipIDs, id)
		if !skip && id == "" && len(c.skipIDs) > 0 { // provider without ids
			skip = true
			clear(c.skipIDs)
		}
		c.mu.Unlock()
		if skip {
			select {
			case c.warm <- struct{}{}:
			default:
			}
			return nil
		}
		c.emit(RealtimeEvent{Kind: EventResponseDone, ResponseID: id})
	case "response.text.delta", "response.output_text.delta":
		// GLM repeats its text in the audio transcript; take only one.
		if !skipping && (c.cfg.Family != FamilyGLM || c.cfg.TextOnly) {
			c.emit(RealtimeEvent{Kind: EventText, Text: ev.Delta})
		}
	case "response.audio_transcript.delta", "response.output_audio_transcript.delta":
		if !skipping {
			c.textDelta(ev.Delta)
		}
	case "response.audio_transcript.done", "response.output_audio_transcript.done":
		if !skipping {
			c.flushHeld()
			c.emit(RealtimeEvent{Kind: EventTextDone, Text: ev.Transcript})
		}
	case "response.audio.delta", "response.output_audio.delta":
		if skipping {
			return nil
		}
		pcm, err := base64.StdEncoding.DecodeString(ev.Delta)
		if err != nil {
			c.emit(RealtimeEvent{Kind: EventStatus, Code: CodeResponseInvalid,
				Err: &Error{Code: CodeResponseInvalid, Message: "bad base64 audio delta", Err: err}})
			return nil
		}
		c.emit(RealtimeEvent{Kind: EventAudio, Audio: pcm})
	}
	return nil
}

// skipped reports whether a delta event belongs to a skipped response: by
// its response_id, or, for providers that send none, while any skipped
// response is open.
func (c *openAIRealtime) skipped(ev rtEvent) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ev.ResponseID != "" {
		return c.skipIDs[ev.ResponseID]
	}
	return len(c.skipIDs) > 0
}

func respID(ev rtEvent) string {
	if ev.Response != nil {
		return ev.Response.ID
	}
	return ""
}

func (c *openAIRealtime) textDelta(d string) {
	c.mu.Lock()
	if c.awaitingInput {
		c.heldTranscript = append(c.heldTranscript, d)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.emit(RealtimeEvent{Kind: EventText, Text: d})
}

func (c *openAIRealtime) flushHeld() {
	c.mu.Lock()
	held := c.heldTranscript
	c.heldTranscript, c.awaitingInput = nil, false
	c.mu.Unlock()
	for _, d := range held {
		c.emit(RealtimeEvent{Kind: EventText, Text: d})
	}
}

// handleError applies the original's rules: arrears, quota, policy, 1008,
// 429 and rejected keys end the session; "overloaded" throttles audio;
// anything else is reported and the session goes on.
func (c *openAIRealtime) handleError(we *wireError) error {
	if we == nil {
		we = &wireError{Message: "unknown error"}
	}
	msg := we.text()
	code := classifyMessage(msg)
	lower := strings.ToLower(msg)
	switch code {
	case CodeArrears, CodeQuotaTime, CodePolicyViolation, CodeRateLimit, CodeKeyRejected:
		return &Error{Code: code, Message: msg}
	case CodeServerBusy:
		c.mu.Lock()
		c.throttleUntil = time.Now().Add(c.cfg.ThrottleFor)
		c.mu.Unlock()
		c.emit(RealtimeEvent{Kind: EventStatus, Code: CodeServerBusy, Err: &Error{Code: CodeServerBusy, Message: msg}})
		return nil
	}
	if strings.Contains(lower, "response timeout") {
		return &Error{Code: CodeResponseTimeout, Message: msg}
	}
	if code == "" {
		code = CodeUnknown
	}
	c.emit(RealtimeEvent{Kind: EventStatus, Code: code, Err: &Error{Code: code, Message: msg}})
	return nil
}
