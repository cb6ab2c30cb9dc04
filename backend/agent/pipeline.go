package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"neko/backend/agent/mcp"
	"neko/backend/agent/model"
	"neko/backend/bridge"
)

// handleAnalyze runs analyzer and planner for one turn and dispatches the
// resulting tasks.
func (s *Server) handleAnalyze(ctx context.Context, ev bridge.Event) {
	flags, analyzer := s.flagsSnapshot()
	if !analyzer || !(flags.MCP || flags.BrowserUse || flags.ComputerUse) {
		return
	}
	name := ev.Name()
	fp := fingerprint(ev.Messages)
	if fp == "" {
		return
	}
	s.mu.Lock()
	same := s.fingerprints[name] == fp
	s.fingerprints[name] = fp
	s.mu.Unlock()
	if same {
		return
	}
	sum := s.deps.Model(RoleSummary)
	if sum == nil {
		s.notify(name, "Agent assessment failed", ReasonSummaryNotConfigured)
		return
	}
	actx, cancel := context.WithTimeout(ctx, s.cfg.AnalyzeTimeout)
	defer cancel()
	lang := detectLanguage(ev.Messages)
	tasks, err := s.analyze(actx, sum, ev.Messages)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("analyzer failed", "lanlan", name, "err", err)
			s.notify(name, "Agent assessment failed", err.Error())
		}
		return
	}
	for _, desc := range tasks {
		p, err := s.plan(actx, sum, desc, flags)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("planner failed", "lanlan", name, "task", desc, "err", err)
			s.failTask(name, firstChannel(flags), desc, lang, "planning failed: "+err.Error())
			continue
		}
		if p.Method == "none" {
			continue
		}
		if _, dup, err := s.startPlan(name, desc, lang, p); err != nil {
			s.log.Warn("dispatch failed", "lanlan", name, "err", err)
		} else if dup != "" {
			s.log.Info("duplicate task skipped", "lanlan", name, "matched", dup)
		}
	}
}

func (s *Server) notify(name, text, reason string) {
	s.send(bridge.Event{EventType: bridge.TypeAgentNotification, LanlanName: bridge.For(name),
		Text: text, Source: "brain", Status: "error", ErrorMessage: reason})
}

