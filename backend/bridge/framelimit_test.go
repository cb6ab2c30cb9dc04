package bridge_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"testing"
	"time"

	"neko/backend/bridge"
)

// rawZMTPPush is what any local process can send to the main side's PULL
// port: a valid ZMTP 3 greeting and READY, then a frame header announcing
// 2^62 bytes.
func rawZMTPPush() []byte {
	var b bytes.Buffer
	b.Write([]byte{0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 3, 0})
	mech := make([]byte, 20)
	copy(mech, "NULL")
	b.Write(mech)
	b.WriteByte(0)            // as-server
	b.Write(make([]byte, 31)) // filler
	var ready bytes.Buffer
	ready.WriteByte(5)
	ready.WriteString("READY")
	ready.WriteByte(byte(len("Socket-Type")))
	ready.WriteString("Socket-Type")
	_ = binary.Write(&ready, binary.BigEndian, uint32(4))
	ready.WriteString("PUSH")
	b.Write([]byte{0x04, byte(ready.Len())})
	b.Write(ready.Bytes())
	b.Write([]byte{0x02, 0x40, 0, 0, 0, 0, 0, 0, 0})
	return b.Bytes()
}

// A hostile frame header on a bridge port costs that connection, not the
// app: the main side stays up and the real agent's events still arrive.
func TestHostileFrameHeaderDoesNotCrash(t *testing.T) {
	cfg := testConfig(t)
	got, onEvent := eventsOf(bridge.TypeTaskResult)
	_, a := startPair(t, cfg, onEvent)
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", cfg.AgentPort))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(rawZMTPPush()); err != nil {
			t.Fatal(err)
		}
		// The main side drops the connection.
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 256)
		for {
			if _, err := c.Read(buf); err != nil {
				break
			}
		}
		c.Close()
	}
	ok := true
	if err := a.Send(bridge.Event{EventType: bridge.TypeTaskResult, LanlanName: bridge.For("小天"), Text: "still here", Success: &ok}); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-got:
		if ev.Text != "still here" {
			t.Fatalf("event %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the agent's event did not arrive after the hostile connections")
	}
}

// An agent that does not keep up (nobody reads its session events, its
// analyze queue is full) keeps the link up: heartbeats are still read, and
// a request it cannot take is refused rather than acknowledged and lost.
func TestSlowAgentKeepsTheLinkUp(t *testing.T) {
	cfg := testConfig(t)
	lost, onEvent := eventsOf(bridge.TypeAgentLost)
	m, a := startPair(t, cfg, onEvent)
	for i := 0; i < 200; i++ {
		if err := m.Publish(bridge.Event{EventType: bridge.TypeSessionEvent, LanlanName: bridge.For("小天"), Text: "x"}); err != nil {
			t.Fatal(err)
		}
		if err := m.Publish(bridge.Event{EventType: bridge.TypeAnalyzeRequest, LanlanName: bridge.For("小天"), Trigger: "turn_end"}); err != nil {
			t.Fatal(err)
		}
	}
	// The analyze queue fills up with the legacy requests: the next one is
	// refused (no ack), not swallowed.
	waitFor(t, 5*time.Second, "analyze queue full", func() bool { return len(a.Analyze()) == cap(a.Analyze()) })
	if _, err := m.Analyze(context.Background(), bridge.Event{LanlanName: bridge.For("小天")}); err == nil {
		t.Fatal("a request the agent had no room for was acknowledged")
	}
	// Two peer timeouts later the link has not been declared lost.
	select {
	case ev := <-lost:
		t.Fatalf("link lost while the agent was slow: %+v", ev)
	case <-time.After(2 * cfg.PeerTimout):
	}
	if !m.AgentAlive() || !a.Connected() {
		t.Fatal("heartbeats stopped while the agent was slow")
	}
	// Once the agent catches up, requests are taken again.
	for len(a.Analyze()) > 0 {
		<-a.Analyze()
	}
	if _, err := m.Analyze(context.Background(), bridge.Event{LanlanName: bridge.For("小天")}); err != nil {
		t.Fatalf("after catching up: %v", err)
	}
}
