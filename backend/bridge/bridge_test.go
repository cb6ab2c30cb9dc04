package bridge_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
	"go.uber.org/goleak"

	"neko/backend/bridge"
	"neko/backend/testutil/zmqleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, zmqleak.Ignore()...)
}

func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var out []int
	var ls []net.Listener
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

func testConfig(t testing.TB) bridge.Config {
	p := freePorts(t, 3)
	return bridge.Config{SessionPort: p[0], AgentPort: p[1], AnalyzePort: p[2], InstanceID: "test",
		Heartbeat: 100 * time.Millisecond, PeerTimout: time.Second, AckTimeout: 500 * time.Millisecond}
}

func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// eventsOf returns a channel and an onEvent that forwards events of typ to it.
func eventsOf(typ string) (chan bridge.Event, func(bridge.Event)) {
	ch := make(chan bridge.Event, 8)
	return ch, func(ev bridge.Event) {
		if ev.EventType == typ {
			ch <- ev
		}
	}
}

func startPair(t testing.TB, cfg bridge.Config, onEvent func(bridge.Event)) (*bridge.MainSide, *bridge.AgentSide) {
	t.Helper()
	m := bridge.NewMainSide(cfg, onEvent, nil)
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	a := bridge.NewAgentSide(cfg, nil)
	a.Start(context.Background())
	t.Cleanup(func() { a.Close() })
	waitFor(t, 5*time.Second, "bridge connected", func() bool { return m.SessionReady() && a.Connected() })
	return m, a
}

