package computer

import (
	"fmt"
	"strings"
)

// Action kinds the model may choose.
const (
	ActClick       = "click"
	ActDoubleClick = "double_click"
	ActRightClick  = "right_click"
	ActMove        = "move"
	ActType        = "type"
	ActKey         = "key"
	ActScroll      = "scroll"
	ActWait        = "wait"
	ActDone        = "done"
	ActFail        = "fail"
)

// Action is one step the model chose. X and Y are in 0–999 of the screen.
type Action struct {
	Thought string  `json:"thought,omitempty"`
	Kind    string  `json:"action"`
	X       *int    `json:"x,omitempty"`
	Y       *int    `json:"y,omitempty"`
	Text    string  `json:"text,omitempty"`
	Keys    string  `json:"keys,omitempty"`
	Amount  int     `json:"amount,omitempty"`
	Seconds float64 `json:"seconds,omitempty"`
	Answer  string  `json:"answer,omitempty"`
}

func (a Action) pointer() bool {
	switch a.Kind {
	case ActClick, ActDoubleClick, ActRightClick, ActMove, ActScroll:
		return true
	}
	return false
}

// validate checks the action's arguments.
func (a *Action) validate() error {
	a.Kind = strings.ToLower(strings.TrimSpace(a.Kind))
	switch a.Kind {
	case ActClick, ActDoubleClick, ActRightClick, ActMove:
		if a.X == nil || a.Y == nil {
			return fmt.Errorf("%s needs x and y", a.Kind)
		}
	case ActScroll:
		if a.X == nil || a.Y == nil || a.Amount == 0 {
			return fmt.Errorf("scroll needs x, y and a non-zero amount")
		}
		if a.Amount > 20 || a.Amount < -20 {
			return fmt.Errorf("scroll amount %d out of range (-20..20)", a.Amount)
		}
	case ActType:
		if a.Text == "" {
			return fmt.Errorf("type needs text")
		}
		if len([]rune(a.Text)) > 2000 {
			return fmt.Errorf("type text too long")
		}
	case ActKey:
		if a.Keys == "" {
			return fmt.Errorf("key needs keys")
		}
	case ActWait:
		if a.Seconds <= 0 || a.Seconds > 30 {
			a.Seconds = min(max(a.Seconds, 0.5), 30)
		}
	case ActDone, ActFail:
	default:
		return fmt.Errorf("unknown action %q", a.Kind)
	}
	if a.X != nil && (*a.X < 0 || *a.X > 999) || a.Y != nil && (*a.Y < 0 || *a.Y > 999) {
		return fmt.Errorf("coordinates must be 0–999")
	}
	return nil
}

// toPixels maps 0–999 onto a w×h screen.
func toPixels(v, size int) int {
	if size <= 1 {
		return 0
	}
	return (v*(size-1) + 499) / 999
}

// describe is a one-line human description of the action.
func (a Action) describe(px, py int) string {
	switch a.Kind {
	case ActClick, ActDoubleClick, ActRightClick, ActMove:
		return fmt.Sprintf("%s at (%d, %d)", a.Kind, px, py)
	case ActScroll:
		return fmt.Sprintf("scroll %d at (%d, %d)", a.Amount, px, py)
	case ActType:
		return fmt.Sprintf("type %q", a.Text)
	case ActKey:
		return "press " + a.Keys
	case ActWait:
		return fmt.Sprintf("wait %.1fs", a.Seconds)
	}
	return a.Kind
}

const systemPrompt = `You operate a computer for the user, one action per step, by looking at screenshots.
Coordinates are integers from 0 to 999 across the screen (x left→right, y top→bottom), whatever its pixel size.
Answer each step with JSON only, one action:
{"thought":"<what you see and why>","action":"click|double_click|right_click|move|type|key|scroll|wait|done|fail",
 "x":0-999,"y":0-999,"text":"<for type>","keys":"<for key, e.g. ctrl+s, Return, alt+Tab>","amount":<scroll clicks, negative = up>,
 "seconds":<for wait, ≤30>,"answer":"<for done/fail: the result or the reason>"}
Type only into a field you clicked first. Use "done" as soon as the task is complete, "fail" if it cannot be done.
Never touch password managers or system settings. The platform is %s.`
