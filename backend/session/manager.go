package session

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"neko/backend/audio"
	"neko/backend/bridge"
	"neko/backend/tts"
)

// Input modes of a session.
const (
	ModeText  = "text"
	ModeAudio = "audio"
)

// Turn is one line of the conversation as the memory server stores it.
type Turn struct {
	Role string `json:"role"` // "user" or "assistant"
	Text string `json:"text"`
}

// Manager is one character's conversation. All of its state is owned by one
// goroutine (run); everything else talks to it by posting closures, so no
// turn, speech id or socket is ever changed by two goroutines at once.
type Manager struct {
	name string
	h    *Hub
	log  *slog.Logger
	cmds chan func()

	// Owned by run.
	conn             *conn
	mode             string // "" when no session
	starting         bool
	pending          []clientMsg // input received while a session starts
	text             *textSession
	rt               *realtimeSession
	cascade          *cascade // voice without a realtime model
	swap             hotSwap  // context renewal of long voice sessions
	speaking         bool     // her TTS audio of the last turn may still be playing
	speechID         string
	turnText         strings.Builder // the assistant text of the current turn
	session          []Turn          // the whole session, settled into memory at the end
	unsynced         []Turn          // turns since the last /cache
	replies          []string        // last assistant replies (repetition check)
	callbacks        []bridge.Event  // agent results waiting to be told
	pendingProactive string          // a proactive line waiting for its session
	worker           *tts.Worker
	workerStop       context.CancelFunc
	images           []string // screen frames waiting for the next text turn
	lang             string
	failures         int
	coolUntil        time.Time

	memq chan func(context.Context) // memory calls, run in order by memoryWorker
	// Owned by the memory worker: turns whose sync failed, re-sent first
	// with the next call so a memory server that was down or out of disk
	// loses nothing, and whether the page has been told.
	memRetry  []Turn
	memFailed bool
	active    atomic.Bool   // a session is running (any mode)
	voice     atomic.Bool   // a realtime voice session is running
	stop      chan struct{} // closed by Hub.Close
	done      chan struct{}
}

func newManager(h *Hub, name string) *Manager {
	m := &Manager{name: name, h: h, log: h.log.With("lanlan_name", name), cmds: make(chan func(), 1024),
		stop: make(chan struct{}), done: make(chan struct{}), speechID: bridge.NewID(), memq: make(chan func(context.Context), 256)}
	go m.run()
	h.background(m.memoryWorker)
	return m
}

func (m *Manager) run() {
	defer close(m.done)
	for {
		select {
		case <-m.stop:
			m.endSession(true)
			return
		case fn := <-m.cmds:
			fn()
		}
	}
}

// post runs fn on the manager's goroutine. It never blocks the caller for
// long: the queue is large, and a manager that stopped drops the call.
func (m *Manager) post(fn func()) {
	select {
	case m.cmds <- fn:
	case <-m.stop:
	}
}

// toClient sends a JSON message to the character's current socket.
func (m *Manager) toClient(v any) {
	if m.conn != nil {
		m.conn.send(v)
	}
}

func (m *Manager) status(code string, details map[string]any) {
	m.toClient(statusMessage(code, details))
}

// newSpeech starts a new assistant turn: the old speech id is interrupted at
// every sink (player, sockets, TTS) and the page is told first.
func (m *Manager) newSpeech() {
	old := m.speechID
	m.h.deps.Fanout.Interrupt(m.name, old)
	if m.worker != nil {
		m.worker.Interrupt()
	}
	m.toClient(map[string]any{"type": "user_activity", "interrupted_speech_id": old})
	m.speechID = bridge.NewID()
	m.turnText.Reset()
}

