package bridge

import (
	"encoding/json"
	"fmt"
)

// Event types carried on the three sockets (reference §10.2).
const (
	TypeAnalyzeRequest    = "analyze_request"
	TypeAnalyzeAck        = "analyze_ack"
	TypeAgentStatusUpdate = "agent_status_update"
	TypeTaskUpdate        = "task_update"
	TypeTaskResult        = "task_result"
	TypeAgentNotification = "agent_notification"
	TypeProactiveMessage  = "proactive_message"
	TypeHeartbeat         = "heartbeat"
	TypeSessionEvent      = "session_event"
	// TypeAgentLost is raised by MainSide itself (never sent on the wire)
	// when the agent stops sending heartbeats or comes back as a new
	// process: whatever it was running is gone. Status says which
	// (AgentLostTimeout or AgentLostRestart), ErrorMessage says it in words.
	TypeAgentLost          = "agent_lost"
	AgentLostTimeout       = "heartbeat_timeout"
	AgentLostRestart       = "restarted"
	TriggerTurnEnd         = "turn_end"
	TriggerSessionEnd      = "session_end"
	maxAnalyzeMessages     = 6
	maxSummaryRunes        = 500
	maxDetailRunes         = 1500
	maxErrorRunes          = 500
	taskResultTimestampFmt = "2006-01-02T15:04:05.000Z"
)

// Message is one conversation line inside an analyze request.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Task is the task object of a task_update (reference §10.2).
type Task struct {
	ID         string         `json:"id"`
	Status     string         `json:"status"`
	Type       string         `json:"type"`
	StartTime  string         `json:"start_time,omitempty"`
	EndTime    string         `json:"end_time,omitempty"`
	Params     map[string]any `json:"params,omitempty"`
	SessionID  string         `json:"session_id,omitempty"`
	LanlanName string         `json:"lanlan_name,omitempty"`
	Error      string         `json:"error,omitempty"`
	Progress   *float64       `json:"progress,omitempty"`
	Stage      string         `json:"stage,omitempty"`
	Message    string         `json:"message,omitempty"`
	Step       int            `json:"step,omitempty"`
	StepTotal  int            `json:"step_total,omitempty"`
}

// Event is the flat JSON object every socket carries. Which fields are set
// depends on EventType; the JSON shapes are the original's, so a Python
// N.E.K.O. agent or main server can sit on the other end.
type Event struct {
	EventType string `json:"event_type"`
	// LanlanName is the character; null on the wire when empty for events
	// that address every client.
	LanlanName *string `json:"lanlan_name"`

	// analyze_request / analyze_ack
	EventID        string    `json:"event_id,omitempty"`
	Trigger        string    `json:"trigger,omitempty"`
	Messages       []Message `json:"messages,omitempty"`
	ConversationID string    `json:"conversation_id,omitempty"`

	// agent_status_update
	Snapshot map[string]any `json:"snapshot,omitempty"`

	// task_update
	Task *Task `json:"task,omitempty"`

	// task_result / proactive_message / agent_notification
	Text         string `json:"text,omitempty"`
	TaskID       string `json:"task_id,omitempty"`
	Channel      string `json:"channel,omitempty"`
	Status       string `json:"status,omitempty"`
	Success      *bool  `json:"success,omitempty"`
	Summary      string `json:"summary,omitempty"`
	Detail       string `json:"detail,omitempty"`
	ErrorMessage string `json:"error_message,omitempty"`
	Timestamp    string `json:"timestamp,omitempty"`
	Source       string `json:"source,omitempty"`

	// heartbeat (ours): the sender's instance id and a sequence number.
	InstanceID string `json:"instance_id,omitempty"`
	Seq        uint64 `json:"seq,omitempty"`
}

// Name returns the character name, or "" when the event has none.
func (e *Event) Name() string {
	if e.LanlanName == nil {
		return ""
	}
	return *e.LanlanName
}

// For returns a pointer to name for LanlanName ("" gives nil: JSON null).
func For(name string) *string {
	if name == "" {
		return nil
	}
	return &name
}

// Encode marshals e after clamping the length-limited fields.
func Encode(e Event) ([]byte, error) {
	if e.EventType == "" {
		return nil, fmt.Errorf("bridge: event without event_type")
	}
	if len(e.Messages) > maxAnalyzeMessages {
		e.Messages = e.Messages[len(e.Messages)-maxAnalyzeMessages:]
	}
	e.Summary = clampRunes(e.Summary, maxSummaryRunes)
	e.Detail = clampRunes(e.Detail, maxDetailRunes)
	e.ErrorMessage = clampRunes(e.ErrorMessage, maxErrorRunes)
	return json.Marshal(e)
}

// Decode parses one frame; it rejects frames that are not a JSON object with
// an event_type.
func Decode(b []byte) (Event, error) {
	var e Event
	if err := json.Unmarshal(b, &e); err != nil {
		return Event{}, fmt.Errorf("bridge: malformed frame: %w", err)
	}
	if e.EventType == "" {
		return Event{}, fmt.Errorf("bridge: frame without event_type")
	}
	return e, nil
}

func clampRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
