package memory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"
	"unicode/utf8"

	"neko/backend/llm"
	"neko/backend/memory/embed"
	"neko/backend/memory/store"
)

// nameRE is the original's character-name rule: word characters (Unicode,
// so CJK is allowed), '-' and spaces.
var nameRE = regexp.MustCompile(`^[\p{L}\p{N}_\-\s]+$`)

// ErrBadName is returned for a character name the server refuses.
var ErrBadName = errors.New("invalid character name")

// ValidName reports whether name is acceptable as a character name: at most
// 50 characters of letters, digits, '_', '-' and spaces, not only spaces.
func ValidName(name string) bool {
	if name == "" || utf8.RuneCountInString(name) > 50 || !nameRE.MatchString(name) {
		return false
	}
	for _, r := range name {
		if r != ' ' && r != '\t' {
			return true
		}
	}
	return false
}

// Server is the memory server. Create it with New, mount Handler, and call
// Close at shutdown.
type Server struct {
	cfg   Config
	deps  Deps
	log   *slog.Logger
	local *embed.Model

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	wake   chan struct{}

	mu        sync.Mutex
	chars     map[string]*character
	embst     map[string]embedStatus
	embedWait time.Time // after a provider failure, background embedding pauses until then
}

// New opens the memory folder and starts the background embedding worker
// (stopped by Close).
func New(cfg Config, deps Deps, log *slog.Logger) (*Server, error) {
	cfg = cfg.withDefaults()
	if cfg.Dir == "" {
		return nil, errors.New("memory: Config.Dir is required")
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("memory: create %s: %w", cfg.Dir, err)
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	local, err := embed.Bundled()
	if err != nil {
		return nil, fmt.Errorf("memory: local word vectors: %w", err)
	}
	s := &Server{cfg: cfg, deps: deps, log: log.With("component", "memory"), local: local,
		chars: map[string]*character{}, embst: map[string]embedStatus{}, wake: make(chan struct{}, 1)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.embedLoop()
	return s, nil
}

// Close stops background work (reviews, re-embedding) and closes every
// database.
func (s *Server) Close() error {
	s.cancel()
	s.mu.Lock()
	chars := s.chars
	s.chars = map[string]*character{}
	s.mu.Unlock()
	for _, c := range chars {
		c.stopReview()
	}
	s.wg.Wait()
	var errs []error
	for _, c := range chars {
		c.mu.Lock()
		if err := c.db.Close(); err != nil {
			errs = append(errs, err)
		}
		c.mu.Unlock()
	}
	return errors.Join(errs...)
}

func (s *Server) endpoint(role string) llm.Endpoint {
	if s.deps.Endpoint == nil {
		return llm.Endpoint{}
	}
	return s.deps.Endpoint(role)
}

func (s *Server) masterName() string {
	if s.deps.Characters != nil {
		if n := s.deps.Characters.MasterName(); n != "" {
			return n
		}
	}
	return "主人"
}

// known reports whether name is a configured character (always true
// without a Characters dependency).
func (s *Server) known(name string) bool {
	if s.deps.Characters == nil {
		return true
	}
	for _, n := range s.deps.Characters.Names() {
		if n == name {
			return true
		}
	}
	return false
}

func (s *Server) recentPath(name string) string {
	return filepath.Join(s.cfg.Dir, "recent_"+name+".json")
}

func (s *Server) dbPath(name string) string {
	return filepath.Join(s.cfg.Dir, "time_indexed_"+name)
}

// char returns the open state of a character, opening its database and
// recovering its recent file on first use.
func (s *Server) char(ctx context.Context, name string) (*character, error) {
	if !ValidName(name) {
		return nil, ErrBadName
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil {
		return nil, errors.New("memory server is closed")
	}
	if c, ok := s.chars[name]; ok {
		return c, nil
	}
	var opts []store.Option
	if s.cfg.NoFsync {
		opts = append(opts, store.WithoutFsync())
	}
	db, err := store.Open(ctx, s.dbPath(name), opts...)
	if err != nil {
		return nil, err
	}
	c := &character{name: name, srv: s, db: db}
	if err := c.recover(ctx); err != nil {
		db.Close()
		return nil, err
	}
	s.chars[name] = c
	s.kick()
	return c, nil
}

// forgetChar closes a character's database (rename, import replace).
func (s *Server) forgetChar(name string) {
	s.mu.Lock()
	c, ok := s.chars[name]
	delete(s.chars, name)
	s.mu.Unlock()
	if ok {
		c.stopReview()
		c.mu.Lock()
		c.db.Close()
		c.mu.Unlock()
	}
}

// kick wakes the background embedding worker.
func (s *Server) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
