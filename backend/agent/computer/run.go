package computer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"runtime"
	"strings"
	"time"

	"neko/backend/agent/model"
)

type step struct {
	text string
	shot []byte
}

// Run carries out t. It returns an error when the task could not be carried
// out (declined, denied, bad model output, step cap, backend failure).
func (r *Runner) Run(ctx context.Context, t Task) (Result, error) {
	if t.Model == nil {
		return Result{}, errors.New("computer use: no vision model configured")
	}
	if r.opts.RequireApproval && t.Approve == nil && !r.opts.DryRun {
		return Result{}, errors.New("computer use: approval is required but nobody can approve")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	b, err := r.open(r.opts.Display)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer b.Close()
	res := Result{DryRun: r.opts.DryRun}
	r.audit.write(auditLine{TaskID: t.ID, Event: "start", Instruction: t.Instruction, DryRun: r.opts.DryRun, Approval: r.opts.RequireApproval})
	out, err := r.loop(ctx, t, b, &res)
	ev := auditLine{TaskID: t.ID, Event: "end", Step: res.Steps, Answer: out.Answer, Success: out.Success}
	if err != nil {
		ev.Error = err.Error()
	}
	r.audit.write(ev)
	return out, err
}

func (r *Runner) loop(ctx context.Context, t Task, b Backend, res *Result) (Result, error) {
	w, h := b.Size()
	var history []step
	platform := runtime.GOOS
	for n := 1; n <= r.opts.MaxSteps; n++ {
		if err := ctx.Err(); err != nil {
			return *res, err
		}
		res.Steps = n
		img, err := b.Screenshot()
		if err != nil {
			return *res, fmt.Errorf("screenshot: %w", err)
		}
		shot, err := encodeJPEG(img, r.opts.MaxWidth)
		if err != nil {
			return *res, err
		}
		shotFile := r.audit.shot(t.ID, n, shot)
		msgs := []model.Message{{Role: "system", Content: fmt.Sprintf(systemPrompt, platform)}}
		for i, s := range history {
			m := model.Message{Role: "assistant", Content: s.text}
			if i >= len(history)-r.opts.MaxImageHistory {
				msgs = append(msgs, model.Message{Role: "user", Content: "Screenshot before this step.", Images: [][]byte{s.shot}})
			}
			msgs = append(msgs, m)
		}
		msgs = append(msgs, model.Message{Role: "user", Content: fmt.Sprintf("# Task: %s\nStep %d of at most %d. Current screenshot (%dx%d):", t.Instruction, n, r.opts.MaxSteps, w, h), Images: [][]byte{shot}})
		var a Action
		if err := model.AskJSON(ctx, t.Model, model.Request{Messages: msgs, Temperature: 0, MaxTokens: 1000}, &a); err != nil {
			r.audit.write(auditLine{TaskID: t.ID, Step: n, Event: "model_error", Error: err.Error(), Screenshot: shotFile})
			return *res, fmt.Errorf("step %d: %w", n, err)
		}
		if err := a.validate(); err != nil {
			r.audit.write(auditLine{TaskID: t.ID, Step: n, Event: "bad_action", Action: &a, Error: err.Error(), Screenshot: shotFile})
			return *res, fmt.Errorf("step %d: the model chose an invalid action: %w", n, err)
		}
		switch a.Kind {
		case ActDone, ActFail:
			res.Success, res.Answer = a.Kind == ActDone, a.Answer
			r.audit.write(auditLine{TaskID: t.ID, Step: n, Event: "action", Action: &a, Decision: a.Kind, Screenshot: shotFile})
			if r.opts.DryRun && res.Success {
				res.Answer = "Dry run, nothing was done. Planned: " + strings.Join(res.Actions, "; ") + ". " + a.Answer
			}
			if !res.Success {
				return *res, fmt.Errorf("the agent gave up: %s", firstNonEmpty(a.Answer, "no reason given"))
			}
			return *res, nil
		}
		px, py := 0, 0
		if a.X != nil {
			px, py = toPixels(*a.X, w), toPixels(*a.Y, h)
		}
		desc := a.describe(px, py)
		if t.Progress != nil {
			t.Progress(n, r.opts.MaxSteps, desc)
		}
		decision, err := r.act(ctx, t, b, n, a, px, py, desc, shotFile)
		if err != nil {
			return *res, err
		}
		res.Actions = append(res.Actions, desc)
		history = append(history, step{text: fmt.Sprintf(`{"thought":%q,"action":%q} → %s`, a.Thought, desc, decision), shot: shot})
		if decision == "executed" {
			wait := r.opts.Settle
			if a.Kind == ActWait {
				wait = time.Duration(a.Seconds * float64(time.Second))
			}
			if !sleep(ctx, wait) {
				return *res, ctx.Err()
			}
		}
	}
	return *res, fmt.Errorf("step cap reached (%d steps) before the task was done", r.opts.MaxSteps)
}

// act applies the deny-list, dry-run and approval rules, then executes.
func (r *Runner) act(ctx context.Context, t Task, b Backend, n int, a Action, px, py int, desc, shotFile string) (string, error) {
	line := auditLine{TaskID: t.ID, Step: n, Event: "action", Action: &a, Pixel: &[2]int{px, py}, Description: desc, Screenshot: shotFile}
	if a.Kind != ActWait {
		var win Window
		var err error
		if a.pointer() {
			win, err = b.WindowAt(px, py)
		} else {
			win, err = b.Focused()
		}
		if err != nil {
			line.Decision, line.Error = "refused", err.Error()
			r.audit.write(line)
			return "", fmt.Errorf("step %d: cannot tell which window %s would reach: %w", n, desc, err)
		}
		line.Window = win.String()
		if d := r.denied(win); d != "" {
			line.Decision = "denied_window"
			r.audit.write(line)
			return "", fmt.Errorf("step %d: refused to %s: window %s is on the deny-list (%q)", n, desc, win, d)
		}
	}
	if r.opts.DryRun {
		line.Decision = "dry_run"
		r.audit.write(line)
		return "not executed (dry run)", nil
	}
	if r.opts.RequireApproval && a.Kind != ActWait {
		actx, cancel := context.WithTimeout(ctx, r.opts.ApprovalTimeout)
		ok, err := t.Approve(actx, Approval{TaskID: t.ID, Step: n, Action: a, Description: desc, Window: line.Window})
		cancel()
		if err != nil && ctx.Err() != nil {
			return "", ctx.Err()
		}
		if err != nil || !ok {
			line.Decision = "declined"
			if err != nil {
				line.Error = err.Error()
			}
			r.audit.write(line)
			return "", fmt.Errorf("step %d: the user did not approve: %s", n, desc)
		}
		line.Approved = true
	}
	var err error
	switch a.Kind {
	case ActClick:
		err = b.Click(px, py, 1, 1)
	case ActDoubleClick:
		err = b.Click(px, py, 1, 2)
	case ActRightClick:
		err = b.Click(px, py, 3, 1)
	case ActMove:
		err = b.Move(px, py)
	case ActScroll:
		err = b.Scroll(px, py, a.Amount)
	case ActType:
		err = b.Type(a.Text)
	case ActKey:
		err = b.Key(a.Keys)
	}
	line.Decision = "executed"
	if err != nil {
		line.Decision, line.Error = "failed", err.Error()
	}
	r.audit.write(line)
	if err != nil {
		return "", fmt.Errorf("step %d: %s: %w", n, desc, err)
	}
	return "executed", nil
}

func encodeJPEG(img image.Image, maxW int) ([]byte, error) {
	img = downscale(img, maxW)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 75}); err != nil {
		return nil, fmt.Errorf("encode screenshot: %w", err)
	}
	return buf.Bytes(), nil
}

// downscale shrinks img to at most maxW wide (nearest neighbour).
func downscale(img image.Image, maxW int) image.Image {
	bd := img.Bounds()
	if bd.Dx() <= maxW {
		return img
	}
	nw := maxW
	nh := bd.Dy() * maxW / bd.Dx()
	out := image.NewRGBA(image.Rect(0, 0, nw, nh))
	for y := 0; y < nh; y++ {
		sy := bd.Min.Y + y*bd.Dy()/nh
		for x := 0; x < nw; x++ {
			out.Set(x, y, img.At(bd.Min.X+x*bd.Dx()/nw, sy))
		}
	}
	return out
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func firstNonEmpty(a ...string) string {
	for _, s := range a {
		if s != "" {
			return s
		}
	}
	return ""
}