// fingerprint hashes the users' lines of a turn ("" when there are none).
func fingerprint(msgs []bridge.Message) string {
	h := sha256.New()
	n := 0
	for _, m := range msgs {
		if m.Role == "user" && strings.TrimSpace(m.Content) != "" {
			h.Write([]byte(m.Content))
			h.Write([]byte{0})
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

const analyzerPrompt = `You are the task analyzer of a desktop companion app.
Read the conversation and find what the user is asking to be DONE right now on their computer or on the web
(calling a tool, looking something up on a website, filling a form, operating an app).
Ignore chit-chat, questions that can be answered from knowledge, and tasks already done.
Write each task as one self-contained instruction in the user's language.
Answer with JSON only: {"tasks":["<instruction>", ...],"reason":"<short>"}; use an empty list when there is nothing to do.`

type analysis struct {
	Tasks  []string `json:"tasks"`
	Reason string   `json:"reason"`
}

func (s *Server) analyze(ctx context.Context, m model.Model, msgs []bridge.Message) ([]string, error) {
	if len(msgs) > s.cfg.HistoryMessages {
		msgs = msgs[len(msgs)-s.cfg.HistoryMessages:]
	}
	var b strings.Builder
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "user" {
			fmt.Fprintf(&b, "LATEST_USER_REQUEST: %s\n\n", msgs[i].Content)
			break
		}
	}
	for _, m := range msgs {
		fmt.Fprintf(&b, "%s: %s\n", m.Role, m.Content)
	}
	var a analysis
	err := model.AskJSON(ctx, m, model.Request{Temperature: 0, MaxTokens: 500, Messages: []model.Message{
		{Role: "system", Content: analyzerPrompt}, {Role: "user", Content: b.String()}}}, &a)
	if err != nil {
		return nil, fmt.Errorf("analyzer: %w", err)
	}
	var out []string
	for _, t := range a.Tasks {
		if t = strings.TrimSpace(t); t != "" && len(out) < 3 {
			out = append(out, t)
		}
	}
	return out, nil
}

// Plan is the planner's decision for one task.
type Plan struct {
	Method      string    `json:"method"` // mcp | browser_use | computer_use | none
	Reason      string    `json:"reason"`
	Calls       []MCPCall `json:"calls"`
	Instruction string    `json:"instruction"`
}

// MCPCall is one tool call of a plan.
type MCPCall struct {
	Server    string         `json:"server"`
	Tool      string         `json:"tool"`
	Arguments map[string]any `json:"arguments"`
}

const plannerPrompt = `You are the planner of a desktop companion's agent. Choose how to do the task, in this order of preference:
1. "mcp": call the MCP tools listed below (give every call with its arguments, in order, matching each tool's input schema);
2. "browser_use": drive a web browser (only for websites, web search, web forms, downloads);
3. "computer_use": operate the desktop with mouse and keyboard;
4. "none": none of the available methods can do it.
Only use methods listed as available. Answer with JSON only:
{"method":"mcp|browser_use|computer_use|none","reason":"<short>","calls":[{"server":"","tool":"","arguments":{}}],"instruction":"<instruction for browser/computer use>"}`

func (s *Server) plan(ctx context.Context, m model.Model, desc string, flags Flags) (Plan, error) {
	var tools []mcp.Tool
	if flags.MCP {
		var errs map[string]error
		tools, errs = s.mcp.Tools(ctx)
		for name, err := range errs {
			s.log.Warn("mcp server unavailable for planning", "server", name, "err", err)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Task: %s\n\nAvailable methods:\n", desc)
	if len(tools) > 0 {
		b.WriteString("- mcp, with these tools:\n")
		for _, t := range tools {
			schema := string(t.InputSchema)
			if len(schema) > 600 {
				schema = schema[:600] + "…"
			}
			fmt.Fprintf(&b, "  * server=%q tool=%q: %s; input schema: %s\n", t.Server, t.Name, oneLine(t.Description), schema)
		}
	}
	if flags.BrowserUse {
		b.WriteString("- browser_use\n")
	}
	if flags.ComputerUse {
		b.WriteString("- computer_use\n")
	}
	var p Plan
	if err := model.AskJSON(ctx, m, model.Request{Temperature: 0, MaxTokens: 800, Messages: []model.Message{
		{Role: "system", Content: plannerPrompt}, {Role: "user", Content: b.String()}}}, &p); err != nil {
		return Plan{}, err
	}
	return p, s.checkPlan(&p, tools, flags)
}

var errPlan = errors.New("invalid plan")

func (s *Server) checkPlan(p *Plan, tools []mcp.Tool, flags Flags) error {
	p.Method = strings.ToLower(strings.TrimSpace(p.Method))
	switch p.Method {
	case "none":
		return nil
	case TypeMCP:
		if len(p.Calls) == 0 {
			return fmt.Errorf("%w: method mcp without calls", errPlan)
		}
		if len(p.Calls) > s.cfg.MaxMCPSteps {
			return fmt.Errorf("%w: %d tool calls (limit %d)", errPlan, len(p.Calls), s.cfg.MaxMCPSteps)
		}
		for _, c := range p.Calls {
			found := false
			for _, t := range tools {
				found = found || (t.Server == c.Server && t.Name == c.Tool)
			}
			if !found {
				return fmt.Errorf("%w: unknown tool %s/%s", errPlan, c.Server, c.Tool)
			}
		}
	case TypeBrowserUse, TypeComputerUse:
		if (p.Method == TypeBrowserUse && !flags.BrowserUse) || (p.Method == TypeComputerUse && !flags.ComputerUse) {
			return fmt.Errorf("%w: %s is switched off", errPlan, p.Method)
		}
	default:
		return fmt.Errorf("%w: unknown method %q", errPlan, p.Method)
	}
	return nil
}

func firstChannel(f Flags) string {
	switch {
	case f.MCP:
		return TypeMCP
	case f.BrowserUse:
		return TypeBrowserUse
	default:
		return TypeComputerUse
	}
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 200 {
		return string(r[:200]) + "…"
	}
	return s
}

// detectLanguage guesses the user's language from their last line: zh, ja,
// ko or en (the fallback summaries come in these).
func detectLanguage(msgs []bridge.Message) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role != "user" {
			continue
		}
		han := false
		for _, r := range msgs[i].Content {
			switch {
			case unicode.In(r, unicode.Hiragana, unicode.Katakana):
				return "ja"
			case unicode.Is(unicode.Hangul, r):
				return "ko"
			case unicode.Is(unicode.Han, r):
				han = true
			}
		}
		if han {
			return "zh"
		}
		return "en"
	}
	return "en"
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
