package agent

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"neko/backend/bridge"
)

// Task types and statuses on the wire (reference §10.2). "mcp" is ours.
const (
	TypeComputerUse = "computer_use"
	TypeBrowserUse  = "browser_use"
	TypeMCP         = "mcp"

	StatusQueued    = "queued"
	StatusRunning   = "running"
	StatusCompleted = "completed"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
)

// entry is one registry record.
type entry struct {
	task     bridge.Task
	result   string
	key      string          // normalised instruction for the deduper
	toks     map[string]bool // its words
	cancel   context.CancelFunc
	finished time.Time
}

func (e *entry) active() bool {
	return e.task.Status == StatusQueued || e.task.Status == StatusRunning
}

// registry holds tasks; finished ones expire after ttl.
type registry struct {
	mu    sync.Mutex
	ttl   time.Duration
	now   func() time.Time
	tasks map[string]*entry
	live  map[string]*entry // the active subset, for the deduper
	swept time.Time
}

func newRegistry(ttl time.Duration, now func() time.Time) *registry {
	return &registry{ttl: ttl, now: now, tasks: map[string]*entry{}, live: map[string]*entry{}}
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// addUnlessDuplicate stores t unless an active task of the same type has the
// same normalised instruction; it returns the matching id on a duplicate.
func (r *registry) addUnlessDuplicate(t bridge.Task, instruction string, cancel context.CancelFunc) (dupID string, added bool) {
	key := normalise(instruction)
	toks := tokens(key)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expireLocked()
	for id, e := range r.live {
		if e.active() && e.task.Type == t.Type && (e.key == key || jaccard(e.toks, toks)) {
			return id, false
		}
	}
	e := &entry{task: t, key: key, toks: toks, cancel: cancel}
	r.tasks[t.ID] = e
	if e.active() {
		r.live[t.ID] = e
	}
	return "", true
}

// update applies f to the task and returns the new snapshot.
func (r *registry) update(id string, f func(e *entry)) (bridge.Task, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.tasks[id]
	if !ok {
		return bridge.Task{}, false
	}
	f(e)
	if !e.active() && e.finished.IsZero() {
		e.finished = r.now()
		e.cancel = nil
		delete(r.live, id)
	}
	return cloneTask(e.task), true
}

// finish moves an active task to a final status; false if it had already
// finished (a cancel raced the end).
func (r *registry) finish(id, status, errMsg, result string) (bridge.Task, bool) {
	var changed bool
	t, ok := r.update(id, func(e *entry) {
		if !e.active() {
			return
		}
		changed = true
		e.task.Status = status
		e.task.EndTime = timestamp(r.now())
		e.task.Error = errMsg
		e.result = result
	})
	return t, ok && changed
}

func (r *registry) get(id string) (bridge.Task, string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expireLocked()
	e, ok := r.tasks[id]
	if !ok {
		return bridge.Task{}, "", false
	}
	return cloneTask(e.task), e.result, true
}

// cancel cancels an active task's context; it reports whether the task
// exists and whether it was still active.
func (r *registry) cancel(id string) (found, active bool) {
	r.mu.Lock()
	e, ok := r.tasks[id]
	var c context.CancelFunc
	if ok && e.active() {
		c = e.cancel
		active = true
	}
	r.mu.Unlock()
	if c != nil {
		c()
	}
	return ok, active
}

type listed struct {
	task   bridge.Task
	result string
}

func (r *registry) list() []listed {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expireLocked()
	out := make([]listed, 0, len(r.tasks))
	for _, e := range r.tasks {
		out = append(out, listed{cloneTask(e.task), e.result})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].task.StartTime < out[j].task.StartTime })
	return out
}

func (r *registry) active() []bridge.Task {
	var out []bridge.Task
	for _, l := range r.list() {
		if l.task.Status == StatusQueued || l.task.Status == StatusRunning {
			out = append(out, l.task)
		}
	}
	return out
}

// cancelAll cancels every active task and, with clear, drops all entries.
func (r *registry) cancelAll(clear bool) {
	r.mu.Lock()
	var cs []context.CancelFunc
	for _, e := range r.tasks {
		if e.active() && e.cancel != nil {
			cs = append(cs, e.cancel)
		}
	}
	if clear {
		r.tasks, r.live = map[string]*entry{}, map[string]*entry{}
	}
	r.mu.Unlock()
	for _, c := range cs {
		c()
	}
}

func (r *registry) expireLocked() {
	now := r.now()
	if d := now.Sub(r.swept); d >= 0 && d < time.Second {
		return
	}
	r.swept = now
	for id, e := range r.tasks {
		if !e.finished.IsZero() && now.Sub(e.finished) > r.ttl {
			delete(r.tasks, id)
		}
	}
}

func (r *registry) expire() { r.mu.Lock(); r.expireLocked(); r.mu.Unlock() }

func (r *registry) size() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.tasks) }

func cloneTask(t bridge.Task) bridge.Task {
	if t.Params != nil {
		p := make(map[string]any, len(t.Params))
		for k, v := range t.Params {
			p[k] = v
		}
		t.Params = p
	}
	return t
}

// normalise folds case, punctuation and spacing so that "Open the Browser!"
// and "open the browser" are the same task.
func normalise(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		default:
			space = true
		}
	}
	return b.String()
}

// similar is the deduper's judgement: identical after normalisation, or the
// same words (Jaccard ≥ 0.9) for longer instructions; CJK text without
// spaces is compared by characters.
func similar(a, b string) bool {
	return a == b || jaccard(tokens(a), tokens(b))
}

func jaccard(ta, tb map[string]bool) bool {
	if len(ta) < 4 || len(tb) < 4 {
		return false
	}
	inter := 0
	for t := range ta {
		if tb[t] {
			inter++
		}
	}
	union := len(ta) + len(tb) - inter
	return float64(inter)/float64(union) >= 0.9
}

func tokens(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.Fields(s) {
		if hasCJK(w) {
			for _, r := range w {
				out[string(r)] = true
			}
			continue
		}
		out[w] = true
	}
	return out
}

func hasCJK(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
			return true
		}
	}
	return false
}

func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
