package browser

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"neko/backend/agent/model"
)

// action is one step the model chose.
type action struct {
	Thought string  `json:"thought"`
	Kind    string  `json:"action"`
	URL     string  `json:"url"`
	ID      int     `json:"id"`
	Text    string  `json:"text"`
	Submit  bool    `json:"submit"`
	Pages   float64 `json:"pages"`
	Answer  string  `json:"answer"`
}

const systemPrompt = `You use a web browser for the user, one action per step.
Each step shows the page: its URL, title, the interactive elements as [id] lines, and its visible text.
Answer with JSON only, one action:
{"thought":"<short>","action":"navigate|click|type|select|scroll|extract|done|fail",
 "url":"<for navigate>","id":<element id for click/type/select/extract>,"text":"<for type, or the option for select>",
 "submit":<true to press Enter after typing>,"pages":<for scroll, e.g. 1 or -1>,"answer":"<for done/fail: the result or reason>"}
"extract" reads the text of an element (or the whole page with id 0) into your notes.
Finish with "done" and put the facts the user wanted in "answer". Never enter passwords or payment data.`

// Run carries out t in the session's tab.
func (b *Browser) Run(ctx context.Context, t Task) (Result, error) {
	if t.Model == nil {
		return Result{}, errors.New("browser use: no model configured")
	}
	tb, err := b.tabFor(t.SessionID)
	if err != nil {
		return Result{}, err
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	var res Result
	var history, notes []string
	for n := 1; n <= b.opts.MaxSteps; n++ {
		res.Steps = n
		if err := ctx.Err(); err != nil {
			return res, err
		}
		st, err := b.observe(ctx, tb)
		if err != nil {
			return res, b.fail(ctx, err)
		}
		res.URL = st.URL
		user := model.Message{Role: "user", Content: describe(t.Instruction, st, history, notes, n, b.opts.MaxSteps)}
		if b.opts.Screenshots {
			if shot, err := b.screenshot(ctx, tb); err == nil {
				user.Images = [][]byte{shot}
			}
		}
		var a action
		if err := model.AskJSON(ctx, t.Model, model.Request{Temperature: 0, MaxTokens: 800,
			Messages: []model.Message{{Role: "system", Content: systemPrompt}, user}}, &a); err != nil {
			return res, fmt.Errorf("step %d: %w", n, err)
		}
		a.Kind = strings.ToLower(strings.TrimSpace(a.Kind))
		desc := a.describe()
		if t.Progress != nil && a.Kind != "done" && a.Kind != "fail" {
			t.Progress(n, b.opts.MaxSteps, desc)
		}
		var outcome string
		switch a.Kind {
		case "done":
			res.Success, res.Answer = true, a.Answer
			return res, nil
		case "fail":
			res.Answer = a.Answer
			return res, fmt.Errorf("the browser agent gave up: %s", firstNonEmpty(a.Answer, "no reason given"))
		case "navigate":
			err = b.navigate(ctx, tb, a.URL)
			if err != nil {
				return res, b.fail(ctx, err)
			}
		case "click":
			err = b.click(ctx, tb, a.ID)
		case "type":
			err = b.typeInto(ctx, tb, a.ID, a.Text, a.Submit)
		case "select":
			err = b.selectOption(ctx, tb, a.ID, a.Text)
		case "scroll":
			err = b.scroll(ctx, tb, firstNonZero(a.Pages, 1))
		case "extract":
			var text string
			if text, err = b.extract(ctx, tb, a.ID); err == nil {
				notes = append(notes, clip(text, 3000))
				outcome = fmt.Sprintf("extracted %d characters into notes", len([]rune(text)))
			}
		default:
			return res, fmt.Errorf("step %d: the model chose an unknown action %q", n, a.Kind)
		}
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		if err != nil {
			outcome = "error: " + err.Error() // the model sees it and may recover
		} else if outcome == "" {
			outcome = "ok"
		}
		res.Actions = append(res.Actions, desc)
		history = append(history, fmt.Sprintf("%d. %s → %s", n, desc, outcome))
	}
	return res, fmt.Errorf("step cap reached (%d steps) before the task was done", b.opts.MaxSteps)
}

// fail classifies an error: a dead browser is reset so the next task starts
// a fresh one.
func (b *Browser) fail(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	b.mu.Lock()
	if b.root != nil && b.root.Err() != nil {
		b.resetLocked()
	}
	b.mu.Unlock()
	return err
}

func (a action) describe() string {
	switch a.Kind {
	case "navigate":
		return "open " + a.URL
	case "click", "extract":
		return fmt.Sprintf("%s [%d]", a.Kind, a.ID)
	case "type":
		return fmt.Sprintf("type %q into [%d]", clip(a.Text, 60), a.ID)
	case "select":
		return fmt.Sprintf("select %q in [%d]", a.Text, a.ID)
	case "scroll":
		return fmt.Sprintf("scroll %.1f pages", firstNonZero(a.Pages, 1))
	}
	return a.Kind
}

func describe(task string, st pageState, history, notes []string, n, max int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Task: %s\nStep %d of at most %d.\n\nURL: %s\nTitle: %s\n\nInteractive elements:\n", task, n, max, st.URL, st.Title)
	for _, e := range st.Elements {
		fmt.Fprintf(&b, "[%d] %s", e.ID, e.Tag)
		for _, kv := range [][2]string{{"type", e.Type}, {"name", e.Name}, {"label", e.Label}, {"placeholder", e.Placeholder}, {"text", e.Text}, {"href", e.Href}, {"options", e.Options}} {
			if kv[1] != "" {
				fmt.Fprintf(&b, " %s=%q", kv[0], kv[1])
			}
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "\nVisible text:\n%s\n", st.Text)
	if len(notes) > 0 {
		fmt.Fprintf(&b, "\nNotes (extracted):\n%s\n", strings.Join(notes, "\n---\n"))
	}
	if len(history) > 0 {
		fmt.Fprintf(&b, "\nDone so far:\n%s\n", strings.Join(history, "\n"))
	}
	return b.String()
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func firstNonEmpty(a ...string) string {
	for _, s := range a {
		if s != "" {
			return s
		}
	}
	return ""
}

func firstNonZero(a ...float64) float64 {
	for _, v := range a {
		if v != 0 {
			return v
		}
	}
	return 0
}
