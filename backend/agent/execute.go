package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"neko/backend/agent/browser"
	"neko/backend/agent/computer"
	"neko/backend/agent/model"
	"neko/backend/bridge"
)

// ErrDisabled is returned when a channel is switched off.
var ErrDisabled = errors.New("agent: channel is switched off")

// errClosed is returned when the server is shutting down.
var errClosed = errors.New("agent: server is closed")

type runFunc func(ctx context.Context, id string, progress Progress) (Outcome, error)

// job is one task about to be queued.
type job struct {
	kind, name, instruction, lang, sessionID string
	params                                   map[string]any
	run                                      runFunc
}

// startPlan turns a checked plan into a queued task.
func (s *Server) startPlan(name, desc, lang string, p Plan) (id, dup string, err error) {
	j := job{kind: p.Method, name: name, instruction: desc, lang: lang, params: map[string]any{"instruction": desc}}
	switch p.Method {
	case TypeMCP:
		calls := p.Calls
		j.params["calls"] = calls
		j.run = func(ctx context.Context, _ string, progress Progress) (Outcome, error) {
			return s.runMCP(ctx, calls, progress)
		}
	case TypeBrowserUse:
		instr := firstNonEmpty(p.Instruction, desc)
		j.instruction, j.params["instruction"] = instr, instr
		j.sessionID = name
		j.run = func(ctx context.Context, _ string, progress Progress) (Outcome, error) {
			return s.runBrowserTask(ctx, instr, name, progress)
		}
	case TypeComputerUse:
		instr := firstNonEmpty(p.Instruction, desc)
		j.instruction, j.params["instruction"] = instr, instr
		j.run = func(ctx context.Context, id string, progress Progress) (Outcome, error) {
			m := s.deps.Model(RoleAgent)
			if m == nil {
				return Outcome{}, errors.New(ReasonModelNotConfigured)
			}
			res, err := s.deps.Computer.Run(ctx, computer.Task{ID: id, Instruction: instr, Model: m, Progress: progress,
				Approve: func(ctx context.Context, a computer.Approval) (bool, error) { return s.approve(ctx, name, a) }})
			out := Outcome{Success: res.Success, Result: res.Answer, Steps: res.Steps}
			if out.Result == "" && len(res.Actions) > 0 {
				out.Result = "did: " + strings.Join(res.Actions, "; ")
			}
			return out, err
		}
	default:
		return "", "", fmt.Errorf("agent: nothing to run for method %q", p.Method)
	}
	return s.start(j)
}

func (s *Server) runBrowserTask(ctx context.Context, instr, session string, progress Progress) (Outcome, error) {
	m := s.deps.Model(RoleAgent)
	if m == nil {
		return Outcome{}, errors.New(ReasonModelNotConfigured)
	}
	res, err := s.deps.Browser.Run(ctx, browser.Task{Instruction: instr, SessionID: session, Model: m, Progress: progress})
	return Outcome{Success: res.Success, Result: res.Answer, Steps: res.Steps}, err
}

func (s *Server) runMCP(ctx context.Context, calls []MCPCall, progress Progress) (Outcome, error) {
	var parts []string
	for i, c := range calls {
		progress(i+1, len(calls), c.Server+"/"+c.Tool)
		res, err := s.mcp.Call(ctx, c.Server, c.Tool, c.Arguments)
		if err != nil {
			return Outcome{Result: strings.Join(parts, "\n"), Steps: i}, err
		}
		if res.IsError {
			return Outcome{Result: strings.Join(parts, "\n"), Steps: i + 1},
				fmt.Errorf("tool %s/%s reported an error: %s", c.Server, c.Tool, oneLine(res.Text))
		}
		parts = append(parts, res.Text)
	}
	return Outcome{Success: true, Result: strings.Join(parts, "\n"), Steps: len(calls)}, nil
}

func (s *Server) timeoutFor(kind string) time.Duration {
	switch kind {
	case TypeComputerUse:
		return s.cfg.ComputerTaskTimeout
	case TypeBrowserUse:
		return s.cfg.BrowserTaskTimeout
	}
	return s.cfg.MCPTaskTimeout
}

// start registers the job (unless it duplicates an active task) and runs it
// in the background; dup is the matching task's id on a duplicate.
func (s *Server) start(j job) (id, dup string, err error) {
	s.runMu.Lock()
	if s.closed || s.runCtx.Err() != nil {
		s.runMu.Unlock()
		return "", "", errClosed
	}
	ctx, cancel := context.WithCancel(s.runCtx)
	s.wg.Add(1)
	s.runMu.Unlock()

	t := bridge.Task{ID: newID(), Status: StatusQueued, Type: j.kind, StartTime: timestamp(s.now()),
		Params: j.params, SessionID: j.sessionID, LanlanName: j.name}
	if d, ok := s.reg.addUnlessDuplicate(t, j.instruction, cancel); !ok {
		cancel()
		s.wg.Done()
		return "", d, nil
	}
	s.taskUpdate(t)
	go func() {
		defer s.wg.Done()
		defer cancel()
		s.execute(ctx, t.ID, j)
	}()
	return t.ID, "", nil
}