// startSession begins a session in mode; input that arrives meanwhile waits
// in m.pending.
func (m *Manager) startSession(mode string) {
	if m.starting {
		return
	}
	if time.Now().Before(m.coolUntil) {
		m.status("SESSION_START_FAILED", map[string]any{"retry_after_ms": time.Until(m.coolUntil).Milliseconds()})
		return
	}
	if m.mode != "" {
		m.endSession(true)
	}
	m.starting = true
	m.toClient(map[string]any{"type": "session_preparing", "input_mode": mode})
	lang := m.lang
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		prompt, warn := m.h.prompt(ctx, m.name, lang)
		var (
			ts  *textSession
			rt  *realtimeSession
			cs  *cascade
			err error
		)
		switch {
		case mode == ModeText:
			ts, err = m.h.newTextSession(prompt)
		case m.h.realtimeConfigured():
			rt, err = m.h.newRealtimeSession(ctx, m, prompt)
		default:
			// No realtime model: voice as a cascade of VAD, transcription,
			// chat and TTS.
			tr := m.h.transcriber()
			if tr == nil {
				err = errNoVoice
				break
			}
			if ts, err = m.h.newTextSession(prompt); err == nil {
				cs, err = newCascade(tr)
			}
		}
		m.post(func() { m.sessionReady(mode, ts, rt, cs, warn, err) })
	}()
}

func (m *Manager) sessionReady(mode string, ts *textSession, rt *realtimeSession, cs *cascade, warn string, err error) {
	m.starting = false
	if err != nil {
		m.failures++
		if m.failures >= 3 {
			m.coolUntil = time.Now().Add(3 * time.Second)
			m.failures = 0
		}
		m.log.Warn("session start failed", "mode", mode, "err", err)
		m.toClient(map[string]any{"type": "session_failed", "input_mode": mode})
		m.status(errorCode(err), map[string]any{"error": err.Error()})
		m.pending = nil
		return
	}
	m.failures = 0
	m.mode, m.text, m.rt, m.cascade = mode, ts, rt, cs
	m.swap = hotSwap{started: time.Now()}
	m.active.Store(true)
	m.voice.Store(mode == ModeAudio)
	m.session = nil
	if ts != nil {
		m.startTTS()
	}
	if warn != "" {
		m.status(warn, nil)
	}
	m.toClient(map[string]any{"type": "session_started", "input_mode": mode})
	pending := m.pending
	m.pending = nil
	for _, msg := range pending {
		m.streamData(msg)
	}
	if len(m.callbacks) > 0 && m.text != nil {
		m.deliverCallbacks()
	}
	if line := m.pendingProactive; line != "" && m.text != nil {
		m.pendingProactive = ""
		m.deliverProactive(line)
	}
}

// startTTS runs a TTS worker for this session when the app has a voice.
func (m *Manager) startTTS() {
	if m.worker != nil || m.h.deps.TTS == nil {
		return
	}
	eng, err := m.h.deps.TTS(m.name)
	if err != nil || eng == nil {
		if err != nil {
			m.log.Warn("no TTS engine", "err", err)
			m.status("TTS_CONNECTION_FAILED", map[string]any{"error": err.Error()})
		}
		return
	}
	w := tts.NewWorker(eng, tts.WorkerConfig{Logger: m.log})
	ctx, cancel := context.WithCancel(context.Background())
	m.worker, m.workerStop = w, cancel
	go func() { _ = w.Run(ctx); _ = eng.Close() }()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events():
				if !ok {
					return
				}
				m.post(func() { m.ttsEvent(w, ev) })
			}
		}
	}()
}

func (m *Manager) ttsEvent(w *tts.Worker, ev tts.Event) {
	if w != m.worker {
		return // a stopped worker's late event
	}
	switch ev.Kind {
	case tts.EventAudio:
		if ev.SpeechID != m.speechID {
			return // speech of an interrupted turn
		}
		if len(ev.OGG) > 0 {
			m.h.deps.Fanout.Ogg(m.name, ev.SpeechID, ev.OGG)
		} else if len(ev.PCM) > 0 {
			m.h.deps.Fanout.PCM(m.name, ev.SpeechID, audio.BytesToInt16LE(nil, ev.PCM))
		}
	case tts.EventError:
		m.log.Warn("tts error", "err", ev.Err)
		code := ev.Code
		if code == "" {
			code = "TTS_CONNECTION_FAILED"
		}
		m.status(code, map[string]any{"error": errString(ev.Err)})
	}
}

