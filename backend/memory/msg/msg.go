// Package msg is the message model of the memory server and its two wire
// shapes: LangChain messages_to_dict entries (recent_<name>.json and the
// SQLite message column) and the sync connector's input_history.
package msg

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Roles as LangChain names them.
const (
	Human  = "human"
	AI     = "ai"
	System = "system"
)

// MemoPrefix starts the summary memo that heads recent memory ("memo of the
// previous conversation").
const MemoPrefix = "先前对话的备忘录: "

// Message is one chat message.
type Message struct {
	Role string // Human, AI or System
	Text string
	// ID is the SQLite row id of the archived original, 0 when unknown. It is
	// kept in LangChain's optional "id" field so recovery can tell which
	// archived turns the recent file already holds.
	ID int64
}

type part struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// lcData is LangChain's message "data" object.
type lcData struct {
	Content          json.RawMessage `json:"content"`
	AdditionalKwargs map[string]any  `json:"additional_kwargs"`
	ResponseMetadata map[string]any  `json:"response_metadata"`
	Type             string          `json:"type"`
	Name             *string         `json:"name"`
	ID               *string         `json:"id"`
	Example          *bool           `json:"example,omitempty"`
	ToolCalls        *[]any          `json:"tool_calls,omitempty"`
	InvalidToolCalls *[]any          `json:"invalid_tool_calls,omitempty"`
}

type lcMessage struct {
	Type string `json:"type"`
	Data lcData `json:"data"`
}

// MarshalJSON writes the LangChain messages_to_dict shape. Human and AI text
// is a list of text parts, system text a plain string, as the original does.
func (m Message) MarshalJSON() ([]byte, error) {
	role := m.Role
	if role != Human && role != AI {
		role = System
	}
	var content any = m.Text
	if role != System {
		content = []part{{Type: "text", Text: m.Text}}
	}
	c, err := json.Marshal(content)
	if err != nil {
		return nil, err
	}
	d := lcData{Content: c, AdditionalKwargs: map[string]any{}, ResponseMetadata: map[string]any{}, Type: role}
	if m.ID > 0 {
		id := fmt.Sprint(m.ID)
		d.ID = &id
	}
	if role != System {
		f := false
		d.Example = &f
	}
	if role == AI {
		empty := []any{}
		empty2 := []any{}
		d.ToolCalls, d.InvalidToolCalls = &empty, &empty2
	}
	b, err := json.Marshal(lcMessage{Type: role, Data: d})
	if err != nil {
		return nil, err
	}
	if role == AI { // usage_metadata is null in the original; omitempty drops nil pointers
		b = append(b[:len(b)-2], []byte(`,"usage_metadata":null}}`)...)
	}
	return b, nil
}

// UnmarshalJSON reads one messages_to_dict entry.
func (m *Message) UnmarshalJSON(b []byte) error {
	var lm struct {
		Type string `json:"type"`
		Data struct {
			Content json.RawMessage `json:"content"`
			ID      json.RawMessage `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &lm); err != nil {
		return err
	}
	role, err := normalizeRole(lm.Type)
	if err != nil {
		return err
	}
	text, err := ContentText(lm.Data.Content)
	if err != nil {
		return err
	}
	*m = Message{Role: role, Text: text}
	var id string
	if json.Unmarshal(lm.Data.ID, &id) == nil {
		if n, err := strconv.ParseInt(id, 10, 64); err == nil && n > 0 {
			m.ID = n
		}
	}
	return nil
}

func normalizeRole(r string) (string, error) {
	switch strings.ToLower(r) {
	case "human", "user", "humanmessage":
		return Human, nil
	case "ai", "assistant", "aimessage":
		return AI, nil
	case "system", "systemmessage":
		return System, nil
	}
	return "", fmt.Errorf("unknown message role %q", r)
}

// ContentText flattens a content value: a string, or a list of parts whose
// text fields are joined.
func ContentText(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", errors.New("content must be a string or a list of parts")
	}
	var sb strings.Builder
	for _, p := range parts {
		var t part
		if json.Unmarshal(p, &t) == nil && t.Text != "" {
			sb.WriteString(t.Text)
			continue
		}
		if json.Unmarshal(p, &s) == nil {
			sb.WriteString(s)
		}
	}
	return sb.String(), nil
}

// ParseList reads a JSON array of messages_to_dict entries.
func ParseList(b []byte) ([]Message, error) {
	var out []Message
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// ParseInputHistory reads the sync connector's input_history value: a JSON
// string (or, leniently, an array) of [{role:"user"|"assistant"|"system",
// content: string | [{type:"text",text}]}].
func ParseInputHistory(raw json.RawMessage) ([]Message, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, errors.New("input_history is required")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = json.RawMessage(s)
	}
	var items []struct {
		Role    string          `json:"role"`
		Type    string          `json:"type"`
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("input_history must be a JSON list of messages: %w", err)
	}
	out := make([]Message, 0, len(items))
	for i, it := range items {
		r := it.Role
		if r == "" {
			r = it.Type
		}
		role, err := normalizeRole(r)
		if err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
		text, err := ContentText(it.Content)
		if err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
		out = append(out, Message{Role: role, Text: text})
	}
	return out, nil
}

// InputHistory encodes msgs as the sync connector does: a JSON string
// holding the list.
func InputHistory(msgs []Message) (string, error) {
	type item struct {
		Role    string `json:"role"`
		Content []part `json:"content"`
	}
	items := make([]item, len(msgs))
	for i, m := range msgs {
		r := "system"
		switch m.Role {
		case Human:
			r = "user"
		case AI:
			r = "assistant"
		}
		items[i] = item{Role: r, Content: []part{{Type: "text", Text: m.Text}}}
	}
	b, err := json.Marshal(items)
	return string(b), err
}
