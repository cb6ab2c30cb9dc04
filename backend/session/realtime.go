package session

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"neko/backend/audio"
	"neko/backend/llm"
)

// realtimeSession is a voice conversation over a provider's realtime socket.
// Mic audio and images go out through a bounded queue owned by one sender
// goroutine, so a slow provider never blocks the manager.
type realtimeSession struct {
	conn        llm.Realtime
	mic         *audio.Mic
	up          *audio.Resampler // 24 kHz model audio → 48 kHz
	out         chan func(ctx context.Context) error
	cancel      context.CancelFunc
	responding  bool
	interrupted bool
	firstDelta  bool
	speaking    bool // provider VAD says the user is speaking
	lastImage   time.Time
	pcm16k      []byte
	pcm48       []int16
	in24        []int16
	born        time.Time // when the connection was opened
	rebuilds    int       // unanswered reconnects in a row before this one
	gone        atomic.Bool
	goneErr     error // why the connection ended; set before gone
}

// A dropped provider connection is rebuilt at once, up to maxRebuilds times
// in a row; a connection that answered a turn, or lived stableAfter, resets
// the count. A provider that keeps hanging up ends the session as the
// original did.
const (
	maxRebuilds = 3
	stableAfter = 30 * time.Second
)

func (h *Hub) newRealtimeSession(ctx context.Context, m *Manager, prompt string) (*realtimeSession, error) {
	ep := h.deps.Endpoint(llm.RoleRealtime)
	if ep.BaseURL == "" {
		return nil, &llm.Error{Code: llm.CodeKeyRejected, Message: "no realtime voice provider is configured"}
	}
	family := ""
	if ep.APIType != "" && ep.APIType != "local" {
		family = ep.APIType
	}
	rt, err := llm.DialRealtime(ctx, llm.RealtimeConfig{Family: family, URL: ep.BaseURL, APIKey: ep.APIKey, Model: ep.Model,
		Instructions: prompt, Logger: h.log})
	if err != nil {
		return nil, err
	}
	if err := rt.Warmup(ctx); err != nil {
		rt.Close()
		return nil, err
	}
	mic, err := audio.NewMic(audio.MicConfig{})
	if err != nil {
		rt.Close()
		return nil, err
	}
	up, err := audio.NewResampler(24000, audio.PlaybackRate, 1)
	if err != nil {
		rt.Close()
		return nil, err
	}
	sctx, cancel := context.WithCancel(context.Background())
	rs := &realtimeSession{conn: rt, mic: mic, up: up, out: make(chan func(context.Context) error, 64), cancel: cancel, born: time.Now()}
	go rs.sendLoop(sctx)
	go func() {
		for ev := range rt.Events() {
			m.post(func() { m.rtEvent(rs, ev) })
		}
		err := rt.Err()
		rs.goneErr = err
		rs.gone.Store(true)
		m.post(func() { m.rtClosed(rs, err) })
	}()
	return rs, nil
}

func (rs *realtimeSession) sendLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case fn := <-rs.out:
			_ = fn(ctx)
		}
	}
}

// enqueue drops the send when the queue is full (the provider is slower
// than real time; a lost 10 ms frame is better than a growing delay).
func (rs *realtimeSession) enqueue(fn func(ctx context.Context) error) bool {
	select {
	case rs.out <- fn:
		return true
	default:
		return false
	}
}

func (rs *realtimeSession) close() {
	rs.cancel()
	_ = rs.conn.Close()
}

// audio takes a mic frame (JSON int16 array or binary PCM16), runs the mic
// chain and sends 16 kHz PCM to the provider.
func (rs *realtimeSession) audio(msg clientMsg) []byte {
	var err error
	if msg.binary != nil {
		rs.pcm16k, _, err = rs.mic.BinaryFrame(rs.pcm16k[:0], msg.binary)
	} else {
		rs.pcm16k, _, err = rs.mic.JSONFrame(rs.pcm16k[:0], msg.Data)
	}
	if err != nil || len(rs.pcm16k) == 0 {
		return nil
	}
	return append([]byte(nil), rs.pcm16k...)
}

func (rs *realtimeSession) sendAudio(chunk []byte) {
	rs.enqueue(func(ctx context.Context) error { return rs.conn.SendAudio(ctx, chunk) })
}