func TestAnalyzeAckDedupeAndEvents(t *testing.T) {
	cfg := testConfig(t)
	got := make(chan bridge.Event, 8)
	m, a := startPair(t, cfg, func(ev bridge.Event) { got <- ev })

	msgs := []bridge.Message{{Role: "user", Content: "帮我打开浏览器"}}
	id, err := m.Analyze(context.Background(), bridge.Event{LanlanName: bridge.For("小天"), Messages: msgs})
	if err != nil {
		t.Fatalf("analyze: %v", err)
	}
	select {
	case ev := <-a.Analyze():
		if ev.EventID != id || ev.Name() != "小天" || len(ev.Messages) != 1 || ev.Messages[0].Content != "帮我打开浏览器" || ev.Trigger != "turn_end" {
			t.Fatalf("unexpected request %+v", ev)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("analyze request not delivered")
	}
	// The same event_id again (a retry whose first copy arrived) is acked but
	// not delivered twice.
	if _, err := m.Analyze(context.Background(), bridge.Event{EventID: id, LanlanName: bridge.For("小天")}); err != nil {
		t.Fatalf("second analyze not acked: %v", err)
	}
	select {
	case ev := <-a.Analyze():
		t.Fatalf("duplicate delivered: %+v", ev)
	case <-time.After(200 * time.Millisecond):
	}

	// Agent → main events arrive in order; session events reach the agent.
	ok := true
	for i, typ := range []string{bridge.TypeTaskUpdate, bridge.TypeTaskResult} {
		ev := bridge.Event{EventType: typ, LanlanName: bridge.For("小天"), Text: "done", Success: &ok, Task: &bridge.Task{ID: "t1", Status: "completed"}}
		if err := a.Send(ev); err != nil {
			t.Fatal(err)
		}
		select {
		case ev := <-got:
			if ev.EventType != typ {
				t.Fatalf("event %d = %s, want %s", i, ev.EventType, typ)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("event %s not delivered", typ)
		}
	}
	if err := m.Publish(bridge.Event{EventType: bridge.TypeSessionEvent, LanlanName: bridge.For("小天"), Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-a.Session():
		if ev.Text != "hi" {
			t.Fatalf("session event %+v", ev)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("session event not delivered")
	}
}

// A raw agent that ignores the first copy of a request: the main side must
// retry once with the same event_id.
func TestAnalyzeRetriesOnceWithSameID(t *testing.T) {
	cfg := testConfig(t)
	m := bridge.NewMainSide(cfg, nil, nil)
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pull := zmq4.NewPull(ctx, zmq4.WithDialerRetry(20*time.Millisecond), zmq4.WithDialerMaxRetries(-1))
	push := zmq4.NewPush(ctx, zmq4.WithDialerRetry(20*time.Millisecond), zmq4.WithDialerMaxRetries(-1))
	defer pull.Close()
	defer push.Close()
	if err := pull.Dial("tcp://127.0.0.1:" + itoa(cfg.AnalyzePort)); err != nil {
		t.Fatal(err)
	}
	if err := push.Dial("tcp://127.0.0.1:" + itoa(cfg.AgentPort)); err != nil {
		t.Fatal(err)
	}
	ids := make(chan string, 4)
	go func() {
		n := 0
		for {
			msg, err := pull.Recv()
			if err != nil {
				return
			}
			ev, err := bridge.Decode(msg.Bytes())
			if err != nil || ev.EventType != bridge.TypeAnalyzeRequest {
				continue
			}
			ids <- ev.EventID
			n++
			if n == 2 {
				b, _ := bridge.Encode(bridge.Event{EventType: bridge.TypeAnalyzeAck, EventID: ev.EventID})
				_ = push.Send(zmq4.NewMsg(b))
			}
		}
	}()
	time.Sleep(100 * time.Millisecond) // let the raw peer's connections settle
	id, err := m.Analyze(context.Background(), bridge.Event{LanlanName: bridge.For("a")})
	if err != nil {
		t.Fatalf("analyze after retry: %v", err)
	}
	first, second := <-ids, <-ids
	if first != id || second != id {
		t.Fatalf("ids %s %s, want %s twice", first, second, id)
	}
	// With nobody acking at all, Analyze reports ErrNoAck after one retry.
	cancel()
	pull.Close()
	push.Close()
	if _, err := m.Analyze(context.Background(), bridge.Event{LanlanName: bridge.For("a")}); err != bridge.ErrNoAck {
		t.Fatalf("err = %v, want ErrNoAck", err)
	}
}

func itoa(n int) string {
	b := []byte{}
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// The agent side's sockets are recreated (as after an agent restart): the
// bridge works again within 2 s.
func TestRecoveryAfterAgentRestart(t *testing.T) {
	cfg := testConfig(t)
	m, a := startPair(t, cfg, nil)
	if _, err := m.Analyze(context.Background(), bridge.Event{LanlanName: bridge.For("a")}); err != nil {
		t.Fatal(err)
	}
	<-a.Analyze()
	a.Close()

	restarted := time.Now()
	a2 := bridge.NewAgentSide(cfg, nil)
	a2.Start(context.Background())
	defer a2.Close()
	go func() {
		for range a2.Analyze() {
		}
	}()
	deadline := restarted.Add(2 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := m.Analyze(ctx, bridge.Event{LanlanName: bridge.For("a")})
		cancel()
		if err == nil && m.SessionReady() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bridge not healed 2 s after the agent restart (last err %v, session ready %v)", err, m.SessionReady())
		}
	}
	t.Logf("healed in %v", time.Since(restarted))
}

func TestRoute(t *testing.T) {
	has := func(n string) bool { return n == "小天" }
	cases := []struct {
		ev   bridge.Event
		want bridge.Delivery
	}{
		{bridge.Event{EventType: bridge.TypeTaskResult, LanlanName: bridge.For("小天"), Text: "ok"}, bridge.ToOne},
		{bridge.Event{EventType: bridge.TypeTaskResult, LanlanName: bridge.For("other"), Text: "ok"}, bridge.Drop},
		{bridge.Event{EventType: bridge.TypeTaskResult, Text: "ok"}, bridge.Drop},
		{bridge.Event{EventType: bridge.TypeTaskResult, LanlanName: bridge.For("小天")}, bridge.Drop},
		{bridge.Event{EventType: bridge.TypeProactiveMessage, LanlanName: bridge.For("other"), Text: "x"}, bridge.Drop},
		{bridge.Event{EventType: bridge.TypeTaskUpdate, LanlanName: bridge.For("other")}, bridge.Broadcast},
		{bridge.Event{EventType: bridge.TypeTaskUpdate, LanlanName: bridge.For("小天")}, bridge.ToOne},
		{bridge.Event{EventType: bridge.TypeAgentStatusUpdate}, bridge.Broadcast},
		{bridge.Event{EventType: bridge.TypeAgentStatusUpdate, LanlanName: bridge.For("other")}, bridge.Drop},
		{bridge.Event{EventType: bridge.TypeAgentNotification, LanlanName: bridge.For("小天")}, bridge.ToOne},
	}
	for i, c := range cases {
		if got := bridge.Route(c.ev, has); got != c.want {
			t.Errorf("case %d (%s %q): got %v want %v", i, c.ev.EventType, c.ev.Name(), got, c.want)
		}
	}
}

func TestDecodeRejectsGarbage(t *testing.T) {
	for _, b := range []string{"", "[]", "{", `{"x":1}`, `{"event_type":5}`} {
		if _, err := bridge.Decode([]byte(b)); err == nil {
			t.Errorf("%q accepted", b)
		}
	}
	long := make([]rune, 2000)
	for i := range long {
		long[i] = '猫'
	}
	b, err := bridge.Encode(bridge.Event{EventType: bridge.TypeTaskResult, Summary: string(long)})
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := bridge.Decode(b)
	if n := len([]rune(ev.Summary)); n != 500 {
		t.Errorf("summary not clamped: %d", n)
	}
}

// The main side restarts (its sockets are recreated on the same ports): the
// agent notices the missing heartbeats, redials, and the bridge heals.
func TestRecoveryAfterMainRestart(t *testing.T) {
	cfg := testConfig(t)
	m, a := startPair(t, cfg, nil)
	go func() {
		for range a.Analyze() {
		}
	}()
	m.Close()
	m2 := bridge.NewMainSide(cfg, nil, nil)
	if err := m2.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	restarted := time.Now()
	waitFor(t, 3*time.Second, "healed", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := m2.Analyze(ctx, bridge.Event{LanlanName: bridge.For("a")})
		return err == nil && m2.SessionReady() && a.Connected()
	})
	t.Logf("healed in %v (agent socket generations: %d)", time.Since(restarted), a.Recreated())
}

// The agent side says when the link comes up, at first and again after main
// restarts, so the agent can tell a new main server its state.
func TestOnConnectAfterMainRestart(t *testing.T) {
	cfg := testConfig(t)
	got, onEvent := eventsOf(bridge.TypeAgentStatusUpdate)
	m := bridge.NewMainSide(cfg, onEvent, nil)
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	a := bridge.NewAgentSide(cfg, nil)
	var ups atomic.Int64
	a.OnConnect(func() {
		n := ups.Add(1)
		_ = a.Send(bridge.Event{EventType: bridge.TypeAgentStatusUpdate, Snapshot: map[string]any{"up": float64(n)}})
	})
	a.Start(context.Background())
	defer a.Close()
	go func() {
		for range a.Analyze() {
		}
	}()
	waitEvent := func(want float64) {
		t.Helper()
		select {
		case ev := <-got:
			if ev.Snapshot["up"] != want {
				t.Fatalf("status %v, want up=%v", ev.Snapshot, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no status announced for connection %v", want)
		}
	}
	waitEvent(1)
	m.Close()
	m2 := bridge.NewMainSide(cfg, onEvent, nil)
	if err := m2.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	waitEvent(2)
	if n := ups.Load(); n != 2 {
		t.Fatalf("OnConnect ran %d times for two connections", n)
	}
}

// The main side tells its owner when the agent is gone: once its heartbeats
// stop, and once more when a new agent process replaces it before the
// silence was noticed (its heartbeat sequence starts over).
func TestAgentLostOnSilenceAndOnRestart(t *testing.T) {
	cfg := testConfig(t)
	lost, onEvent := eventsOf(bridge.TypeAgentLost)
	m, a := startPair(t, cfg, onEvent)
	a.Close()
	select {
	case ev := <-lost:
		if ev.Status != bridge.AgentLostTimeout || ev.ErrorMessage == "" {
			t.Fatalf("lost event = %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no agent_lost after the agent's heartbeats stopped")
	}
	// A second agent process: it connects, runs for a while, and is
	// replaced by a third at once (no silence long enough to time out).
	a2 := bridge.NewAgentSide(cfg, nil)
	a2.Start(context.Background())
	waitFor(t, 5*time.Second, "second agent connected", func() bool { return m.SessionReady() && a2.Connected() })
	time.Sleep(3 * cfg.Heartbeat) // a few heartbeats, so its sequence is past 1
	a2.Close()
	a3 := bridge.NewAgentSide(cfg, nil)
	a3.Start(context.Background())
	defer a3.Close()
	select {
	case ev := <-lost:
		if ev.Status != bridge.AgentLostRestart && ev.Status != bridge.AgentLostTimeout {
			t.Fatalf("lost event = %+v", ev)
		}
		t.Logf("replacement noticed as %s", ev.Status)
	case <-time.After(5 * time.Second):
		t.Fatal("no agent_lost when a new agent replaced the old one")
	}
	waitFor(t, 5*time.Second, "third agent connected", func() bool { return m.SessionReady() && a3.Connected() })
}
