package guard

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header and query names the guard reads.
const (
	TokenHeader         = "X-Neko-Token"
	LegacyTokenHeader   = "X-CSRF-Token"
	InstanceTokenHeader = "X-Neko-Instance"
	TokenQuery          = "token"
)

// Limits the guard applies when Config leaves them zero.
const (
	DefaultMaxBodyBytes    int64 = 1 << 20
	UploadMaxBytes         int64 = 200 << 20
	DefaultMaxJSONDepth          = 64
	DefaultBodyReadTimeout       = 30 * time.Second
	// maxBufferedBody is the largest body the guard reads into memory to
	// check its JSON depth; larger limits (uploads) are streamed.
	maxBufferedBody int64 = 8 << 20
)

// Config says what the guard lets through. The zero value is usable: it
// allows loopback Host headers for the port the request arrived on, trusts
// the same origins plus the Wails webview origins, and refuses every
// mutating request (no token is configured).
type Config struct {
	// AllowedHosts lists Host header values ("127.0.0.1:48911"); an entry
	// without a port allows that host on any port. Empty: 127.0.0.1,
	// localhost and [::1] on the port the connection was accepted on.
	// Any other Host is refused with 421.
	AllowedHosts []string
	// TrustedOrigins lists origins ("http://127.0.0.1:48911"). Empty: the
	// http:// origins of the allowed hosts plus the Wails origins
	// (wails://wails, wails://wails.localhost, http://wails.localhost).
	// A request with any other Origin is refused with 403.
	TrustedOrigins []string
	// Token is the per-install CSRF token (see TokenStore), required in
	// X-Neko-Token on every mutating request and in the header or the
	// ?token= query of every WebSocket upgrade.
	Token string
	// TokenFunc, when set, is called per request instead of reading Token,
	// so a rotated token takes effect at once (pass TokenStore.Token).
	TokenFunc func() string
	// InstanceToken, when set, is required in X-Neko-Instance on every
	// request except GET /health (memory and agent servers). A valid
	// instance token also satisfies the CSRF token requirement.
	InstanceToken string
	// MaxBodyBytes caps request bodies (default 1 MiB). Bigger bodies get
	// 413 before the handler runs when Content-Length says so, or a
	// *http.MaxBytesError from r.Body when it does not.
	MaxBodyBytes int64
	// BodyLimit, when set, returns a per-request cap (uploads: 200 MiB,
	// streamed, see RouteLimits); 0 means MaxBodyBytes.
	BodyLimit func(r *http.Request) int64
	// MaxJSONDepth caps the nesting of JSON bodies (default 64); deeper
	// bodies get 400.
	MaxJSONDepth int
	// BodyReadTimeout bounds reading a body the guard buffers for the JSON
	// depth check (default 30 s), so a client that dribbles bytes cannot
	// hold a handler forever.
	BodyReadTimeout time.Duration
}

// DefaultAllowedHosts returns the loopback Host values for the given ports.
func DefaultAllowedHosts(ports ...int) []string {
	var out []string
	for _, p := range ports {
		ps := strconv.Itoa(p)
		out = append(out, "127.0.0.1:"+ps, "localhost:"+ps, "[::1]:"+ps)
	}
	return out
}

// WailsOrigins are the origins of the Wails webview on each platform.
var wailsOrigins = []string{"wails://wails", "wails://wails.localhost", "http://wails.localhost"}

// WailsHosts returns the Host values of requests the Wails webview hands to
// an in-process asset handler ("wails" on macOS and Linux, "wails.localhost"
// on Windows). Add them to AllowedHosts only for the guard in front of that
// handler, not for a network listener.
func WailsHosts() []string { return []string{"wails", "wails.localhost"} }

// WailsOrigins returns the origins the Wails webview loads our pages from.
func WailsOrigins() []string { return append([]string(nil), wailsOrigins...) }

// RouteLimits returns a Config.BodyLimit that looks up "METHOD /path"
// entries, or "/prefix/" entries ending in a slash that match every path
// under them, e.g. {"POST /api/model/vrm/upload": guard.UploadMaxBytes}.
// The longest matching entry wins; no match means the default.
func RouteLimits(table map[string]int64) func(*http.Request) int64 {
	return func(r *http.Request) int64 {
		best, bestLen := int64(0), -1
		for k, v := range table {
			method, path, ok := strings.Cut(k, " ")
			if !ok {
				method, path = "", k
			}
			if method != "" && method != r.Method {
				continue
			}
			match := r.URL.Path == path ||
				(strings.HasSuffix(path, "/") && strings.HasPrefix(r.URL.Path, path))
			if match && len(path) > bestLen {
				best, bestLen = v, len(path)
			}
		}
		return best
	}
}
