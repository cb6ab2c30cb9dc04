package services

import (
	"errors"
	"fmt"
	"net"
)

// plan is the outcome of the port strategy: listeners for the HTTP servers
// this process runs, ZeroMQ ports, and whether it attaches to a running neko.
type plan struct {
	Ports     Ports
	Listeners map[string]net.Listener
	Fallbacks map[string][2]int // service → {wanted, got}
	Attached  bool
	Existing  map[string]string // service → instance id of the neko found
}

func (p *plan) close() {
	for _, l := range p.Listeners {
		l.Close()
	}
}

// makePlan binds the HTTP ports this mode needs and checks the ZeroMQ ports.
// A busy port held by another neko means "already running" (or attach); a
// foreign one is an error naming the port unless fallback is allowed.
func makePlan(want Ports, mode string, allowFallback, attach bool) (*plan, error) {
	p := &plan{Ports: want, Listeners: map[string]net.Listener{}, Fallbacks: map[string][2]int{}, Existing: map[string]string{}}
	taken := map[int]bool{}
	type slot struct {
		name string
		port *int
		http bool
	}
	var slots []slot
	if mode == "" || mode == "memory" {
		slots = append(slots, slot{"memory", &p.Ports.Memory, true})
	}
	if mode == "" || mode == "agent" {
		slots = append(slots, slot{"agent", &p.Ports.Agent, true})
	}
	if mode == "" || mode == "main" {
		slots = append(slots, slot{"main", &p.Ports.Main, true},
			slot{"zmq_session_pub", &p.Ports.SessionPub, false}, slot{"zmq_agent_push", &p.Ports.AgentPush, false},
			slot{"zmq_analyze_push", &p.Ports.AnalyzePush, false})
	}
	var busyNeko []*AlreadyRunningError
	var foreign []*PortInUseError
	for _, s := range slots {
		l, err := listenLoopback(*s.port)
		if err == nil {
			*s.port = portOf(l)
			taken[*s.port] = true
			if s.http {
				p.Listeners[s.name] = l
			} else {
				l.Close() // zmq4 binds it itself
			}
			continue
		}
		if s.http {
			if fp, ok := probeHealth(*s.port); ok {
				busyNeko = append(busyNeko, &AlreadyRunningError{Service: s.name, Port: *s.port, InstanceID: fp.InstanceID})
				p.Existing[s.name] = fp.InstanceID
				continue
			}
		}
		if !allowFallback {
			foreign = append(foreign, &PortInUseError{Service: s.name, Port: *s.port})
			continue
		}
		l, ferr := fallbackPort(*s.port, taken)
		if ferr != nil {
			p.close()
			return nil, fmt.Errorf("port %d (%s): %w", *s.port, s.name, ferr)
		}
		got := portOf(l)
		p.Fallbacks[s.name] = [2]int{*s.port, got}
		*s.port, taken[got] = got, true
		if s.http {
			p.Listeners[s.name] = l
		} else {
			l.Close()
		}
	}
	switch {
	case len(busyNeko) > 0 && attach:
		// Another neko serves these ports: use it, start nothing here.
		p.close()
		p.Listeners, p.Attached = map[string]net.Listener{}, true
		return p, nil
	case len(busyNeko) > 0:
		p.close()
		return nil, busyNeko[0]
	case len(foreign) > 0:
		p.close()
		errs := make([]error, len(foreign))
		for i, f := range foreign {
			errs[i] = f
		}
		return nil, errors.Join(errs...)
	}
	return p, nil
}
