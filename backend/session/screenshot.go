package session

import (
	"context"
	"sync"
)

// screenshotWaiters pairs request_screenshot with the page's
// screenshot_response (proactive chat asks for a fresh frame).
type screenshotWaiters struct {
	mu      sync.Mutex
	waiters map[string][]chan string
}

func newScreenshotWaiters() *screenshotWaiters {
	return &screenshotWaiters{waiters: map[string][]chan string{}}
}

func (s *screenshotWaiters) resolve(name, data string) {
	s.mu.Lock()
	ws := s.waiters[name]
	delete(s.waiters, name)
	s.mu.Unlock()
	for _, w := range ws {
		w <- data
	}
}

// Screenshot asks name's page for a screen frame and waits for it.
func (h *Hub) Screenshot(ctx context.Context, name string) (string, bool) {
	m := h.existing(name)
	if m == nil {
		return "", false
	}
	ch := make(chan string, 1)
	h.screenshots.mu.Lock()
	h.screenshots.waiters[name] = append(h.screenshots.waiters[name], ch)
	h.screenshots.mu.Unlock()
	m.post(func() { m.toClient(map[string]any{"type": "request_screenshot"}) })
	select {
	case d := <-ch:
		return d, d != ""
	case <-ctx.Done():
		return "", false
	}
}
