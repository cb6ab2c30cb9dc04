package guard

import (
	"strconv"
	"strings"
)

// loopbackNames are the Host names the default allow-list accepts.
var loopbackNames = []string{"127.0.0.1", "localhost", "::1"}

// ParseHost splits a Host header value (or allow-list entry) into a
// lower-case host name without brackets or trailing dot and a port ("" when
// absent). It refuses anything a well-formed Host cannot contain: spaces,
// user info, paths, bare IPv6 addresses, empty or out-of-range ports.
func ParseHost(s string) (host, port string, ok bool) {
	if s == "" || len(s) > 300 {
		return "", "", false
	}
	s = strings.ToLower(s)
	var rest string
	if s[0] == '[' {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", false
		}
		host, rest = s[1:end], s[end+1:]
		if host == "" || !validIPv6(host) {
			return "", "", false
		}
	} else {
		i := strings.IndexByte(s, ':')
		if i < 0 {
			host = s
		} else {
			host, rest = s[:i], s[i:]
		}
		host = strings.TrimSuffix(host, ".")
		if host == "" || !validName(host) {
			return "", "", false
		}
	}
	if rest != "" {
		if rest[0] != ':' || !validPort(rest[1:]) {
			return "", "", false
		}
		port = rest[1:]
	}
	return host, port, true
}

func validName(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return h[0] != '.' && h[len(h)-1] != '.' && !strings.Contains(h, "..")
}

func validIPv6(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'f' || c >= '0' && c <= '9' || c == ':' || c == '.') {
			return false
		}
	}
	return strings.Contains(h, ":")
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n <= 65535
}

// JoinHost is the inverse of ParseHost: it brackets IPv6 names.
func JoinHost(host, port string) string {
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port == "" {
		return host
	}
	return host + ":" + port
}

// hostRule is one allowed host; an empty port allows any port.
type hostRule struct{ host, port string }

func (h hostRule) match(host, port string) bool {
	return h.host == host && (h.port == "" || h.port == port)
}

// originRule is one trusted origin; anyPort allows every port of the host.
type originRule struct {
	scheme, host, port string
	anyPort            bool
}

func (o originRule) match(scheme, host, port string) bool {
	return o.scheme == scheme && o.host == host && (o.anyPort || o.port == port)
}

// ParseOrigin splits an Origin header value into a lower-case scheme, host
// and port. The port is "" when absent or the scheme's default (80 for http,
// 443 for https). "null" and anything with a path, query or user info are
// refused.
func ParseOrigin(s string) (scheme, host, port string, ok bool) {
	if len(s) > 400 {
		return "", "", "", false
	}
	scheme, rest, found := strings.Cut(s, "://")
	if !found || !validScheme(scheme) || rest == "" {
		return "", "", "", false
	}
	scheme = strings.ToLower(scheme)
	if strings.ContainsAny(rest, "/?#@\\ ") {
		return "", "", "", false
	}
	host, port, ok = ParseHost(rest)
	if !ok {
		return "", "", "", false
	}
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	return scheme, host, port, true
}

// OriginOf returns the origin ("scheme://host[:port]") of an absolute URL
// such as a Referer, or "" when it has none.
func OriginOf(rawURL string) string {
	scheme, rest, found := strings.Cut(rawURL, "://")
	if !found {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	return scheme + "://" + rest
}

func validScheme(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if !(c >= 'a' && c <= 'z' || i > 0 && (s[i] >= '0' && s[i] <= '9' || s[i] == '+' || s[i] == '-' || s[i] == '.')) {
			return false
		}
	}
	return true
}