// image forwards a screen/camera frame: one every 1.5 s while the user
// speaks, every 7.5 s otherwise (so sharing the screen does not make her talk
// over the user, N.E.K.O. #2756).
func (rs *realtimeSession) image(dataURL string) {
	gap := 1500 * time.Millisecond
	if !rs.speaking {
		gap *= 5
	}
	if time.Since(rs.lastImage) < gap {
		return
	}
	b64 := dataURL
	if i := strings.Index(b64, ","); strings.HasPrefix(b64, "data:") && i > 0 {
		b64 = b64[i+1:]
	}
	jpeg, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return
	}
	rs.lastImage = time.Now()
	rs.enqueue(func(ctx context.Context) error { return rs.conn.SendImage(ctx, jpeg) })
}

// rtEvent handles one provider event on the manager goroutine.
func (m *Manager) rtEvent(rs *realtimeSession, ev llm.RealtimeEvent) {
	if rs != m.rt {
		return
	}
	switch ev.Kind {
	case llm.EventResponseCreated:
		rs.responding, rs.interrupted, rs.firstDelta = true, false, true
	case llm.EventText:
		if rs.interrupted || ev.Text == "" {
			return
		}
		text := stripTags(ev.Text)
		m.turnText.WriteString(text)
		m.toClient(map[string]any{"type": "gemini_response", "text": text, "isNewMessage": rs.firstDelta})
		rs.firstDelta = false
	case llm.EventAudio:
		if rs.interrupted {
			return
		}
		rs.in24 = audio.BytesToInt16LE(rs.in24[:0], ev.Audio)
		rs.pcm48 = rs.up.ProcessInt16(rs.pcm48[:0], rs.in24)
		if len(rs.pcm48) > 0 {
			m.h.deps.Fanout.PCM(m.name, m.speechID, append([]int16(nil), rs.pcm48...))
		}
	case llm.EventInputTranscript:
		if ev.Text != "" {
			m.toClient(map[string]any{"type": "user_transcript", "text": ev.Text})
			m.recordTurn("user", ev.Text)
		}
	case llm.EventSpeechStarted:
		rs.speaking = true
		if rs.responding {
			rs.interrupted = true
			rs.enqueue(func(ctx context.Context) error { return rs.conn.CancelResponse(ctx) })
		}
		m.h.deps.Fanout.Interrupt(m.name, m.speechID)
	case llm.EventSpeechStopped:
		rs.speaking = false
		m.newSpeech()
		rs.up.Reset()
	case llm.EventResponseDone:
		rs.responding = false
		rs.rebuilds = 0 // it answered: the provider works again
		if rs.interrupted {
			return
		}
		if tail := rs.up.FlushInt16(nil); len(tail) > 0 {
			m.h.deps.Fanout.PCM(m.name, m.speechID, tail)
		}
		rs.up.Reset()
		m.h.deps.Fanout.EndSpeech(m.name, m.speechID)
		m.toClient(map[string]any{"type": "system", "data": "turn end"})
		reply := m.turnText.String()
		m.turnText.Reset()
		m.turnEnd(reply)
		m.hotSwapStep()
	case llm.EventStatus:
		if ev.Code != "" {
			m.status(ev.Code, map[string]any{"error": errString(ev.Err)})
		}
	case llm.EventError:
		code := ev.Code
		if code == "" {
			code = "CONNECTION_CLOSED_ABNORMAL"
		}
		m.status(code, map[string]any{"error": errString(ev.Err)})
	}
}

