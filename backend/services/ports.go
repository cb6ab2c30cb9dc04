package services

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Ports are the loopback ports of one neko instance. 0 picks a free port
// (tests).
type Ports struct {
	Main        int `json:"main"`
	Memory      int `json:"memory"`
	Agent       int `json:"agent"`
	SessionPub  int `json:"zmq_session_pub"`
	AgentPush   int `json:"zmq_agent_push"`
	AnalyzePush int `json:"zmq_analyze_push"`
}

// DefaultPorts are the original's ports.
func DefaultPorts() Ports {
	return Ports{Main: 48911, Memory: 48912, Agent: 48915, SessionPub: 48961, AgentPush: 48962, AnalyzePush: 48963}
}

// envPorts maps the original's environment variables to the fields.
var envPorts = []struct {
	name string
	get  func(*Ports) *int
}{
	{"NEKO_MAIN_SERVER_PORT", func(p *Ports) *int { return &p.Main }},
	{"NEKO_MEMORY_SERVER_PORT", func(p *Ports) *int { return &p.Memory }},
	{"NEKO_TOOL_SERVER_PORT", func(p *Ports) *int { return &p.Agent }},
	{"NEKO_ZMQ_SESSION_PUB_PORT", func(p *Ports) *int { return &p.SessionPub }},
	{"NEKO_ZMQ_AGENT_PUSH_PORT", func(p *Ports) *int { return &p.AgentPush }},
	{"NEKO_ZMQ_ANALYZE_PUSH_PORT", func(p *Ports) *int { return &p.AnalyzePush }},
}

// ApplyEnv overrides ports from the environment (getenv is os.Getenv in
// production); MAIN_SERVER_PORT is accepted as the original's alias.
func (p Ports) ApplyEnv(getenv func(string) string) (Ports, error) {
	if v := getenv("MAIN_SERVER_PORT"); v != "" && getenv("NEKO_MAIN_SERVER_PORT") == "" {
		n, err := parsePort("MAIN_SERVER_PORT", v)
		if err != nil {
			return p, err
		}
		p.Main = n
	}
	for _, e := range envPorts {
		if v := getenv(e.name); v != "" {
			n, err := parsePort(e.name, v)
			if err != nil {
				return p, err
			}
			*e.get(&p) = n
		}
	}
	return p, nil
}

func parsePort(name, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%s=%q is not a port number (1-65535)", name, v)
	}
	return n, nil
}

// reserved are the original's ports a fallback must not take.
func reserved(p int) bool { return (p >= 48911 && p <= 48918) || (p >= 48961 && p <= 48963) }

// Fingerprint is what GET /health says.
type Fingerprint struct {
	App        string `json:"app"`
	Service    string `json:"service"`
	Status     string `json:"status"`
	InstanceID string `json:"instance_id"`
}

// probeHealth asks whatever listens on port for a neko fingerprint.
func probeHealth(port int) (Fingerprint, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/health", port), nil)
	c := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		return Fingerprint{}, false
	}
	defer resp.Body.Close()
	var fp Fingerprint
	if resp.StatusCode != 200 || json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 64<<10)).Decode(&fp) != nil {
		return Fingerprint{}, false
	}
	return fp, fp.App == "N.E.K.O"
}

// PortInUseError is a port held by a program that is not neko.
type PortInUseError struct {
	Service string
	Port    int
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("port %d (%s) is in use by another program; stop it, set %s, or start with --port-fallback",
		e.Port, e.Service, envName(e.Service))
}

// AlreadyRunningError is a port held by another neko.
type AlreadyRunningError struct {
	Service    string
	Port       int
	InstanceID string
}

func (e *AlreadyRunningError) Error() string {
	return fmt.Sprintf("neko is already running (%s server on port %d, instance %s); use --attach to use it", e.Service, e.Port, e.InstanceID)
}

func envName(service string) string {
	switch service {
	case "main":
		return "NEKO_MAIN_SERVER_PORT"
	case "memory":
		return "NEKO_MEMORY_SERVER_PORT"
	case "agent":
		return "NEKO_TOOL_SERVER_PORT"
	case "zmq_session_pub":
		return "NEKO_ZMQ_SESSION_PUB_PORT"
	case "zmq_agent_push":
		return "NEKO_ZMQ_AGENT_PUSH_PORT"
	}
	return "NEKO_ZMQ_ANALYZE_PUSH_PORT"
}

func listenLoopback(port int) (net.Listener, error) {
	return net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
}

// fallbackPort finds the nearest free port within +100 of want (skipping the
// reserved ones and those already taken by this plan), else one the OS picks.
func fallbackPort(want int, taken map[int]bool) (net.Listener, error) {
	for p := want + 1; p <= want+100 && p <= 65535; p++ {
		if reserved(p) || taken[p] {
			continue
		}
		if l, err := listenLoopback(p); err == nil {
			return l, nil
		}
	}
	l, err := listenLoopback(0)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("no free port near %d", want), err)
	}
	return l, nil
}

func portOf(l net.Listener) int { return l.Addr().(*net.TCPAddr).Port }
