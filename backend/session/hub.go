package session

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"neko/backend/audio"
	"neko/backend/bridge"
	"neko/backend/config"
	"neko/backend/guard"
	"neko/backend/llm"
	"neko/backend/tts"
)

// Memory is what the engine needs of the memory server.
type Memory interface {
	// NewDialog is the memory context for a new session's prompt.
	NewDialog(ctx context.Context, name string) (string, error)
	// Cache stores the turns of a finished turn.
	Cache(ctx context.Context, name string, turns []Turn) error
	// Settle archives a whole session (at its end or a hot swap).
	Settle(ctx context.Context, name string, turns []Turn) error
}

// Deps are the engine's collaborators.
type Deps struct {
	Characters   func() *config.Characters
	Endpoint     func(role string) llm.RoleEndpoint
	Memory       Memory // nil: no memory server
	Analyze      func(ctx context.Context, ev bridge.Event) (string, error)
	AgentEnabled func() bool
	// AgentTasks lists name's queued and running agent tasks for the prompt
	// ("[Running] open the browser"); nil: none.
	AgentTasks func(ctx context.Context, name string) []string
	// TTS returns the engine that speaks for a character (nil, nil: silent).
	TTS    func(character string) (tts.Engine, error)
	Fanout *audio.Fanout
	// Transcriber is speech-to-text for voice without a realtime model
	// (nil: none).
	Transcriber  func() llm.Transcriber
	TextGuardMax func() int
	// Desktop are the desktop tray's switches (nil: none): while the mic
	// is muted, mic audio from the pages is dropped unheard.
	Desktop DesktopControls
	// HotSwapAfter and HotSwapPrepare time the context renewal of long
	// voice sessions (0: 40 s and 10 s, as the original).
	HotSwapAfter, HotSwapPrepare time.Duration
	Language                     func() string
	Log                          *slog.Logger
}

// DesktopControls are the switches of the desktop shell the engine obeys.
type DesktopControls interface {
	MicMuted() bool
}

// Desktop returns the controls the hub was built with (nil: none), for the
// code that mounts their routes.
func (h *Hub) Desktop() DesktopControls { return h.deps.Desktop }

// Hub owns one Manager per character and serves /ws/{name}.
type Hub struct {
	deps        Deps
	log         *slog.Logger
	upgrader    websocket.Upgrader
	screenshots *screenshotWaiters

	mu       sync.Mutex
	managers map[string]*Manager
	closed   bool

	ctx    context.Context
	cancel context.CancelFunc
	bg     sync.WaitGroup
}

// Limits on client messages.
const (
	maxMessageBytes = 12 << 20 // a 1280×720 screen frame as a data URL fits easily
	messagesPerSec  = 300      // ~100 mic frames/s plus text and images
)

// NewHub makes the engine; it starts no goroutine until a client connects.
func NewHub(d Deps) *Hub {
	if d.Log == nil {
		d.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if d.Fanout == nil {
		d.Fanout = audio.NewFanout(audio.FanoutConfig{}, nil, d.Log)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Hub{deps: d, log: d.Log.With("component", "session"), managers: map[string]*Manager{}, ctx: ctx, cancel: cancel,
		screenshots: newScreenshotWaiters(),
		upgrader: websocket.Upgrader{ReadBufferSize: 16 << 10, WriteBufferSize: 16 << 10,
			// The guard middleware has already checked Host, Origin and token.
			CheckOrigin: func(*http.Request) bool { return true }}}
}

func (h *Hub) manager(name string) *Manager {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	m, ok := h.managers[name]
	if !ok {
		m = newManager(h, name)
		h.managers[name] = m
	}
	return m
}

func (h *Hub) existing(name string) *Manager {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.managers[name]
}

// background runs fn with the hub's context, tracked for Close.
func (h *Hub) background(fn func(ctx context.Context)) {
	h.bg.Add(1)
	go func() {
		defer h.bg.Done()
		fn(h.ctx)
	}()
}

// ServeHTTP upgrades /ws/{name}.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/ws/")
	chars := h.deps.Characters()
	ws, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	ws.SetReadLimit(maxMessageBytes)
	if _, ok := chars.Get(name); !ok {
		// Unknown character: point the page at a known one and close.
		next := chars.Current
		if next == "" && len(chars.List) > 0 {
			next = chars.List[0].Name
		}
		c := newConn(ws, bridge.NewID())
		c.send(map[string]any{"type": "catgirl_switched", "new_catgirl": next, "old_catgirl": name})
		time.AfterFunc(500*time.Millisecond, c.close)
		return
	}
	m := h.manager(name)
	if m == nil {
		ws.Close()
		return
	}
	c := newConn(ws, bridge.NewID())
	detach := h.deps.Fanout.Attach(name, c)
	m.post(func() {
		if m.conn != nil && m.conn != c {
			m.conn.send(statusMessage("CHARACTER_SWITCHING_TERMINAL", nil))
			old := m.conn
			time.AfterFunc(200*time.Millisecond, old.close)
		}
		m.conn = c
		if len(m.callbacks) > 0 && m.mode == "" {
			m.startSession(ModeText)
		}
	})
	h.readLoop(m, c)
	detach()
	c.close()
	m.post(func() {
		if m.conn == c {
			m.conn = nil
			m.endSession(true)
		}
	})
}

func (h *Hub) readLoop(m *Manager, c *conn) {
	bucket := guard.NewBucket(messagesPerSec, messagesPerSec*2)
	throttled := false
	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if !bucket.Allow() {
			if !throttled {
				c.send(statusMessage("SERVER_BUSY_THROTTLE", map[string]any{"limit_per_second": messagesPerSec}))
				throttled = true
			}
			continue
		}
		throttled = false
		msg, err := decodeClientMsg(typ, data)
		if err != nil {
			c.send(statusMessage("UNKNOWN_ACTION", map[string]any{"error": err.Error()}))
			continue
		}
		m.post(func() { m.handle(c, msg) })
	}
}