func (m *Manager) stopTTS() {
	if m.worker == nil {
		return
	}
	m.worker.Interrupt()
	m.workerStop()
	m.worker, m.workerStop = nil, nil
}

// endSession tears the session down and settles the whole session into the
// memory server (the original settled only the un-cached tail).
func (m *Manager) endSession(byServer bool) {
	if m.mode == "" && !m.starting {
		return
	}
	if m.text != nil {
		m.text.close()
	}
	if m.rt != nil {
		m.rt.close()
	}
	if m.swap.pending != nil {
		m.swap.pending.close()
	}
	m.swap = hotSwap{}
	m.stopTTS()
	m.h.deps.Fanout.Interrupt(m.name, m.speechID)
	m.text, m.rt, m.cascade, m.mode = nil, nil, nil, ""
	m.active.Store(false)
	m.voice.Store(false)
	m.syncTurns(true)
	if !byServer {
		m.status("CHARACTER_LEFT", nil)
	}
}

// syncTurns posts the turns since the last sync to memory: /cache after a
// turn; at a session end (or a hot-swap renewal) the tail goes with the
// settle, and the memory server summarises its whole open session — every
// cached turn — into the archive (the original settled only the tail, so its
// archive stayed empty). Calls go through one queue per character, in order.
func (m *Manager) syncTurns(settle bool) {
	mem := m.h.deps.Memory
	batch := m.unsynced
	m.unsynced = nil
	if settle {
		m.session = nil
	}
	if mem == nil || (!settle && len(batch) == 0) {
		return
	}
	call := func(ctx context.Context) {
		turns := append(m.memRetry, batch...)
		m.memRetry = nil
		var err error
		if settle {
			err = mem.Settle(ctx, m.name, turns)
		} else if len(turns) > 0 {
			err = mem.Cache(ctx, m.name, turns)
		}
		m.memorySynced(turns, err)
	}
	if !m.memoryCall(call) {
		// The worker is far behind (memory hangs): keep the turns for the
		// next sync rather than drop them.
		m.unsynced = append(batch, m.unsynced...)
	}
}

// maxMemoryRetry bounds the turns kept while memory keeps failing (about a
// day of steady chat); the oldest go first beyond it.
const maxMemoryRetry = 2000

// memorySynced records the outcome of a sync on the memory worker: failed
// turns are kept for the next call, and the page hears once when syncing
// starts failing and once when it works again.
func (m *Manager) memorySynced(turns []Turn, err error) {
	if err == nil {
		if m.memFailed {
			m.memFailed = false
			m.post(func() { m.status("MEMORY_SYNC_RESTORED", nil) })
		}
		return
	}
	if len(turns) > maxMemoryRetry {
		turns = turns[len(turns)-maxMemoryRetry:]
	}
	m.memRetry = turns
	m.log.Warn("memory sync failed; turns kept for the next sync", "turns", len(turns), "err", err)
	if !m.memFailed {
		m.memFailed = true
		n, reason := len(turns), err.Error()
		m.post(func() { m.status("MEMORY_SYNC_FAILED", map[string]any{"kept_turns": n, "error": reason}) })
	}
}

// memoryCall queues fn for this character's memory worker, which runs the
// calls one at a time in order (a cache is never overtaken by its settle).
func (m *Manager) memoryCall(fn func(ctx context.Context)) bool {
	select {
	case m.memq <- fn:
		return true
	default:
		m.log.Warn("memory queue full; the turns wait for the next sync")
		return false
	}
}

// memoryWorker runs queued memory calls until the manager has stopped and
// the queue is empty.
func (m *Manager) memoryWorker(ctx context.Context) {
	for {
		select {
		case fn := <-m.memq:
			fn(ctx)
		case <-m.done:
			for {
				select {
				case fn := <-m.memq:
					fn(ctx)
				default:
					return
				}
			}
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
