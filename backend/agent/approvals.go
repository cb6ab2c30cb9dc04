package agent

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"neko/backend/agent/computer"
	"neko/backend/bridge"
)

// PendingApproval is a computer-use action waiting for the user.
type PendingApproval struct {
	ID         string `json:"id"`
	LanlanName string `json:"lanlan_name,omitempty"`
	computer.Approval
	answer chan bool
}

// Approvals holds the actions waiting for a yes or no.
type Approvals struct {
	mu      sync.Mutex
	pending map[string]*PendingApproval
}

// ErrNoSuchApproval is returned for an unknown or already answered id.
var ErrNoSuchApproval = errors.New("agent: no such pending approval")

// Pending lists the waiting actions, oldest task first.
func (a *Approvals) Pending() []PendingApproval {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]PendingApproval, 0, len(a.pending))
	for _, p := range a.pending {
		out = append(out, PendingApproval{ID: p.ID, LanlanName: p.LanlanName, Approval: p.Approval})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Answer delivers the user's decision.
func (a *Approvals) Answer(id string, approved bool) error {
	a.mu.Lock()
	p, ok := a.pending[id]
	if ok {
		delete(a.pending, id)
	}
	a.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %q", ErrNoSuchApproval, id)
	}
	p.answer <- approved
	return nil
}

func (a *Approvals) add(p *PendingApproval) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.pending == nil {
		a.pending = map[string]*PendingApproval{}
	}
	a.pending[p.ID] = p
}

func (a *Approvals) drop(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.pending, id)
}

// Approvals returns the pending-approval queue (for the conversation engine
// and the HTTP API).
func (s *Server) Approvals() *Approvals { return &s.approvals }

// approve asks the user about one action: through Deps.Approve when wired,
// otherwise by announcing it in a task_update and waiting for an answer.
func (s *Server) approve(ctx context.Context, name string, a computer.Approval) (bool, error) {
	if s.deps.Approve != nil {
		return s.deps.Approve(ctx, name, a)
	}
	p := &PendingApproval{ID: fmt.Sprintf("%s-%d", a.TaskID, a.Step), LanlanName: name, Approval: a, answer: make(chan bool, 1)}
	s.approvals.add(p)
	defer s.approvals.drop(p.ID)
	s.stage(a.TaskID, "awaiting_approval", a.Description+" → "+a.Window)
	select {
	case ok := <-p.answer:
		s.stage(a.TaskID, "running", a.Description)
		return ok, nil
	case <-ctx.Done():
		return false, fmt.Errorf("no answer: %w", ctx.Err())
	}
}

func (s *Server) stage(id, stage, msg string) {
	if t, ok := s.reg.update(id, func(e *entry) { e.task.Stage, e.task.Message = stage, msg }); ok && t.Status == StatusRunning {
		s.send(bridge.Event{EventType: bridge.TypeTaskUpdate, LanlanName: bridge.For(t.LanlanName), Task: &t})
	}
}
