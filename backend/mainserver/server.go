// Package mainserver is the main HTTP server (port 48911): the REST routers
// (config, characters, live2d, vrm, workshop, memory, websocket, agent,
// system, pages), the static mounts and the single-page frontend.
package mainserver

import (
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"sync"

	"neko/backend/config"
	"neko/backend/guard"
	"neko/backend/httpjson"
)

// Config is the main server's own settings.
type Config struct {
	InstanceID string
	// Token is the per-install CSRF token injected into the page.
	Token string
	// Origin is the server's own origin ("http://127.0.0.1:48911"), named in
	// the page for the desktop window, whose asset proxy cannot carry
	// WebSockets.
	Origin string
	// OpenBrowserMode enables POST /api/beacon/shutdown (the page closing
	// stops a server started with --open-browser).
	OpenBrowserMode bool
}

// Sessions is what the routers need of the conversation engine. The zero
// implementation (no engine yet) has no active session.
type Sessions interface {
	// Active reports whether name is in a voice (realtime) session.
	Active(name string) bool
	// Send delivers a JSON message to name's sockets ("" = every socket).
	Send(name string, msg any)
	// End ends name's session ("" = every session); byServer tells the page.
	End(name string, byServer bool)
}

// Deps are the main server's collaborators. A nil router answers 501 until
// its feature is wired.
type Deps struct {
	Store    *config.Store
	Assets   fs.FS // the built frontend (frontend/dist); nil: no pages
	Sessions Sessions
	Log      *slog.Logger

	// Routers mounted as they are, by full path prefix.
	Memory    http.Handler            // /api/memory/
	Agent     http.Handler            // /api/agent/
	Workshop  http.Handler            // /api/steam/workshop/
	WebSocket http.Handler            // /ws/{name}
	Voices    http.Handler            // voice routes under /api/characters/ (voices, voice_clone, voice_preview, audio/*)
	Live2D    http.Handler            // /api/live2d/
	VRM       http.Handler            // /api/model/vrm/
	Extra     map[string]http.Handler // further "METHOD /path" patterns (system extras, proactive chat, emotion …)

	WorkshopRoot  string       // folder mounted at /workshop and /user_mods; "" = paths.Workshop
	WorkshopFiles http.Handler // when set, serves /workshop and /user_mods (paths relative to the root) instead
	Shutdown      func()       // called by POST /api/beacon/shutdown in open-browser mode
}

// Server is the main HTTP server's handler tree.
type Server struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	mux     *http.ServeMux
	closers []io.Closer

	proxyMu       sync.Mutex
	proxySnapshot map[string]string
}

var registerMIME sync.Once

// New builds the routers.
func New(cfg Config, deps Deps) (*Server, error) {
	registerMIME.Do(func() {
		for ext, typ := range map[string]string{".js": "application/javascript", ".mjs": "application/javascript",
			".json": "application/json", ".moc3": "application/octet-stream", ".moc": "application/octet-stream",
			".vrm": "model/gltf-binary", ".vrma": "model/gltf-binary", ".png": "image/png", ".wasm": "application/wasm"} {
			_ = mime.AddExtensionType(ext, typ)
		}
	})
	if deps.Log == nil {
		deps.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if deps.Sessions == nil {
		deps.Sessions = noSessions{}
	}
	s := &Server{cfg: cfg, deps: deps, log: deps.Log.With("component", "main"), mux: http.NewServeMux()}
	if err := s.routes(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Handler is the server's root handler (without /health, which the services
// layer adds with the fingerprint).
func (s *Server) Handler() http.Handler { return s.mux }

// Close releases the static mounts.
func (s *Server) Close() error {
	for _, c := range s.closers {
		c.Close()
	}
	return nil
}

// routes mounts the ten routers in the original's order, pages last.
func (s *Server) routes() error {
	s.configRoutes()
	s.characterRoutes()
	s.mountOr("/api/live2d/", s.deps.Live2D, "live2d")
	s.mountOr("/api/model/vrm/", s.deps.VRM, "vrm")
	s.mountOr("/api/steam/workshop/", s.deps.Workshop, "workshop")
	s.mountOr("/api/memory/", s.deps.Memory, "memory")
	s.mountOr("/ws/", s.deps.WebSocket, "websocket")
	s.mountOr("/api/agent/", s.deps.Agent, "agent")
	s.systemRoutes()
	s.runtimeRoutes()
	for pattern, h := range s.deps.Extra {
		s.mux.Handle(pattern, h)
	}
	if err := s.staticRoutes(); err != nil {
		return err
	}
	s.pageRoutes()
	return nil
}

// mountOr mounts h at prefix, or a 501 JSON answer naming the feature.
func (s *Server) mountOr(prefix string, h http.Handler, feature string) {
	if h == nil {
		h = notImplemented(feature)
	}
	s.mux.Handle(prefix, h)
}

func notImplemented(feature string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		httpjson.Error(w, http.StatusNotImplemented, "not_implemented",
			"the "+feature+" API is not available in this build yet")
	}
}

// staticRoutes mounts the user folders, confined to their roots.
func (s *Server) staticRoutes() error {
	p := s.deps.Store.Paths
	ws := s.deps.WorkshopRoot
	if ws == "" {
		ws = p.Workshop
	}
	mounts := []struct{ prefix, dir string }{
		{"/user_live2d/", p.Live2D}, {"/user_vrm/animation/", p.VRMAnimation}, {"/user_vrm/", p.VRM},
	}
	if s.deps.WorkshopFiles != nil {
		for _, prefix := range []string{"/workshop/", "/user_mods/"} {
			s.mux.Handle("GET "+prefix, http.StripPrefix(prefix[:len(prefix)-1], s.deps.WorkshopFiles))
		}
	} else {
		mounts = append(mounts, struct{ prefix, dir string }{"/workshop/", ws}, struct{ prefix, dir string }{"/user_mods/", ws})
	}
	for _, m := range mounts {
		fsrv, err := guard.NewFileServer(m.dir)
		if err != nil {
			return err
		}
		s.closers = append(s.closers, fsrv)
		s.mux.Handle("GET "+m.prefix, http.StripPrefix(m.prefix[:len(m.prefix)-1], fsrv))
	}
	return nil
}

type noSessions struct{}

func (noSessions) Active(string) bool { return false }
func (noSessions) Send(string, any)   {}
func (noSessions) End(string, bool)   {}
