package services

import (
	"context"

	"neko/backend/memory"
	"neko/backend/memory/msg"
	"neko/backend/session"
)

// memoryClient adapts the memory server's HTTP client (the original's paths
// and bodies, so split mode and a Python memory server work the same) to the
// conversation engine.
type memoryClient struct{ c *memory.Client }

var _ session.Memory = memoryClient{}

func (m memoryClient) NewDialog(ctx context.Context, name string) (string, error) {
	return m.c.NewDialog(ctx, name)
}

func (m memoryClient) Cache(ctx context.Context, name string, turns []session.Turn) error {
	_, err := m.c.Cache(ctx, name, messages(turns))
	return err
}

// Settle posts the turns not cached yet; the server settles its whole open
// session.
func (m memoryClient) Settle(ctx context.Context, name string, turns []session.Turn) error {
	return m.c.Process(ctx, name, messages(turns))
}

func messages(turns []session.Turn) []msg.Message {
	out := make([]msg.Message, 0, len(turns))
	for _, t := range turns {
		role := msg.Human
		if t.Role == "assistant" {
			role = msg.AI
		}
		out = append(out, msg.Message{Role: role, Text: t.Text})
	}
	return out
}
