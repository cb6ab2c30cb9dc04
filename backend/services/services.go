// Package services boots neko's three servers in one process (or one of
// them, in split mode): it plans the ports, starts memory, agent and main in
// that order on loopback, prints the launcher's NEKO_EVENT lines, and shuts
// them down in order (main → memory → agent) with a deadline each.
package services

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"neko/backend/bridge"
	"neko/backend/config"
	"neko/backend/guard"
	"neko/backend/httpjson"
	"neko/backend/secrets"
)

// Options configure Start.
type Options struct {
	DataRoot        string // the data folder (config.DataRoot() in production)
	Ports           Ports
	Only            string // "" (all three), "main", "memory" or "agent"
	Attach          bool   // use an already running neko instead of failing
	PortFallback    bool   // move off ports held by other programs
	InstanceID      string // default: $NEKO_INSTANCE_ID or random
	Assets          fs.FS  // the built frontend
	OpenBrowserMode bool
	Events          *Events
	Log             *slog.Logger
	// ShutdownTimeout bounds each server's shutdown (default 3 s).
	ShutdownTimeout time.Duration
}

// Services is a running set of servers.
type Services struct {
	opts     Options
	log      *slog.Logger
	Store    *config.Store
	Ports    Ports
	Attached bool

	servers  map[string]*server // by service name
	bridgeM  *bridge.MainSide
	bridgeA  *bridge.AgentSide
	token    *guard.TokenStore // per-install CSRF token, handed to our pages
	instance string            // instance token: main ↔ memory/agent only, never in a page
	internal *http.Client      // main → memory/agent calls, one keep-alive pool for all of them
	stopOnce sync.Once
	stopped  chan struct{} // closed when a server stops on its own or asks to quit
	ctx      context.Context
	cancel   context.CancelFunc
	bg       sync.WaitGroup
}

// server is one HTTP server and the component behind it.
type server struct {
	name  string
	http  *http.Server
	ln    net.Listener
	comp  *component
	errCh chan error
}

// component is what a server package contributes: its handler, extra health
// fields, an optional background loop and a closer.
type component struct {
	handler     http.Handler
	healthExtra func() map[string]any
	run         func(ctx context.Context) error
	close       func() error
}

// Start plans the ports and starts the servers. On any failure it stops what
// it started, emits startup_failure and returns the error.
func Start(ctx context.Context, o Options) (*Services, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 3 * time.Second
	}
	if o.InstanceID == "" {
		o.InstanceID = bridge.NewID()
	}
	switch o.Only {
	case "", "main", "memory", "agent":
	default:
		return nil, fmt.Errorf("--only must be main, memory or agent, not %q", o.Only)
	}
	o.Events.Emit("startup_begin", map[string]any{"mode": modeName(o.Only), "instance_id": o.InstanceID, "pid": os.Getpid()})
	s, err := start(ctx, o)
	if err != nil {
		payload := map[string]any{"error": err.Error()}
		var pe *PortInUseError
		if errors.As(err, &pe) {
			payload["port"], payload["service"] = pe.Port, pe.Service
		}
		var ar *AlreadyRunningError
		if errors.As(err, &ar) {
			payload["port"], payload["service"], payload["already_running"] = ar.Port, ar.Service, true
		}
		o.Events.Emit("startup_failure", payload)
		return nil, err
	}
	o.Events.Emit("startup_ready", map[string]any{"ports": s.Ports, "attached": s.Attached, "mode": modeName(o.Only),
		"main_url": fmt.Sprintf("http://127.0.0.1:%d/", s.Ports.Main)})
	return s, nil
}

func modeName(only string) string {
	if only == "" {
		return "all"
	}
	return only
}

func start(parent context.Context, o Options) (*Services, error) {
	p, err := makePlan(o.Ports, o.Only, o.PortFallback, o.Attach)
	if err != nil {
		return nil, err
	}
	o.Events.Emit("port_plan", map[string]any{"ports": p.Ports, "fallbacks": p.Fallbacks, "attached": p.Attached, "existing": p.Existing})
	for svc, f := range p.Fallbacks {
		o.Log.Warn("port in use; using a fallback", "service", svc, "wanted", f[0], "port", f[1])
	}
	ctx, cancel := context.WithCancel(parent)
	s := &Services{opts: o, log: o.Log.With("component", "services"), Ports: p.Ports, Attached: p.Attached,
		servers: map[string]*server{}, stopped: make(chan struct{}), ctx: ctx, cancel: cancel}
	if p.Attached {
		return s, nil
	}
	fail := func(err error) (*Services, error) {
		p.close()
		shutCtx, c := context.WithTimeout(context.Background(), o.ShutdownTimeout)
		defer c()
		_ = s.Shutdown(shutCtx)
		return nil, err
	}
	if s.Store, err = config.Open(o.DataRoot, o.Log); err != nil {
		return fail(err)
	}
	if s.token, err = guard.OpenTokenStore(s.Store.Paths.File(".neko_token")); err != nil {
		return fail(err)
	}
	if s.instance, err = instanceToken(s.Store.Paths.File(".neko_instance"), o.Only == ""); err != nil {
		return fail(err)
	}
	s.internal = newInternalClient(s.instance)
	// Order: memory, agent, main (main's routers call the other two).
	for _, name := range []string{"memory", "agent", "main"} {
		ln, ok := p.Listeners[name]
		if !ok {
			continue
		}
		delete(p.Listeners, name)
		comp, err := s.build(name)
		if err != nil {
			ln.Close()
			return fail(fmt.Errorf("start %s server: %w", name, err))
		}
		s.serve(name, ln, comp)
	}
	return s, nil
}

