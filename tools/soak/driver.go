package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"
)

// Counters are what the drivers did, shared by all characters.
type Counters struct {
	Turns, FailedTurns          atomic.Int64
	Tasks, TasksOK, TasksFailed atomic.Int64
	Recalls, RecallMisses       atomic.Int64
	Connects, Drops, DialErrors atomic.Int64
	Settles, SampleErrors       atomic.Int64
	AudioBytes, StatusMessages  atomic.Int64
}

// Errors is every failure that fails the soak.
func (c *Counters) Errors() int64 {
	return c.FailedTurns.Load() + c.TasksFailed.Load() + c.RecallMisses.Load() + c.Drops.Load() +
		c.DialErrors.Load() + c.SampleErrors.Load()
}

// Driver talks to one character over real WebSockets until stopped:
// connections of a few turns each (reconnecting in between, sometimes
// dropping the socket without a close frame), a fact to remember now and
// then (checked by a memory search after the connection), an agent task
// every few turns (the MCP echo tool; its result must come back in her
// words), and an end_session every other connection so memory settles.
type Driver struct {
	Name  string
	Tag   string // lowercase letters or digits, unique per driver: turn ids are t<Tag>-<n>
	API   *API
	Mem   *Memory
	C     *Counters
	Log   *slog.Logger
	Think time.Duration // mean pause between turns
	// BridgeReconnects, when set, counts the ZeroMQ bridge's reconnects so
	// far; a lost task names the reconnects that happened while it ran.
	BridgeReconnects func() int64

	rng   *rand.Rand
	seq   int
	facts []string // said on the current connection
}

const (
	turnTimeout = 45 * time.Second // a streamed reply (a guard against hangs, not a latency target)
	taskTimeout = 90 * time.Second // analyze → plan → MCP → summary → her report
)

// Run drives until stop is closed (finishing the current turn) or ctx ends.
func (d *Driver) Run(ctx context.Context, stop <-chan struct{}) {
	d.rng = rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(len(d.Name))))
	for cycle := 0; ; cycle++ {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		default:
		}
		if err := d.connection(ctx, stop, cycle); err != nil && ctx.Err() == nil {
			d.Log.Warn("connection ended with an error", "character", d.Name, "err", err)
			if !sleepOr(ctx, stop, 2*time.Second) {
				return
			}
		}
	}
}

func (d *Driver) connection(ctx context.Context, stop <-chan struct{}, cycle int) error {
	s, err := dial(ctx, d.API, d.Name, &d.C.AudioBytes)
	if err != nil {
		d.C.DialErrors.Add(1)
		return err
	}
	d.C.Connects.Add(1)
	d.facts = nil
	turns := 3 + d.rng.IntN(6)
	var runErr error
	for i := 0; i < turns && runErr == nil; i++ {
		if d.seq%7 == 6 {
			runErr = d.agentTurn(ctx, s)
		} else {
			runErr = d.turn(ctx, s)
		}
		if runErr == nil && !d.pause(ctx, stop, s) {
			break
		}
	}
	if runErr == nil && cycle%2 == 0 {
		// End the session: the memory server settles it into the archive.
		if err := s.send(map[string]any{"action": "end_session"}); err == nil {
			d.C.Settles.Add(1)
			runErr = d.drain(ctx, s, 300*time.Millisecond)
		}
	}
	s.close(cycle%3 != 2)
	if runErr != nil {
		return runErr
	}
	return d.checkRecall(ctx)
}

// pause waits the think time while reading the socket; false when stopping.
func (d *Driver) pause(ctx context.Context, stop <-chan struct{}, s *socket) bool {
	wait := time.Duration(float64(d.Think) * (0.5 + d.rng.Float64()))
	select {
	case <-stop:
		return false
	default:
	}
	if err := d.drain(ctx, s, wait); err != nil {
		return false
	}
	select {
	case <-stop:
		return false
	default:
		return ctx.Err() == nil
	}
}

// drain reads and discards socket events for a while.
func (d *Driver) drain(ctx context.Context, s *socket, wait time.Duration) error {
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		case ev := <-s.events:
			if err := d.note(ev); err != nil {
				return err
			}
		}
	}
}

// note handles an event outside a turn; a read error is a dropped socket.
func (d *Driver) note(ev event) error {
	if ev.Err != nil {
		d.C.Drops.Add(1)
		return fmt.Errorf("socket of %s dropped by the server: %w", d.Name, ev.Err)
	}
	if ev.Type == "status" {
		d.C.StatusMessages.Add(1)
		d.Log.Debug("status", "character", d.Name, "message", ev.Msg["message"])
	}
	return nil
}

func (d *Driver) nextID() string {
	d.seq++
	return fmt.Sprintf("t%s-%d", d.Tag, d.seq)
}

func (d *Driver) word() string { return randomWord(d.rng) }

var chatLines = []string{
	"今天天气怎么样？", "Tell me something nice.", "我刚下班，有点累。", "What should I cook tonight?",
	"陪我聊聊天吧。", "Do you remember what we talked about?", "推荐一本书给我。", "I finished my project today!",
}