// prompt builds the session prompt with the memory context. A memory server
// that does not answer is reported, and she talks without her memories
// rather than not at all.
func (h *Hub) prompt(ctx context.Context, name, lang string) (string, string) {
	chars := h.deps.Characters()
	ch, _ := chars.Get(name)
	if lang == "" && h.deps.Language != nil {
		lang = h.deps.Language()
	}
	p := promptParts{Lang: lang, Name: name, Master: chars.MasterName(), AgentEnabled: h.deps.AgentEnabled != nil && h.deps.AgentEnabled()}
	if ch != nil {
		p.Persona = ch.Reserved.SystemPrompt
	}
	if p.AgentEnabled && h.deps.AgentTasks != nil {
		tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		p.AgentTasks = h.deps.AgentTasks(tctx, name)
		cancel()
	}
	warn := ""
	if h.deps.Memory != nil {
		mctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		text, err := h.deps.Memory.NewDialog(mctx, name)
		cancel()
		if err != nil {
			h.log.Warn("memory server unavailable for the prompt", "lanlan_name", name, "err", err)
			warn = "MEMORY_SERVER_NOT_RUNNING"
		}
		p.Memory = text
	}
	return buildPrompt(p), warn
}

func (h *Hub) realtimeConfigured() bool {
	ep := h.deps.Endpoint(llm.RoleRealtime)
	return ep.BaseURL != "" && ep.Model != ""
}

func (h *Hub) transcriber() llm.Transcriber {
	if h.deps.Transcriber == nil {
		return nil
	}
	return h.deps.Transcriber()
}

var errNoVoice = &llm.Error{Code: "LLM_CONNECTION_FAILED", Message: "voice needs a realtime model, or a chat model plus speech recognition"}

func (h *Hub) masterName() string { return h.deps.Characters().MasterName() }

func (h *Hub) newTextSession(prompt string) (*textSession, error) {
	ep := h.deps.Endpoint(llm.RoleConversation)
	if ep.BaseURL == "" || ep.Model == "" {
		return nil, &llm.Error{Code: llm.CodeKeyRejected, Message: "no conversation model is configured"}
	}
	ts := &textSession{chat: llm.NewChatClient(ep.Endpoint), history: []llm.Message{{Role: "system", Content: prompt}}}
	if v := h.deps.Endpoint(llm.RoleVision); v.BaseURL != "" && v.Model != "" {
		ts.vision = llm.NewChatClient(v.Endpoint)
	}
	if h.deps.TextGuardMax != nil {
		ts.maxLen = h.deps.TextGuardMax()
	}
	return ts, nil
}

// Active reports whether name is in a realtime voice session.
func (h *Hub) Active(name string) bool {
	if m := h.existing(name); m != nil {
		return m.voice.Load()
	}
	return false
}

// HasSession reports whether name has a connected page (agent results are
// delivered only then).
func (h *Hub) HasSession(name string) bool {
	m := h.existing(name)
	if m == nil {
		return false
	}
	ok := make(chan bool, 1)
	m.post(func() { ok <- m.conn != nil })
	select {
	case v := <-ok:
		return v
	case <-time.After(time.Second):
		return false
	}
}

// Send delivers a JSON message to name's socket ("" = every socket).
func (h *Hub) Send(name string, msg any) {
	for _, m := range h.targets(name) {
		m.post(func() { m.toClient(msg) })
	}
}

// End ends name's session ("" = every session).
func (h *Hub) End(name string, byServer bool) {
	for _, m := range h.targets(name) {
		m.post(func() { m.endSession(byServer) })
	}
}

func (h *Hub) targets(name string) []*Manager {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*Manager
	for n, m := range h.managers {
		if name == "" || n == name {
			out = append(out, m)
		}
	}
	return out
}

// AgentEvent delivers an event from the agent, already routed by
// bridge.Route.
func (h *Hub) AgentEvent(d bridge.Delivery, ev bridge.Event) {
	var msg map[string]any
	switch ev.EventType {
	case bridge.TypeAgentStatusUpdate:
		msg = map[string]any{"type": "agent_status_update", "snapshot": ev.Snapshot}
	case bridge.TypeTaskUpdate:
		msg = map[string]any{"type": "agent_task_update", "task": ev.Task}
	case bridge.TypeAgentNotification:
		msg = map[string]any{"type": "agent_notification", "text": ev.Text, "source": ev.Source, "status": ev.Status}
		if ev.ErrorMessage != "" {
			msg["error_message"] = ev.ErrorMessage
		}
	case bridge.TypeTaskResult, bridge.TypeProactiveMessage:
		if m := h.existing(ev.Name()); m != nil && d == bridge.ToOne {
			m.post(func() { m.agentResult(ev) })
		}
		return
	default:
		return
	}
	switch d {
	case bridge.ToOne:
		h.Send(ev.Name(), msg)
	case bridge.Broadcast:
		h.Send("", msg)
	}
}

// Close ends every session, settles memory, and waits for background work.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return // closed already: a second Close is a no-op
	}
	h.closed = true
	ms := make([]*Manager, 0, len(h.managers))
	for _, m := range h.managers {
		ms = append(ms, m)
	}
	h.mu.Unlock()
	for _, m := range ms {
		close(m.stop)
		<-m.done
		if m.conn != nil {
			m.conn.close()
		}
	}
	done := make(chan struct{})
	go func() { h.bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	h.cancel()
}
