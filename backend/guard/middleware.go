package guard

import (
	"crypto/subtle"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"neko/backend/httpjson"
)

// Guard holds one server's compiled Config. Use Middleware unless the
// compiled form is needed (for instance to share it between muxes).
type Guard struct {
	hosts       []hostRule
	origins     []originRule
	defaultHost bool // no AllowedHosts: loopback names on the local port
	defaultOrig bool // no TrustedOrigins: derive from the hosts
	cfg         Config
	log         *slog.Logger
	logBudget   *Bucket
}

// New compiles cfg. Malformed allow-list entries are logged and skipped.
func New(cfg Config, log *slog.Logger) *Guard {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "guard")
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxJSONDepth <= 0 {
		cfg.MaxJSONDepth = DefaultMaxJSONDepth
	}
	if cfg.BodyReadTimeout <= 0 {
		cfg.BodyReadTimeout = DefaultBodyReadTimeout
	}
	g := &Guard{cfg: cfg, log: log, logBudget: NewBucket(1, 20)}
	for _, h := range cfg.AllowedHosts {
		host, port, ok := ParseHost(strings.TrimSpace(h))
		if !ok {
			log.Warn("ignoring malformed allowed host", "host", h)
			continue
		}
		g.hosts = append(g.hosts, hostRule{host, port})
	}
	g.defaultHost = len(cfg.AllowedHosts) == 0
	for _, o := range cfg.TrustedOrigins {
		scheme, host, port, ok := ParseOrigin(strings.TrimSpace(o))
		if !ok {
			log.Warn("ignoring malformed trusted origin", "origin", o)
			continue
		}
		g.origins = append(g.origins, originRule{scheme: scheme, host: host, port: port})
	}
	g.defaultOrig = len(cfg.TrustedOrigins) == 0
	if g.defaultOrig {
		for _, h := range g.hosts {
			g.origins = append(g.origins, originRule{scheme: "http", host: h.host, port: h.port, anyPort: h.port == ""})
		}
		for _, o := range wailsOrigins {
			scheme, host, port, _ := ParseOrigin(o)
			g.origins = append(g.origins, originRule{scheme: scheme, host: host, port: port})
		}
	}
	if cfg.Token == "" && cfg.TokenFunc == nil && cfg.InstanceToken == "" {
		log.Warn("no token configured: every mutating request will be refused")
	}
	return g
}

// Middleware returns the guard for cfg as a handler wrapper.
func Middleware(cfg Config, log *slog.Logger) func(http.Handler) http.Handler {
	return New(cfg, log).Wrap
}

// Wrap puts the guard in front of next.
func (g *Guard) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.serve(w, r, next)
	})
}