// rtClosed: the provider's socket ended while in use. A lost connection
// (see droppedConnection) is rebuilt: the page is told (status
// CONNECTION_CLOSED_ABNORMAL with reconnecting:true) and a new connection is
// opened at once with the same memory context; mic input that arrives
// meanwhile waits and goes to the new one. A provider that closes the
// session on purpose, or keeps hanging up, ends it as in the original
// (reference §6.7 disconnected_by_server): the page is told, the session is
// settled, and the next input starts a new one.
func (m *Manager) rtClosed(rs *realtimeSession, err error) {
	if rs == m.swap.pending {
		m.swap.pending, m.swap.triggered = nil, time.Time{} // prepare again later
		return
	}
	if rs != m.rt {
		return
	}
	rebuilds := rs.rebuilds
	if time.Since(rs.born) >= stableAfter {
		rebuilds = 0
	}
	if !droppedConnection(err) {
		// The provider ended the session on purpose (a close code such as
		// 1011 or a policy or billing error): as the original.
		m.log.Info("realtime session closed by the provider", "err", err)
		m.disconnected(err)
		return
	}
	if rebuilds >= maxRebuilds {
		m.log.Warn("realtime session closed by the provider again; ending it", "err", err, "rebuilds", rebuilds)
		m.disconnected(err)
		return
	}
	m.log.Warn("realtime connection dropped; reconnecting", "err", err, "rebuilds", rebuilds)
	m.status("CONNECTION_CLOSED_ABNORMAL", map[string]any{"error": errString(err), "reconnecting": true})
	// The cut-off answer is dropped at every sink; the session stays, with
	// no provider until the new connection is up.
	m.newSpeech()
	rs.close()
	if m.swap.pending != nil {
		m.swap.pending.close()
	}
	m.swap = hotSwap{}
	m.rt = nil
	m.starting = true // input waits in m.pending
	m.redial(rebuilds + 1)
}

// redial opens the replacement connection in the background; attempt
// counts the reconnects in a row (1 = the first).
func (m *Manager) redial(attempt int) {
	lang := m.lang
	m.h.background(func(ctx context.Context) {
		if attempt > 1 { // a failed dial: back off a little
			t := time.NewTimer(time.Duration(attempt-1) * 250 * time.Millisecond)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		prompt, _ := m.h.prompt(ctx, m.name, lang)
		next, err := m.h.newRealtimeSession(ctx, m, prompt)
		if next != nil {
			next.rebuilds = attempt
		}
		m.post(func() { m.rebuilt(next, attempt, err) })
	})
}

// rebuilt installs the new provider connection, unless the session ended
// meanwhile; then the input that waited is replayed. A failed dial is
// retried up to maxRebuilds attempts in a row.
func (m *Manager) rebuilt(next *realtimeSession, attempt int, err error) {
	switch {
	case m.mode != ModeAudio || m.rt != nil:
		if next != nil {
			next.close() // the user ended or switched the session meanwhile
		}
	case err != nil && attempt < maxRebuilds:
		m.log.Warn("realtime reconnect failed; retrying", "err", err, "attempt", attempt)
		m.redial(attempt + 1)
		return
	case err != nil:
		m.starting = false
		m.log.Warn("realtime reconnect failed; ending the session", "err", err, "attempt", attempt)
		m.status(errorCode(err), map[string]any{"error": err.Error()})
		m.disconnected(err)
	default:
		m.rt = next
		m.swap = hotSwap{started: time.Now()}
		m.log.Info("realtime connection rebuilt", "attempt", attempt)
		if next.gone.Load() {
			// It died before it was installed (its close was ignored then).
			m.starting = false
			m.rtClosed(next, next.goneErr)
			return
		}
	}
	m.starting = false
	pending := m.pending
	m.pending = nil
	for _, msg := range pending {
		m.streamData(msg)
	}
}

// droppedConnection reports whether err is a lost connection rather than
// the provider closing the session on purpose: no close frame at all (1006,
// EOF, reset, timeout) or a close that asks to come back (going away,
// service restart, try again later).
func droppedConnection(err error) bool {
	if err == nil {
		return false
	}
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		return true
	}
	switch ce.Code {
	case websocket.CloseAbnormalClosure, websocket.CloseGoingAway, websocket.CloseServiceRestart, websocket.CloseTryAgainLater:
		return true
	}
	return false
}

// disconnected ends a voice session whose provider is gone; input that
// waited for a new connection is dropped (it must not start a new session).
func (m *Manager) disconnected(err error) {
	m.pending = nil
	m.status("CHARACTER_DISCONNECTED", map[string]any{"error": errString(err)})
	m.toClient(map[string]any{"type": "session_ended_by_server", "input_mode": ModeAudio})
	m.endSession(true)
}

// stripTags removes <...> emotion tags from realtime text.
func stripTags(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '<':
			depth++
		case r == '>' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// errorCode maps an error to a status code of reference §5.3.
func errorCode(err error) string {
	var le *llm.Error
	if errors.As(err, &le) && le.Code != "" {
		return le.Code
	}
	if c := llm.ErrorCode(err); c != "" {
		return c
	}
	return "SESSION_START_FAILED"
}
