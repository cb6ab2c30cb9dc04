package guard_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"neko/backend/guard"
)

// refDepth is the nesting depth of a valid JSON document per encoding/json.
func refDepth(b []byte) int {
	dec := json.NewDecoder(bytes.NewReader(b))
	depth, max := 0, 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return max
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
				if depth > max {
					max = depth
				}
			} else {
				depth--
			}
		}
	}
}

func FuzzJSONDepth(f *testing.F) {
	for _, s := range []string{`{}`, `[[[]]]`, `{"a":"[[[\"]]"}`, `{"a":[1,{"b":"\\"}]}`, `"]]]"`, `[`, `]]]][[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := guard.JSONDepth(b)
		if d < 0 || d > len(b) {
			t.Fatalf("depth %d for %d bytes", d, len(b))
		}
		if json.Valid(b) {
			if ref := refDepth(b); ref != d {
				t.Fatalf("JSONDepth=%d, encoding/json says %d for %q", d, ref, b)
			}
		}
		if err := guard.CheckJSONDepth(b, d); err != nil {
			t.Fatalf("CheckJSONDepth at its own depth: %v", err)
		}
		if d > 0 && guard.CheckJSONDepth(b, d-1) == nil {
			t.Fatalf("CheckJSONDepth(%d) passed a depth-%d document", d-1, d)
		}
	})
}

func FuzzParseHost(f *testing.F) {
	for _, s := range []string{"127.0.0.1:48911", "[::1]:1", "localhost.", "evil.example", "a:b:c", "[", "x:99999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, p, ok := guard.ParseHost(s)
		if !ok {
			return
		}
		if h == "" || strings.ContainsAny(h, "/@ \\[]") || h != strings.ToLower(h) {
			t.Fatalf("ParseHost(%q) host %q", s, h)
		}
		// Round trip: joining and parsing again gives the same parts.
		h2, p2, ok2 := guard.ParseHost(guard.JoinHost(h, p))
		if !ok2 || h2 != h || p2 != p {
			t.Fatalf("round trip of %q: %q %q %v vs %q %q", s, h2, p2, ok2, h, p)
		}
	})
}

func FuzzParseOrigin(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:48911", "wails://wails", "null", "https://a:443", "http://a/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		scheme, h, p, ok := guard.ParseOrigin(s)
		if !ok {
			return
		}
		if scheme == "" || h == "" || strings.ContainsAny(scheme+h+p, "/?#@ ") {
			t.Fatalf("ParseOrigin(%q) = %q %q %q", s, scheme, h, p)
		}
	})
}

func FuzzInjectTokenMeta(f *testing.F) {
	f.Add([]byte("<html><head></head></html>"), "tok")
	f.Add([]byte("<HEAD"), `"><x>`)
	f.Add([]byte("<headx><head >"), "a&b")
	f.Fuzz(func(t *testing.T, doc []byte, token string) {
		out := guard.InjectTokenMeta(doc, token)
		if len(out) <= len(doc) {
			t.Fatalf("nothing inserted")
		}
		// The original document survives around exactly one insertion.
		i := bytes.Index(out, []byte(`<meta name="neko-token" content="`))
		if i < 0 {
			t.Fatalf("meta missing in %q", out)
		}
		end := bytes.IndexByte(out[i:], '>') + i + 1
		if !bytes.Equal(append(append([]byte{}, out[:i]...), out[end:]...), doc) {
			t.Fatalf("document altered: %q -> %q", doc, out)
		}
		if bytes.ContainsAny(out[i+len(`<meta name="neko-token" content="`):end-2], `"<>`) {
			t.Fatalf("unescaped token: %q", out[i:end])
		}
	})
}

// FuzzMiddleware throws arbitrary Host, Origin, token and body at the guard:
// it must never panic, and nothing without the right Host and token may
// reach a mutating handler.
func FuzzMiddleware(f *testing.F) {
	f.Add("POST", "127.0.0.1:48911", "http://127.0.0.1:48911", testToken, `{"a":1}`)
	f.Add("POST", "evil.example", "", testToken, `[[[[`)
	f.Add("GET", "localhost:48911", "null", "", "")
	f.Add("PUT", "[::1]:48911", "wails://wails", "x", strings.Repeat("[", 70))
	reached := false
	h := guard.Middleware(guard.Config{Token: testToken, MaxBodyBytes: 4096, MaxJSONDepth: 16}, nil)(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reached = true
			_, _ = io.Copy(io.Discard, r.Body)
		}))
	f.Fuzz(func(t *testing.T, method, host, origin, token, body string) {
		if method == "" || strings.ContainsAny(method, " \t\r\n()<>@,;:\\\"/[]?={}") || !isToken(method) {
			return
		}
		r := httptest.NewRequest("GET", "http://127.0.0.1:48911/api/x", strings.NewReader(body))
		r.Method = method
		r.Host = host
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if token != "" {
			r.Header.Set(guard.TokenHeader, token)
		}
		reached = false
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if !reached {
			return
		}
		hh, _, ok := guard.ParseHost(host)
		if !ok || (hh != "127.0.0.1" && hh != "localhost" && hh != "::1") {
			t.Fatalf("Host %q reached the handler", host)
		}
		mut := method != "GET" && method != "HEAD" && method != "OPTIONS"
		if mut && token != testToken {
			t.Fatalf("%s with token %q reached the handler", method, token)
		}
		if mut && guard.JSONDepth([]byte(body)) > 16 && strings.TrimLeft(body, " \t\r\n") != "" &&
			strings.ContainsAny(strings.TrimLeft(body, " \t\r\n")[:1], "[{") {
			t.Fatalf("depth %d body reached the handler", guard.JSONDepth([]byte(body)))
		}
	})
}

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