func (g *Guard) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	localPort := localPortOf(r)

	// 1. Host: a DNS-rebinding page reaches us under its own name.
	if !g.hostAllowed(r.Host, localPort) {
		g.refuse(w, r, http.StatusMisdirectedRequest, "host_not_allowed", "Host header not allowed")
		return
	}

	// 2. Origin (and, without one, Referer and Fetch Metadata).
	origin := r.Header.Get("Origin")
	mutating := isMutating(r.Method)
	upgrade := IsWebSocketUpgrade(r)
	if origin != "" {
		if !g.originTrusted(origin, localPort) {
			g.refuse(w, r, http.StatusForbidden, "origin_not_allowed", "cross-site request refused")
			return
		}
	} else if mutating || upgrade {
		if ref := r.Header.Get("Referer"); ref != "" && !g.originTrusted(OriginOf(ref), localPort) {
			g.refuse(w, r, http.StatusForbidden, "origin_not_allowed", "cross-site request refused")
			return
		}
		if strings.EqualFold(r.Header.Get("Sec-Fetch-Site"), "cross-site") {
			g.refuse(w, r, http.StatusForbidden, "origin_not_allowed", "cross-site request refused")
			return
		}
	}
	if origin != "" && !sameOrigin(origin, r.Host) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
	}
	if r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != "" {
		h := w.Header()
		h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Content-Type, "+TokenHeader+", "+LegacyTokenHeader)
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return
	}

	// 3. Health stays open for the launcher's fingerprint.
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.URL.Path == "/health" {
		next.ServeHTTP(w, r)
		return
	}

	// 4. Tokens.
	if g.cfg.InstanceToken != "" {
		got := r.Header.Get(InstanceTokenHeader)
		if got == "" {
			g.refuse(w, r, http.StatusUnauthorized, "instance_token_missing", "instance token required")
			return
		}
		if !tokenEqual(got, g.cfg.InstanceToken) {
			g.refuse(w, r, http.StatusForbidden, "instance_token_invalid", "instance token invalid")
			return
		}
	} else if mutating || upgrade {
		want := g.cfg.Token
		if g.cfg.TokenFunc != nil {
			want = g.cfg.TokenFunc()
		}
		got := r.Header.Get(TokenHeader)
		if got == "" {
			got = r.Header.Get(LegacyTokenHeader)
		}
		if got == "" && upgrade {
			got = r.URL.Query().Get(TokenQuery)
		}
		switch {
		case want == "":
			g.refuse(w, r, http.StatusForbidden, "token_not_configured", "server has no token configured")
			return
		case got == "":
			g.refuse(w, r, http.StatusForbidden, "token_missing", "missing "+TokenHeader)
			return
		case !tokenEqual(got, want):
			g.refuse(w, r, http.StatusForbidden, "token_invalid", "invalid "+TokenHeader)
			return
		}
	}

	// 5. Body size and JSON depth.
	if !g.limitBody(w, r) {
		return
	}
	next.ServeHTTP(w, r)
}

// refuse writes a JSON error and logs it within a small budget, so a page
// hammering the server cannot flood the log.
func (g *Guard) refuse(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	if g.logBudget.Allow() {
		g.log.Warn("request refused", "code", code, "method", r.Method, "path", r.URL.Path,
			"host", r.Host, "origin", r.Header.Get("Origin"), "remote", r.RemoteAddr)
	}
	if r.Body != nil && r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
	}
	httpjson.Error(w, status, code, msg)
}

func (g *Guard) hostAllowed(hostHeader, localPort string) bool {
	host, port, ok := ParseHost(hostHeader)
	if !ok {
		return false
	}
	if g.defaultHost {
		if localPort != "" && port != localPort {
			return false
		}
		for _, n := range loopbackNames {
			if host == n {
				return true
			}
		}
		return false
	}
	for _, h := range g.hosts {
		if h.match(host, port) {
			return true
		}
	}
	return false
}

func (g *Guard) originTrusted(origin, localPort string) bool {
	scheme, host, port, ok := ParseOrigin(origin)
	if !ok {
		return false
	}
	for _, o := range g.origins {
		if o.match(scheme, host, port) {
			return true
		}
	}
	if g.defaultOrig && g.defaultHost && scheme == "http" && (localPort == "" || port == localPort) {
		for _, n := range loopbackNames {
			if host == n {
				return true
			}
		}
	}
	return false
}

// sameOrigin reports whether origin is the request's own http origin, in
// which case no CORS headers are needed.
func sameOrigin(origin, hostHeader string) bool {
	return strings.EqualFold(origin, "http://"+hostHeader)
}

func localPortOf(r *http.Request) string {
	addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok || addr == nil {
		return ""
	}
	_, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return ""
	}
	return port
}

func isMutating(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// IsWebSocketUpgrade reports whether r asks to switch to WebSocket.
func IsWebSocketUpgrade(r *http.Request) bool {
	for _, v := range r.Header.Values("Upgrade") {
		for _, p := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), "websocket") {
				return true
			}
		}
	}
	return false
}

// tokenEqual compares in constant time (for equal lengths).
func tokenEqual(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// readDeadline bounds the body read of a buffered request; it is a no-op on
// writers that cannot set deadlines (httptest recorders).
func readDeadline(w http.ResponseWriter, d time.Duration) func() {
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(time.Now().Add(d)); err != nil {
		return func() {}
	}
	return func() { _ = rc.SetReadDeadline(time.Time{}) }
}
