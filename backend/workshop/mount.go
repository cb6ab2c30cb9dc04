package workshop

import (
	"io"
	"net/http"
	"sync"
	"time"
)

// rootRecheck is how long a resolved root is trusted before Mount looks
// again (a Steam library may appear or vanish while the app runs).
const rootRecheck = 30 * time.Second

// Opener builds the file server for one folder; the shell passes its
// confined file server (which refuses "..", absolute paths and symlinks out).
type Opener func(dir string) (http.Handler, io.Closer, error)

// Mount serves the workshop root (see Service.Root) and follows it when it
// changes: after a POST /config, or when the Steam folder appears. Mount it
// with http.StripPrefix("/workshop", m) (and again for "/user_mods").
type Mount struct {
	s    *Service
	open Opener
	now  func() time.Time

	mu      sync.Mutex
	root    string
	gen     uint64
	checked time.Time
	h       http.Handler
	c       io.Closer
	closed  bool
}

// Mount returns a handler for the workshop root served through open.
func (s *Service) Mount(open Opener) *Mount {
	return &Mount{s: s, open: open, now: time.Now}
}

// ServeHTTP serves one file of the current root; 404 when there is none.
func (m *Mount) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := m.current()
	if h == nil {
		http.NotFound(w, r)
		return
	}
	h.ServeHTTP(w, r)
}

func (m *Mount) current() http.Handler {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	gen := m.s.rootGen.Load()
	if m.h != nil && gen == m.gen && m.now().Sub(m.checked) < rootRecheck {
		return m.h
	}
	root, _, err := m.s.Root()
	m.checked, m.gen = m.now(), gen
	if err != nil {
		m.s.log.Warn("workshop root unavailable", "err", err)
		m.swap("", nil, nil)
		return nil
	}
	if root == m.root && m.h != nil {
		return m.h
	}
	h, c, err := m.open(root)
	if err != nil {
		m.s.log.Warn("workshop mount", "root", root, "err", err)
		m.swap("", nil, nil)
		return nil
	}
	m.swap(root, h, c)
	return h
}

// swap installs a new file server; the old one is closed a little later so
// requests already reading from it finish.
func (m *Mount) swap(root string, h http.Handler, c io.Closer) {
	if old := m.c; old != nil {
		time.AfterFunc(5*time.Second, func() { _ = old.Close() })
	}
	m.root, m.h, m.c = root, h, c
}

// Root is the folder currently served ("" before the first request).
func (m *Mount) Root() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.root
}

// Close releases the current file server; later requests get 404.
func (m *Mount) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	var err error
	if m.c != nil {
		err = m.c.Close()
	}
	m.root, m.h, m.c = "", nil, nil
	return err
}