// serve wraps comp with /health and the guard, and serves it on ln.
func (s *Services) serve(name string, ln net.Listener, comp *component) {
	mux := http.NewServeMux()
	mux.Handle("GET /health", httpjson.HealthHandler(name, s.opts.InstanceID, comp.healthExtra))
	mux.Handle("/", comp.handler)
	gcfg := guard.Config{TokenFunc: s.token.Token, BodyLimit: uploadLimits}
	if name != "main" {
		// Memory and agent serve only the main server (and split-mode
		// peers): they want the instance token, which no page ever sees.
		gcfg.InstanceToken = s.instance
	}
	var inner http.Handler = mux
	if name == "main" {
		// Pages only ever talk to main: every JSON reply to a GET has its
		// secret fields masked, a safety net behind handlers that mask.
		inner = secrets.MaskResponses(mux)
	}
	h := guard.New(gcfg, s.log).Wrap(inner)
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		BaseContext: func(net.Listener) context.Context { return s.ctx },
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
	srv := &server{name: name, http: hs, ln: ln, comp: comp, errCh: make(chan error, 1)}
	s.servers[name] = srv
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("server stopped", "service", name, "err", err)
			srv.errCh <- err
			s.stop()
		}
	}()
	if comp.run != nil {
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			if err := comp.run(s.ctx); err != nil && s.ctx.Err() == nil {
				s.log.Error("background loop stopped", "service", name, "err", err)
				s.stop()
			}
		}()
	}
	s.log.Info("server listening", "service", name, "addr", ln.Addr().String())
}

// uploadLimits gives model uploads 200 MiB (streamed); everything else keeps
// the guard's 1 MiB default.
func uploadLimits(r *http.Request) int64 {
	switch r.URL.Path {
	case "/api/model/vrm/upload", "/api/model/vrm/upload_animation", "/api/live2d/upload_model",
		"/api/characters/voice_clone", "/api/characters/audio/trim_silence", "/api/characters/audio/analyze_silence":
		return guard.UploadMaxBytes
	}
	if len(r.URL.Path) > len("/api/live2d/upload_file/") && r.URL.Path[:len("/api/live2d/upload_file/")] == "/api/live2d/upload_file/" {
		return guard.UploadMaxBytes
	}
	return 0
}

// instanceToken returns the token the main server shows the memory and agent
// servers. It is kept apart from the CSRF token, so a page (which is handed
// the CSRF token) cannot call memory or agent directly. When one process runs
// every server the token is new at each launch; split-mode processes (serve
// --only) share the one in the 0600 file, creating it when missing.
func instanceToken(path string, rotate bool) (string, error) {
	st, err := guard.OpenTokenStore(path)
	if err != nil {
		return "", fmt.Errorf("instance token: %w", err)
	}
	if !rotate {
		return st.Token(), nil
	}
	tok, err := st.Rotate()
	if err != nil {
		return "", fmt.Errorf("instance token: %w", err)
	}
	return tok, nil
}

// InstanceToken is the token the memory and agent servers require in
// X-Neko-Instance (for split-mode peers and tests).
func (s *Services) InstanceToken() string { return s.instance }

// Token is the per-install CSRF token.
func (s *Services) Token() string {
	if s.token == nil {
		return ""
	}
	return s.token.Token()
}

// Done is closed when a server stops on its own or asks to quit (the
// open-browser beacon); the caller then calls Shutdown.
func (s *Services) Done() <-chan struct{} { return s.stopped }

func (s *Services) stop() { s.stopOnce.Do(func() { close(s.stopped) }) }

// Shutdown stops the servers in order main → memory → agent, each within
// ShutdownTimeout (and ctx), then waits for every goroutine.
func (s *Services) Shutdown(ctx context.Context) error {
	var errs []error
	for _, name := range ShutdownOrder {
		srv, ok := s.servers[name]
		if ok {
			sctx, cancel := context.WithTimeout(ctx, s.opts.ShutdownTimeout)
			if err := srv.http.Shutdown(sctx); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				srv.http.Close()
			}
			cancel()
		}
		switch name {
		case "main":
			// With both ends in this process the agent's side goes first:
			// left up while memory settles, it would warn that main is
			// unreachable.
			if s.bridgeA != nil {
				s.bridgeA.Close()
			}
			if s.bridgeM != nil {
				s.bridgeM.Close()
			}
		case "agent":
			if s.bridgeA != nil {
				s.bridgeA.Close()
			}
		}
		if ok && srv.comp.close != nil {
			if err := srv.comp.close(); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
		}
		if ok {
			s.log.Info("server stopped", "service", name)
		}
	}
	s.cancel()
	s.stop()
	done := make(chan struct{})
	go func() { s.bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("background work did not stop: %w", ctx.Err()))
	}
	return errors.Join(errs...)
}

// ShutdownOrder is the order Shutdown stops the servers in.
var ShutdownOrder = []string{"main", "memory", "agent"}

// AgentConnected reports whether the agent's bridge heartbeats arrive and
// its session subscription is live (main side).
func (s *Services) AgentConnected() bool { return s.bridgeM != nil && s.bridgeM.SessionReady() }