func (s *Server) execute(ctx context.Context, id string, j job) {
	var slot chan struct{}
	switch j.kind {
	case TypeComputerUse:
		slot = s.computerSlot
	case TypeBrowserUse:
		slot = s.browserSlot
	}
	if slot != nil {
		select {
		case slot <- struct{}{}:
			defer func() { <-slot }()
		case <-ctx.Done():
			s.end(id, j, Outcome{}, ctx.Err(), false)
			return
		}
	}
	t, ok := s.reg.update(id, func(e *entry) {
		if e.active() {
			e.task.Status = StatusRunning
		}
	})
	if !ok || t.Status != StatusRunning {
		return
	}
	s.taskUpdate(t)
	timeout := s.timeoutFor(j.kind)
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	progress := func(step, total int, msg string) {
		if t, ok := s.reg.update(id, func(e *entry) {
			e.task.Step, e.task.StepTotal, e.task.Message, e.task.Stage = step, total, msg, "running"
		}); ok && t.Status == StatusRunning {
			s.taskUpdate(t)
		}
	}
	out, err := j.run(tctx, id, progress)
	timedOut := err != nil && ctx.Err() == nil && errors.Is(tctx.Err(), context.DeadlineExceeded)
	if timedOut {
		err = fmt.Errorf("timed out after %s: %w", timeout, err)
	}
	s.end(id, j, out, err, ctx.Err() != nil)
}

// end records the final status and reports the result.
func (s *Server) end(id string, j job, out Outcome, err error, cancelled bool) {
	status, errMsg := StatusCompleted, ""
	switch {
	case cancelled:
		status, errMsg = StatusCancelled, "cancelled"
	case err != nil:
		status, errMsg = StatusFailed, err.Error()
	case !out.Success:
		status, errMsg = StatusFailed, firstNonEmpty(out.Result, "the task did not finish")
	}
	t, changed := s.reg.finish(id, status, errMsg, out.Result)
	if !changed {
		return
	}
	s.taskUpdate(t)
	if status == StatusCancelled {
		return
	}
	s.report(id, j, status, out.Result, errMsg)
}

// failTask reports a task that failed before it could run (e.g. a bad plan).
func (s *Server) failTask(name, kind, desc, lang, reason string) {
	t := bridge.Task{ID: newID(), Status: StatusFailed, Type: kind, StartTime: timestamp(s.now()), EndTime: timestamp(s.now()),
		Params: map[string]any{"instruction": desc}, LanlanName: name, Error: reason}
	s.reg.addUnlessDuplicate(t, "\x00failed "+t.ID, nil)
	s.reg.update(t.ID, func(*entry) {})
	s.taskUpdate(t)
	s.report(t.ID, job{kind: kind, name: name, instruction: desc, lang: lang}, StatusFailed, "", reason)
}

func (s *Server) taskUpdate(t bridge.Task) {
	s.send(bridge.Event{EventType: bridge.TypeTaskUpdate, LanlanName: bridge.For(t.LanlanName), Task: &t})
}

// report sends task_result with a short summary in the user's language.
func (s *Server) report(id string, j job, status, detail, errMsg string) {
	ok := status == StatusCompleted
	summary := s.summarise(j, ok, detail, errMsg)
	s.send(bridge.Event{EventType: bridge.TypeTaskResult, LanlanName: bridge.For(j.name), Text: summary, TaskID: id,
		Channel: j.kind, Status: status, Success: &ok, Summary: summary, Detail: detail, ErrorMessage: errMsg,
		Timestamp: timestamp(s.now())})
}

const summaryPrompt = `Summarise the outcome of a task the assistant just did for the user, in ONE short sentence,
in the language given as "language" (zh = Chinese, ja = Japanese, ko = Korean, en = English).
State the concrete result (numbers, names, answers) when there is one. Answer with JSON only: {"summary":"..."}`

func (s *Server) summarise(j job, ok bool, detail, errMsg string) string {
	if m := s.deps.Model(RoleSummary); m != nil {
		ctx, cancel := context.WithTimeout(s.runCtx, 20*time.Second)
		defer cancel()
		in := map[string]any{"language": j.lang, "task": j.instruction, "succeeded": ok,
			"result": clip(detail, 1500), "error": clip(errMsg, 500)}
		var out struct {
			Summary string `json:"summary"`
		}
		err := model.AskJSON(ctx, m, model.Request{Temperature: 0, MaxTokens: 300, Messages: []model.Message{
			{Role: "system", Content: summaryPrompt}, {Role: "user", Content: mustJSON(in)}}}, &out)
		if err == nil && strings.TrimSpace(out.Summary) != "" {
			return clip(strings.TrimSpace(out.Summary), 500)
		}
		if err != nil {
			s.log.Debug("result summary fell back to template", "err", err)
		}
	}
	return clip(templateSummary(j.lang, j.instruction, ok, firstNonEmpty(detail, errMsg)), 500)
}

func templateSummary(lang, desc string, ok bool, detail string) string {
	detail = clip(oneLine(detail), 300)
	switch lang {
	case "zh":
		if ok {
			return fmt.Sprintf("你的任务“%s”已完成：%s", desc, detail)
		}
		return fmt.Sprintf("你的任务“%s”失败了：%s", desc, detail)
	case "ja":
		if ok {
			return fmt.Sprintf("タスク「%s」が完了しました：%s", desc, detail)
		}
		return fmt.Sprintf("タスク「%s」は失敗しました：%s", desc, detail)
	case "ko":
		if ok {
			return fmt.Sprintf("작업 \"%s\" 완료: %s", desc, detail)
		}
		return fmt.Sprintf("작업 \"%s\" 실패: %s", desc, detail)
	}
	if ok {
		return fmt.Sprintf("Your task \"%s\" is done: %s", desc, detail)
	}
	return fmt.Sprintf("Your task \"%s\" failed: %s", desc, detail)
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

func firstNonEmpty(a ...string) string {
	for _, s := range a {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}
