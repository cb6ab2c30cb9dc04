package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zeromq/zmq4"
)

// AgentSide is the agent server's end: it connects SUB (session events),
// PUSH (events to main) and PULL (analyze requests). zmq4 never reconnects by
// itself, so a supervisor recreates all three sockets whenever main's
// heartbeats stop or a send fails.
type AgentSide struct {
	cfg Config
	log *slog.Logger

	analyze chan Event
	session chan Event

	mu   sync.Mutex
	push zmq4.Socket

	seen      *idSet
	lastSub   atomic.Int64
	lastPull  atomic.Int64
	beatSub   atomic.Bool // a heartbeat arrived on SUB in this generation
	beatPull  atomic.Bool
	sendFail  atomic.Bool
	connected atomic.Bool
	recreates atomic.Int64
	seq       atomic.Uint64
	onConnect atomic.Pointer[func()]

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewAgentSide prepares the agent end.
func NewAgentSide(cfg Config, log *slog.Logger) *AgentSide {
	return &AgentSide{cfg: cfg.withDefaults(), log: discardIfNil(log).With("component", "bridge.agent"),
		analyze: make(chan Event, 64), session: make(chan Event, 64), seen: newIDSet(512)}
}

// Analyze delivers analyze requests, acknowledged and deduplicated by
// event_id. It is closed when the bridge stops.
func (a *AgentSide) Analyze() <-chan Event { return a.analyze }

// Session delivers PUB/SUB session events. Closed when the bridge stops.
func (a *AgentSide) Session() <-chan Event { return a.session }

// Connected reports whether main's heartbeats arrive on both inbound sockets.
func (a *AgentSide) Connected() bool { return a.connected.Load() }

// OnConnect sets fn to run (on its own goroutine, which Close waits for) each time the link to
// main comes up: at first contact and after every reconnect, so the agent
// can announce its state to a main server that restarted, or that still
// holds what an earlier agent process said.
func (a *AgentSide) OnConnect(fn func()) { a.onConnect.Store(&fn) }

// Recreated counts socket rebuilds.
func (a *AgentSide) Recreated() int64 { return a.recreates.Load() }

// Start runs the supervisor; it returns at once (main may not be up yet:
// the sockets keep dialling until it is).
func (a *AgentSide) Start(ctx context.Context) {
	ctx, a.cancel = context.WithCancel(ctx)
	a.wg.Add(1)
	go a.supervise(ctx)
}

// Send pushes an event to main. A failed send triggers a reconnect; the
// event is retried once on the new sockets (up to ~1 s), so an event raised
// while the sockets are being rebuilt is not lost.
func (a *AgentSide) Send(ev Event) error {
	b, err := Encode(ev)
	if err != nil {
		return err
	}
	var last error
	deadline := time.Now().Add(time.Second)
	for attempt := 0; ; attempt++ {
		a.mu.Lock()
		s := a.push
		a.mu.Unlock()
		if s != nil {
			if last = s.Send(zmq4.NewMsg(b)); last == nil {
				return nil
			}
			a.sendFail.Store(true)
		} else {
			last = errors.New("not connected to the main server")
		}
		if attempt > 0 && time.Now().After(deadline) {
			return fmt.Errorf("bridge: send %s: %w", ev.EventType, last)
		}
		// Wait for the next generation of sockets.
		for time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			a.mu.Lock()
			next := a.push
			a.mu.Unlock()
			if next != nil && next != s {
				break
			}
		}
		if time.Now().After(deadline) && attempt > 0 {
			return fmt.Errorf("bridge: send %s: %w", ev.EventType, last)
		}
	}
}

// Close stops everything; the Analyze and Session channels are closed.
func (a *AgentSide) Close() error {
	if a.cancel != nil {
		a.cancel()
	}
	a.wg.Wait()
	return nil
}

// supervise owns one generation of sockets at a time.
func (a *AgentSide) supervise(ctx context.Context) {
	defer a.wg.Done()
	defer close(a.analyze)
	defer close(a.session)
	for gen := 0; ctx.Err() == nil; gen++ {
		if gen > 0 {
			a.recreates.Add(1)
		}
		a.runGeneration(ctx)
	}
}

func (a *AgentSide) runGeneration(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	opts := []zmq4.Option{zmq4.WithDialerRetry(50 * time.Millisecond), zmq4.WithDialerMaxRetries(-1),
		zmq4.WithDialerTimeout(time.Second), zmq4.WithTimeout(a.cfg.SendTimout)}
	sub := zmq4.NewSub(ctx, opts...)
	pull := zmq4.NewPull(ctx, opts...)
	push := zmq4.NewPush(ctx, opts...)
	defer func() {
		a.mu.Lock()
		a.push = nil
		a.mu.Unlock()
		a.connected.Store(false)
		sub.Close()
		pull.Close()
		push.Close()
	}()
	if err := sub.SetOption(zmq4.OptionSubscribe, ""); err != nil {
		a.log.Error("subscribe", "err", err)
		return
	}
	for _, d := range []struct {
		s    zmq4.Socket
		port int
	}{{push, a.cfg.AgentPort}, {pull, a.cfg.AnalyzePort}, {sub, a.cfg.SessionPort}} {
		if err := d.s.Dial(a.cfg.endpoint(d.port)); err != nil {
			if ctx.Err() == nil {
				a.log.Warn("dial failed", "port", d.port, "err", err)
				sleepCtx(ctx, 100*time.Millisecond)
			}
			return
		}
	}
	a.mu.Lock()
	a.push = push
	a.mu.Unlock()
	now := time.Now().UnixNano()
	a.lastSub.Store(now)
	a.lastPull.Store(now)
	a.beatSub.Store(false)
	a.beatPull.Store(false)
	a.sendFail.Store(false)

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.recvSub(ctx, sub) }()
	go func() { defer wg.Done(); a.recvPull(ctx, pull) }()
	a.watch(ctx, push)
	cancel()
	sub.Close()
	pull.Close()
	wg.Wait()
}

