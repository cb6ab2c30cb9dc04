package bridge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zeromq/zmq4"
)

// ErrNoAck means the agent did not acknowledge an analyze request, even after
// the retry.
var ErrNoAck = errors.New("bridge: agent did not acknowledge the analyze request")

// MainSide is the main server's end: it binds PUB (session events), PULL
// (agent events) and PUSH (analyze requests).
type MainSide struct {
	cfg     Config
	log     *slog.Logger
	onEvent func(Event)
	evMu    sync.Mutex // onEvent runs from the receive and heartbeat loops, one call at a time

	mu      sync.Mutex
	pub     zmq4.Socket
	push    zmq4.Socket
	pull    zmq4.Socket
	waiters map[string]chan struct{}

	lastBeat  atomic.Int64 // unix nanos of the agent's last heartbeat
	lastSeq   uint64       // the agent's last heartbeat sequence number (receive loop only)
	subReady  atomic.Bool  // the agent reported its SUB receives our heartbeats
	agentUp   atomic.Bool
	seq       atomic.Uint64
	recreates atomic.Int64

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewMainSide prepares the main end; onEvent receives every agent event but
// heartbeats and acks, in order and one at a time, plus TypeAgentLost when
// the agent's heartbeats stop or a new agent process replaces the old one.
func NewMainSide(cfg Config, onEvent func(Event), log *slog.Logger) *MainSide {
	if onEvent == nil {
		onEvent = func(Event) {}
	}
	return &MainSide{cfg: cfg.withDefaults(), log: discardIfNil(log).With("component", "bridge.main"), onEvent: onEvent,
		waiters: map[string]chan struct{}{}}
}

// Start binds the three sockets (a busy port fails here) and starts the
// receive and heartbeat loops.
func (m *MainSide) Start(ctx context.Context) error {
	ctx, m.cancel = context.WithCancel(ctx)
	pull := zmq4.NewPull(ctx)
	if err := pull.Listen(m.cfg.endpoint(m.cfg.AgentPort)); err != nil {
		m.cancel()
		return fmt.Errorf("bridge: bind agent events port %d: %w", m.cfg.AgentPort, err)
	}
	m.pull = pull
	if err := m.bindOut(ctx); err != nil {
		pull.Close()
		m.cancel()
		return err
	}
	m.wg.Add(2)
	go m.recvLoop(ctx)
	go m.heartbeatLoop(ctx)
	return nil
}

// bindOut (re)creates the PUB and PUSH sockets, dropping connections to a
// dead agent that zmq4 would otherwise keep sending into.
func (m *MainSide) bindOut(ctx context.Context) error {
	pub := zmq4.NewPub(ctx, zmq4.WithTimeout(m.cfg.SendTimout))
	if err := pub.Listen(m.cfg.endpoint(m.cfg.SessionPort)); err != nil {
		return fmt.Errorf("bridge: bind session events port %d: %w", m.cfg.SessionPort, err)
	}
	push := zmq4.NewPush(ctx, zmq4.WithTimeout(m.cfg.SendTimout))
	if err := push.Listen(m.cfg.endpoint(m.cfg.AnalyzePort)); err != nil {
		pub.Close()
		return fmt.Errorf("bridge: bind analyze port %d: %w", m.cfg.AnalyzePort, err)
	}
	m.mu.Lock()
	oldPub, oldPush := m.pub, m.push
	m.pub, m.push = pub, push
	m.mu.Unlock()
	if oldPub != nil {
		oldPub.Close()
	}
	if oldPush != nil {
		oldPush.Close()
	}
	return nil
}

func (m *MainSide) rebindOut(ctx context.Context) {
	m.mu.Lock()
	if m.pub != nil {
		m.pub.Close()
		m.pub = nil
	}
	if m.push != nil {
		m.push.Close()
		m.push = nil
	}
	m.mu.Unlock()
	m.subReady.Store(false)
	for ctx.Err() == nil {
		if err := m.bindOut(ctx); err == nil {
			m.recreates.Add(1)
			return
		} else {
			m.log.Warn("rebind failed, retrying", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (m *MainSide) recvLoop(ctx context.Context) {
	defer m.wg.Done()
	for {
		msg, err := m.pull.Recv()
		if err != nil {
			// zmq4 surfaces a peer's disconnect as a Recv error; only a
			// closed socket ends the loop.
			if ctx.Err() != nil {
				return
			}
			continue
		}
		ev, err := Decode(msg.Bytes())
		if err != nil {
			m.log.Warn("dropped malformed agent frame", "err", err)
			continue
		}
		switch ev.EventType {
		case TypeHeartbeat:
			// A new agent process counts its heartbeats from 1 again; one
			// that restarted before its silence was noticed lost its tasks.
			restarted := m.lastSeq != 0 && ev.Seq != 0 && ev.Seq <= m.lastSeq && m.agentUp.Load()
			m.lastSeq = ev.Seq
			m.lastBeat.Store(time.Now().UnixNano())
			m.subReady.Store(ev.Status == "sub_ready")
			if restarted {
				m.log.Warn("agent restarted (heartbeat sequence reset)")
				m.emit(Event{EventType: TypeAgentLost, Status: AgentLostRestart,
					ErrorMessage: "the agent server restarted; its running tasks were interrupted"})
			}
		case TypeAnalyzeAck:
			m.mu.Lock()
			if ch, ok := m.waiters[ev.EventID]; ok {
				close(ch)
				delete(m.waiters, ev.EventID)
			}
			m.mu.Unlock()
		default:
			m.emit(ev)
		}
	}
}

func (m *MainSide) emit(ev Event) {
	m.evMu.Lock()
	defer m.evMu.Unlock()
	m.onEvent(ev)
}

func (m *MainSide) heartbeatLoop(ctx context.Context) {
	defer m.wg.Done()
	t := time.NewTicker(m.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		hb := Event{EventType: TypeHeartbeat, InstanceID: m.cfg.InstanceID, Seq: m.seq.Add(1)}
		_ = m.send(func() zmq4.Socket { return m.pub }, hb)
		_ = m.send(func() zmq4.Socket { return m.push }, hb)

		last := m.lastBeat.Load()
		alive := last != 0 && time.Since(time.Unix(0, last)) < m.cfg.PeerTimout
		was := m.agentUp.Swap(alive)
		switch {
		case was && !alive:
			// The agent is gone: rebuild the outgoing sockets so nothing is
			// queued into a connection of the dead process (zmq4 does not
			// notice by itself); the next agent dials fresh listeners.
			m.log.Warn("agent heartbeat lost; recreating sockets")
			m.emit(Event{EventType: TypeAgentLost, Status: AgentLostTimeout,
				ErrorMessage: fmt.Sprintf("the agent server stopped responding (no heartbeat for %v); its running tasks were interrupted", m.cfg.PeerTimout)})
			m.rebindOut(ctx)
		case !was && alive:
			m.log.Info("agent connected")
		}
	}
}

func (m *MainSide) send(sock func() zmq4.Socket, ev Event) error {
	b, err := Encode(ev)
	if err != nil {
		return err
	}
	m.mu.Lock()
	s := sock()
	m.mu.Unlock()
	if s == nil {
		return errors.New("bridge: socket is being recreated")
	}
	return s.Send(zmq4.NewMsg(b))
}

// Publish sends a session event to the agent (PUB/SUB; dropped when no
// agent listens, as PUB does).
func (m *MainSide) Publish(ev Event) error {
	return m.send(func() zmq4.Socket { return m.pub }, ev)
}

// Analyze sends an analyze request and waits for its ack; without an ack in
// AckTimeout it retries once with the same event_id. The agent drops the
// duplicate if the first one did arrive.
func (m *MainSide) Analyze(ctx context.Context, ev Event) (string, error) {
	ev.EventType = TypeAnalyzeRequest
	if ev.EventID == "" {
		ev.EventID = NewID()
	}
	if ev.Trigger == "" {
		ev.Trigger = TriggerTurnEnd
	}
	ch := make(chan struct{})
	m.mu.Lock()
	m.waiters[ev.EventID] = ch
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.waiters, ev.EventID)
		m.mu.Unlock()
	}()
	for attempt := 0; attempt < 2; attempt++ {
		if err := m.send(func() zmq4.Socket { return m.push }, ev); err != nil {
			m.log.Debug("analyze send failed", "attempt", attempt, "err", err)
		}
		t := time.NewTimer(m.cfg.AckTimeout)
		select {
		case <-ch:
			t.Stop()
			return ev.EventID, nil
		case <-ctx.Done():
			t.Stop()
			return ev.EventID, ctx.Err()
		case <-t.C:
		}
	}
	return ev.EventID, ErrNoAck
}

// AgentAlive reports whether the agent's heartbeats arrive.
func (m *MainSide) AgentAlive() bool { return m.agentUp.Load() }

// SessionReady reports whether the agent's SUB socket receives our PUB
// (the slow-joiner handshake is done).
func (m *MainSide) SessionReady() bool { return m.subReady.Load() && m.agentUp.Load() }

// Recreated counts how often the outgoing sockets were rebuilt.
func (m *MainSide) Recreated() int64 { return m.recreates.Load() }

// Close stops the loops and closes every socket.
func (m *MainSide) Close() error {
	if m.cancel == nil {
		return nil
	}
	m.cancel()
	m.mu.Lock()
	for _, s := range []zmq4.Socket{m.pub, m.push, m.pull} {
		if s != nil {
			s.Close()
		}
	}
	m.mu.Unlock()
	m.wg.Wait()
	return nil
}

// NewID returns a random hex id (uuid4-like, 32 hex digits).
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