// turn sends one text message and waits for her streamed reply to it.
func (d *Driver) turn(ctx context.Context, s *socket) error {
	id := d.nextID()
	text := chatLines[d.rng.IntN(len(chatLines))]
	if d.rng.IntN(3) == 0 {
		w := d.word()
		d.facts = append(d.facts, w)
		text += " 请记住 fact " + w + "。"
	}
	_, err := d.exchange(ctx, s, id, text+" ["+id+"]", "")
	return err
}

// agentTurn asks for the echo tool and waits for both her immediate reply
// and her report of the finished task.
func (d *Driver) agentTurn(ctx context.Context, s *socket) error {
	id := d.nextID()
	w := d.word()
	d.C.Tasks.Add(1)
	var before int64
	if d.BridgeReconnects != nil {
		before = d.BridgeReconnects()
	}
	ok, err := d.exchange(ctx, s, id, "please echo "+w+" with your tool ["+id+"]", "Echo: "+w)
	if err != nil && d.BridgeReconnects != nil {
		if n := d.BridgeReconnects() - before; n > 0 {
			err = fmt.Errorf("%w (the ZeroMQ bridge reconnected %d times meanwhile)", err, n)
		}
	}
	switch {
	case ok:
		d.C.TasksOK.Add(1)
	case ctx.Err() != nil || errors.Is(err, errTurnFailed):
		// interrupted, or counted as a failed turn
	default:
		d.C.TasksFailed.Add(1)
	}
	return err
}

var errTurnFailed = errors.New("turn failed")

// exchange sends text and reads until the reply carrying id has ended and,
// when report is set, until a later reply contains report (the agent's
// result told in character). It reports whether the report arrived; a turn
// that ends without its reply counts as failed.
func (d *Driver) exchange(ctx context.Context, s *socket, id, text, report string) (bool, error) {
	if err := s.send(map[string]any{"action": "stream_data", "input_type": "text", "data": text}); err != nil {
		d.C.FailedTurns.Add(1)
		return false, fmt.Errorf("send to %s: %w: %w", d.Name, errTurnFailed, err)
	}
	var cur strings.Builder
	var statuses []string
	replied, reported := false, report == ""
	deadline := time.NewTimer(turnTimeout)
	defer deadline.Stop()
	for !replied || !reported {
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-deadline.C:
			if !replied {
				d.C.FailedTurns.Add(1)
				return false, fmt.Errorf("%s turn %s: %w: no reply within %s (statuses %v)", d.Name, id, errTurnFailed, turnTimeout, statuses)
			}
			return false, fmt.Errorf("%s task %s: no report of %q within %s", d.Name, id, report, taskTimeout)
		case ev := <-s.events:
			if ev.Err != nil {
				d.C.Drops.Add(1)
				if !replied {
					d.C.FailedTurns.Add(1)
				}
				return false, fmt.Errorf("%s turn %s: %w: socket dropped: %w", d.Name, id, errTurnFailed, ev.Err)
			}
			switch ev.Type {
			case "gemini_response":
				t, _ := ev.Msg["text"].(string)
				cur.WriteString(t)
			case "status":
				d.C.StatusMessages.Add(1)
				m, _ := ev.Msg["message"].(string)
				statuses = append(statuses, statusCode(m))
			case "system":
				if ev.Msg["data"] != "turn end" {
					continue
				}
				got := cur.String()
				cur.Reset()
				switch {
				case strings.Contains(got, "("+id+")"):
					replied = true
					d.C.Turns.Add(1)
					if !reported {
						deadline.Reset(taskTimeout)
					}
				case report != "" && strings.Contains(got, report):
					reported = true
				case !replied && got == "":
					// A failed turn ends with a status and an empty turn end.
					d.C.FailedTurns.Add(1)
					return false, fmt.Errorf("%s turn %s: %w: empty reply (statuses %v)", d.Name, id, errTurnFailed, statuses)
				}
			}
		}
	}
	return report != "", nil
}

func statusCode(message string) string {
	var m struct {
		Code string `json:"code"`
	}
	if json.Unmarshal([]byte(message), &m) == nil && m.Code != "" {
		return m.Code
	}
	return truncate(message, 80)
}

// checkRecall searches memory for every fact said on the last connection;
// the turns are archived at once, but through a queue, so allow a moment.
func (d *Driver) checkRecall(ctx context.Context) error {
	for _, w := range d.facts {
		d.C.Recalls.Add(1)
		var found bool
		var err error
		for deadline := time.Now().Add(15 * time.Second); ; {
			if found, err = d.Mem.Recall(ctx, d.Name, w); found || time.Now().After(deadline) || ctx.Err() != nil {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		if !found {
			d.C.RecallMisses.Add(1)
			return fmt.Errorf("%s: memory search did not recall fact %q (%v)", d.Name, w, err)
		}
	}
	return nil
}

func sleepOr(ctx context.Context, stop <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-stop:
		return false
	case <-t.C:
		return true
	}
}