// watch sends heartbeats and returns when main's heartbeats stop or a send
// fails, so the caller recreates the sockets.
func (a *AgentSide) watch(ctx context.Context, push zmq4.Socket) {
	t := time.NewTicker(a.cfg.Heartbeat)
	defer t.Stop()
	for {
		now := time.Now()
		subOK := now.Sub(time.Unix(0, a.lastSub.Load())) < a.cfg.PeerTimout
		pullOK := now.Sub(time.Unix(0, a.lastPull.Load())) < a.cfg.PeerTimout
		status := ""
		if subOK && a.beatSub.Load() {
			status = "sub_ready"
		}
		b, _ := Encode(Event{EventType: TypeHeartbeat, InstanceID: a.cfg.InstanceID, Seq: a.seq.Add(1), Status: status})
		if err := push.Send(zmq4.NewMsg(b)); err != nil {
			a.sendFail.Store(true)
		}
		up := subOK && pullOK && a.beatSub.Load() && a.beatPull.Load()
		if !a.connected.Swap(up) && up {
			if fn := a.onConnect.Load(); fn != nil && *fn != nil {
				a.wg.Add(1) // Close waits for it (the supervisor holds wg above zero)
				go func() { defer a.wg.Done(); (*fn)() }()
			}
		}
		if !subOK || !pullOK || a.sendFail.Load() {
			a.log.Warn("main server unreachable; recreating sockets", "sub_ok", subOK, "pull_ok", pullOK, "send_failed", a.sendFail.Load())
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (a *AgentSide) recvSub(ctx context.Context, sub zmq4.Socket) {
	for {
		msg, err := sub.Recv()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			continue // a dropped connection, not a closed socket
		}
		ev, err := Decode(msg.Bytes())
		if err != nil {
			a.log.Warn("dropped malformed session frame", "err", err)
			continue
		}
		a.lastSub.Store(time.Now().UnixNano())
		switch ev.EventType {
		case TypeHeartbeat:
			a.beatSub.Store(true)
		case TypeAnalyzeRequest:
			// The original's legacy path publishes analyze requests (no
			// ack): they join the acknowledged ones.
			if ev.EventID == "" || a.seen.add(ev.EventID) {
				a.offerAnalyze(ev)
			}
		default:
			// Never block here: this loop also reads main's heartbeats,
			// and a reader that stalls would make the link flap.
			select {
			case a.session <- ev:
			default:
				a.log.Debug("session event dropped: its queue is full", "type", ev.EventType)
			}
		}
	}
}

// offerAnalyze queues an analyze request, or drops it with a warning when
// the agent is that far behind (recvPull checks for room before it acks, so
// an acknowledged request is dropped only if a legacy one took the last
// slot in between).
func (a *AgentSide) offerAnalyze(ev Event) bool {
	select {
	case a.analyze <- ev:
		return true
	default:
		a.log.Warn("analyze request dropped: the agent is behind", "event_id", ev.EventID, "lanlan_name", ev.Name())
		return false
	}
}

func (a *AgentSide) recvPull(ctx context.Context, pull zmq4.Socket) {
	for {
		msg, err := pull.Recv()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			continue // a dropped connection, not a closed socket
		}
		ev, err := Decode(msg.Bytes())
		if err != nil {
			a.log.Warn("dropped malformed analyze frame", "err", err)
			continue
		}
		a.lastPull.Store(time.Now().UnixNano())
		a.beatPull.Store(true)
		if ev.EventType != TypeAnalyzeRequest {
			continue
		}
		// Ack every copy (the first ack may have been lost), deliver once.
		// With no room left the request is not acknowledged: main retries
		// once and then reports the agent busy, rather than this loop
		// stalling (it also reads main's heartbeats).
		if len(a.analyze) == cap(a.analyze) {
			a.log.Warn("analyze request not taken: the agent is behind", "event_id", ev.EventID)
			continue
		}
		_ = a.Send(Event{EventType: TypeAnalyzeAck, EventID: ev.EventID, LanlanName: ev.LanlanName})
		if ev.EventID != "" && !a.seen.add(ev.EventID) {
			continue
		}
		a.offerAnalyze(ev)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// idSet remembers the last n ids.
type idSet struct {
	mu   sync.Mutex
	ring []string
	pos  int
	set  map[string]struct{}
}

func newIDSet(n int) *idSet { return &idSet{ring: make([]string, n), set: map[string]struct{}{}} }

// add reports whether id is new.
func (s *idSet) add(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.set[id]; ok {
		return false
	}
	if old := s.ring[s.pos]; old != "" {
		delete(s.set, old)
	}
	s.ring[s.pos] = id
	s.pos = (s.pos + 1) % len(s.ring)
	s.set[id] = struct{}{}
	return true
}
