package bridge

import (
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Config holds the three ports and the timing of the bridge. Zero values take
// the defaults of DefaultConfig.
type Config struct {
	Host        string // always loopback; default 127.0.0.1
	SessionPort int    // PUB/SUB, main → agent (48961)
	AgentPort   int    // PUSH/PULL, agent → main (48962)
	AnalyzePort int    // PUSH/PULL, main → agent (48963)
	InstanceID  string // sent in heartbeats

	Heartbeat  time.Duration // interval of heartbeats both ways (250 ms)
	PeerTimout time.Duration // a peer is lost after this long without a heartbeat (1 s)
	AckTimeout time.Duration // wait for analyze_ack before the one retry (500 ms)
	SendTimout time.Duration // a send that cannot be queued fails after this (200 ms)
}

// DefaultConfig is the original's ports and our timing.
func DefaultConfig() Config {
	return Config{Host: "127.0.0.1", SessionPort: 48961, AgentPort: 48962, AnalyzePort: 48963,
		Heartbeat: 250 * time.Millisecond, PeerTimout: time.Second, AckTimeout: 500 * time.Millisecond, SendTimout: 200 * time.Millisecond}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Host == "" {
		c.Host = d.Host
	}
	if c.SessionPort == 0 {
		c.SessionPort = d.SessionPort
	}
	if c.AgentPort == 0 {
		c.AgentPort = d.AgentPort
	}
	if c.AnalyzePort == 0 {
		c.AnalyzePort = d.AnalyzePort
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = d.Heartbeat
	}
	if c.PeerTimout <= 0 {
		c.PeerTimout = d.PeerTimout
	}
	if c.AckTimeout <= 0 {
		c.AckTimeout = d.AckTimeout
	}
	if c.SendTimout <= 0 {
		c.SendTimout = d.SendTimout
	}
	return c
}

// endpoint is a socket address on our frame-limited TCP transport.
func (c Config) endpoint(port int) string {
	registerTransport()
	return fmt.Sprintf("%s://%s:%d", transportName, c.Host, port)
}

func discardIfNil(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return l
}
