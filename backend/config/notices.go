package config

import "sync"

// Notice is a prominent message for the UI (GET /api/pending-notices).
type Notice struct {
	Code      string         `json:"code"`
	Message   string         `json:"message"`
	MessageEN string         `json:"message_en"`
	Details   map[string]any `json:"details,omitempty"`
	Seq       int64          `json:"seq"`
}

// Notices is a queue of notices with a cursor, so that acknowledging the ones
// a page has seen never drops those raised in between.
type Notices struct {
	mu    sync.Mutex
	seq   int64
	items []Notice
}

// Add queues a notice.
func (n *Notices) Add(code, msg, msgEN string, details map[string]any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.seq++
	n.items = append(n.items, Notice{Code: code, Message: msg, MessageEN: msgEN, Details: details, Seq: n.seq})
}

// Pending returns the queued notices and the cursor to acknowledge them.
func (n *Notices) Pending() ([]Notice, int64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := append([]Notice{}, n.items...)
	return out, n.seq
}

// Ack drops the notices up to and including cursor.
func (n *Notices) Ack(cursor int64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	keep := n.items[:0]
	for _, it := range n.items {
		if it.Seq > cursor {
			keep = append(keep, it)
		}
	}
	n.items = keep
}
