package guard_test

import (
	"testing"

	"neko/backend/guard"
)

func TestParseHost(t *testing.T) {
	for _, c := range []struct {
		in, host, port string
		ok             bool
	}{
		{"127.0.0.1:48911", "127.0.0.1", "48911", true},
		{"LocalHost:80", "localhost", "80", true},
		{"localhost.", "localhost", "", true},
		{"[::1]:48911", "::1", "48911", true},
		{"[::1]", "::1", "", true},
		{"::1", "", "", false},
		{"[::1", "", "", false},
		{"[]:1", "", "", false},
		{"a:", "", "", false},
		{"a:0", "", "", false},
		{"a:65536", "", "", false},
		{"a:+80", "", "", false},
		{"a b", "", "", false},
		{"user@host", "", "", false},
		{"host/path", "", "", false},
		{"a..b", "", "", false},
		{"", "", "", false},
		{"[::1]x", "", "", false},
	} {
		h, p, ok := guard.ParseHost(c.in)
		if ok != c.ok || h != c.host || p != c.port {
			t.Errorf("ParseHost(%q) = %q %q %v, want %q %q %v", c.in, h, p, ok, c.host, c.port, c.ok)
		}
	}
}

func TestParseOrigin(t *testing.T) {
	for _, c := range []struct {
		in, scheme, host, port string
		ok                     bool
	}{
		{"http://127.0.0.1:48911", "http", "127.0.0.1", "48911", true},
		{"HTTP://LOCALHOST:80", "http", "localhost", "", true},
		{"https://x.example:443", "https", "x.example", "", true},
		{"wails://wails", "wails", "wails", "", true},
		{"null", "", "", "", false},
		{"http://a/b", "", "", "", false},
		{"http://u@a", "", "", "", false},
		{"http://", "", "", "", false},
		{"://a", "", "", "", false},
		{"1http://a", "", "", "", false},
	} {
		s, h, p, ok := guard.ParseOrigin(c.in)
		if ok != c.ok || s != c.scheme || h != c.host || p != c.port {
			t.Errorf("ParseOrigin(%q) = %q %q %q %v", c.in, s, h, p, ok)
		}
	}
	if got := guard.OriginOf("http://evil.example:8080/a/b?c#d"); got != "http://evil.example:8080" {
		t.Errorf("OriginOf: %q", got)
	}
}
