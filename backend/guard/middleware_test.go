package guard_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"neko/backend/guard"
)

const testToken = "tok_0123456789abcdefghijklmnopqrstuvwxyzABCD"

// newServer starts a real loopback server (so the guard sees the local
// port) running handler behind the guard.
func newServer(t *testing.T, cfg guard.Config) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), guard.BodyErrorStatus(err))
			return
		}
		w.Header().Set("X-Body-Len", strconv.Itoa(len(b)))
		io.WriteString(w, "reached")
	})
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	mux.HandleFunc("GET /ws/{name}", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c.WriteMessage(websocket.TextMessage, []byte("hello"))
		c.Close()
	})
	srv := httptest.NewServer(guard.Middleware(cfg, nil)(mux))
	t.Cleanup(srv.Close)
	return srv
}

type req struct {
	method, path string
	host         string // "" = the server's own
	header       map[string]string
	body         string
}

func do(t *testing.T, srv *httptest.Server, rq req) (int, map[string]any, http.Header) {
	t.Helper()
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	r, err := http.NewRequest(rq.method, srv.URL+rq.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if rq.host != "" {
		r.Host = rq.host
	}
	for k, v := range rq.header {
		r.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	if m == nil {
		m = map[string]any{"raw": string(raw)}
	}
	return resp.StatusCode, m, resp.Header
}

func TestHostAllowList(t *testing.T) {
	srv := newServer(t, guard.Config{Token: testToken})
	_, p, _ := strings.Cut(srv.Listener.Addr().String(), ":")
	cases := []struct {
		host string
		want int
	}{
		{"", 200},
		{"localhost:" + p, 200},
		{"LOCALHOST:" + p, 200},
		{"localhost.:" + p, 200},
		{"[::1]:" + p, 200},
		{"evil.example", 421},
		{"evil.example:" + p, 421},
		{"127.0.0.1.evil.example:" + p, 421},
		{"localhost.evil.example:" + p, 421},
		{"0.0.0.0:" + p, 421},
		{"2130706433:" + p, 421},
		{"127.0.0.1:1", 421},
		{"127.0.0.1", 421},
		{"127.0.0.1:" + p + "@evil.example", 421},
		{"[::ffff:127.0.0.1]:" + p, 421},
	}
	for _, c := range cases {
		for _, path := range []string{"/", "/health", "/api/config/core_api"} {
			code, body, _ := do(t, srv, req{method: "GET", path: path, host: c.host})
			if code != c.want {
				t.Errorf("GET %s Host %q: status %d, want %d (%v)", path, c.host, code, c.want, body)
			}
			if c.want != 200 && body["code"] != "host_not_allowed" {
				t.Errorf("Host %q: error code %v", c.host, body["code"])
			}
		}
	}
}

func TestExplicitHostsAndOrigins(t *testing.T) {
	srv := newServer(t, guard.Config{
		Token:          testToken,
		AllowedHosts:   []string{"neko.internal", "127.0.0.1:48911"},
		TrustedOrigins: []string{"http://neko.internal:9000"},
	})
	if code, _, _ := do(t, srv, req{method: "GET", path: "/", host: "neko.internal:1234"}); code != 200 {
		t.Errorf("port-less allowed host entry: %d", code)
	}
	if code, _, _ := do(t, srv, req{method: "GET", path: "/"}); code != 421 {
		t.Errorf("own address outside an explicit list: %d, want 421", code)
	}
	h := map[string]string{"Origin": "http://neko.internal:9000", guard.TokenHeader: testToken}
	if code, _, _ := do(t, srv, req{method: "POST", path: "/x", host: "neko.internal", header: h, body: "{}"}); code != 200 {
		t.Errorf("trusted origin: %d", code)
	}
	h["Origin"] = "wails://wails"
	if code, _, _ := do(t, srv, req{method: "POST", path: "/x", host: "neko.internal", header: h, body: "{}"}); code != 403 {
		t.Errorf("wails origin not in an explicit list: %d, want 403", code)
	}
}

func TestOriginChecks(t *testing.T) {
	srv := newServer(t, guard.Config{Token: testToken})
	own := srv.URL
	_, p, _ := strings.Cut(strings.TrimPrefix(own, "http://"), ":")
	good := []string{own, "http://localhost:" + p, "http://[::1]:" + p, "wails://wails", "http://wails.localhost"}
	bad := []string{"http://evil.example", "null", "https://127.0.0.1:" + p, "http://127.0.0.1:1",
		"http://127.0.0.1." + "evil.example:" + p, "http://localhost:" + p + "/path", "file://", "garbage"}
	for _, o := range good {
		for _, m := range []string{"GET", "POST"} {
			code, body, hdr := do(t, srv, req{method: m, path: "/api/x", body: "{}", header: map[string]string{"Origin": o, guard.TokenHeader: testToken}})
			if code != 200 {
				t.Errorf("%s Origin %q: %d %v", m, o, code, body)
			}
			if o != own && hdr.Get("Access-Control-Allow-Origin") != o {
				t.Errorf("Origin %q: ACAO %q", o, hdr.Get("Access-Control-Allow-Origin"))
			}
		}
	}
	for _, o := range bad {
		for _, m := range []string{"GET", "POST"} {
			code, body, hdr := do(t, srv, req{method: m, path: "/api/x", body: "{}", header: map[string]string{"Origin": o, guard.TokenHeader: testToken}})
			if code != 403 || body["code"] != "origin_not_allowed" {
				t.Errorf("%s Origin %q: %d %v, want 403", m, o, code, body)
			}
			if hdr.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("Origin %q got CORS header", o)
			}
		}
	}
	// No Origin but a foreign Referer or cross-site fetch metadata on a mutation.
	for _, h := range []map[string]string{
		{"Referer": "http://evil.example/page"},
		{"Sec-Fetch-Site": "cross-site"},
	} {
		h[guard.TokenHeader] = testToken
		if code, _, _ := do(t, srv, req{method: "POST", path: "/api/x", body: "{}", header: h}); code != 403 {
			t.Errorf("POST with %v: %d, want 403", h, code)
		}
	}
	if code, _, _ := do(t, srv, req{method: "POST", path: "/api/x", body: "{}", header: map[string]string{"Referer": own + "/index", guard.TokenHeader: testToken}}); code != 200 {
		t.Errorf("own Referer: %d", code)
	}
}

func TestPreflight(t *testing.T) {
	srv := newServer(t, guard.Config{Token: testToken})
	code, _, hdr := do(t, srv, req{method: "OPTIONS", path: "/api/x", header: map[string]string{
		"Origin": "wails://wails", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-neko-token"}})
	if code != 204 || hdr.Get("Access-Control-Allow-Origin") != "wails://wails" ||
		!strings.Contains(hdr.Get("Access-Control-Allow-Headers"), guard.TokenHeader) {
		t.Errorf("trusted preflight: %d %v", code, hdr)
	}
	code, _, _ = do(t, srv, req{method: "OPTIONS", path: "/api/x", header: map[string]string{
		"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}})
	if code != 403 {
		t.Errorf("foreign preflight: %d", code)
	}
}

func TestCSRFToken(t *testing.T) {
	srv := newServer(t, guard.Config{Token: testToken})
	for _, m := range []string{"POST", "PUT", "PATCH", "DELETE", "PROPFIND"} {
		code, body, _ := do(t, srv, req{method: m, path: "/api/x", body: "{}"})
		if code != 403 || body["code"] != "token_missing" {
			t.Errorf("%s without token: %d %v", m, code, body)
		}
		code, body, _ = do(t, srv, req{method: m, path: "/api/x", body: "{}", header: map[string]string{guard.TokenHeader: testToken + "x"}})
		if code != 403 || body["code"] != "token_invalid" {
			t.Errorf("%s wrong token: %d %v", m, code, body)
		}
		code, _, _ = do(t, srv, req{method: m, path: "/api/x?token=" + testToken, body: "{}"})
		if code != 403 {
			t.Errorf("%s token in query (only for upgrades): %d", m, code)
		}
		for _, hn := range []string{guard.TokenHeader, guard.LegacyTokenHeader} {
			code, body, _ = do(t, srv, req{method: m, path: "/api/x", body: "{}", header: map[string]string{hn: testToken}})
			if code != 200 || body["raw"] != "reached" {
				t.Errorf("%s with %s: %d %v", m, hn, code, body)
			}
		}
	}
	for _, m := range []string{"GET", "HEAD"} {
		if code, _, _ := do(t, srv, req{method: m, path: "/api/x"}); code != 200 {
			t.Errorf("%s needs no token: %d", m, code)
		}
	}
}

func TestNoTokenConfiguredRefusesMutations(t *testing.T) {
	srv := newServer(t, guard.Config{})
	code, body, _ := do(t, srv, req{method: "POST", path: "/x", body: "{}", header: map[string]string{guard.TokenHeader: "anything"}})
	if code != 403 || body["code"] != "token_not_configured" {
		t.Errorf("%d %v", code, body)
	}
}

func TestTokenFuncRotation(t *testing.T) {
	cur := testToken
	srv := newServer(t, guard.Config{TokenFunc: func() string { return cur }})
	h := map[string]string{guard.TokenHeader: testToken}
	if code, _, _ := do(t, srv, req{method: "POST", path: "/x", body: "{}", header: h}); code != 200 {
		t.Fatalf("before rotation: %d", code)
	}
	cur = strings.Repeat("z", 43)
	if code, _, _ := do(t, srv, req{method: "POST", path: "/x", body: "{}", header: h}); code != 403 {
		t.Fatalf("old token after rotation: %d", code)
	}
}

func TestInstanceToken(t *testing.T) {
	srv := newServer(t, guard.Config{InstanceToken: "inst-secret-0123456789"})
	if code, _, _ := do(t, srv, req{method: "GET", path: "/health"}); code != 200 {
		t.Errorf("health: %d", code)
	}
	if code, _, _ := do(t, srv, req{method: "GET", path: "/health", host: "evil.example"}); code != 421 {
		t.Errorf("health still checks Host: %d", code)
	}
	if code, _, _ := do(t, srv, req{method: "POST", path: "/health", body: "{}"}); code != 401 {
		t.Errorf("POST /health is not open: %d", code)
	}
	for _, m := range []string{"GET", "POST"} {
		code, body, _ := do(t, srv, req{method: m, path: "/new_dialog/x", body: "{}"})
		if code != 401 || body["code"] != "instance_token_missing" {
			t.Errorf("%s without instance token: %d %v", m, code, body)
		}
		code, _, _ = do(t, srv, req{method: m, path: "/new_dialog/x", body: "{}", header: map[string]string{guard.InstanceTokenHeader: "wrong"}})
		if code != 403 {
			t.Errorf("%s wrong instance token: %d", m, code)
		}
		code, _, _ = do(t, srv, req{method: m, path: "/new_dialog/x", body: "{}", header: map[string]string{guard.InstanceTokenHeader: "inst-secret-0123456789"}})
		if code != 200 {
			t.Errorf("%s right instance token: %d", m, code)
		}
	}
}

func TestWebSocketUpgrade(t *testing.T) {
	srv := newServer(t, guard.Config{Token: testToken})
	base := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws/neko"
	dial := func(u string, h http.Header) (int, error) {
		c, resp, err := websocket.DefaultDialer.Dial(u, h)
		if c != nil {
			defer c.Close()
			_, msg, rerr := c.ReadMessage()
			if rerr != nil || string(msg) != "hello" {
				t.Errorf("greeting: %q %v", msg, rerr)
			}
		}
		if resp == nil {
			return 0, err
		}
		return resp.StatusCode, err
	}
	own := http.Header{"Origin": {srv.URL}}
	if code, _ := dial(base, own); code != 403 {
		t.Errorf("upgrade without token: %d", code)
	}
	if code, _ := dial(base+"?token=wrong", own); code != 403 {
		t.Errorf("upgrade with wrong token: %d", code)
	}
	if code, err := dial(base+"?token="+url.QueryEscape(testToken), own); code != 101 {
		t.Errorf("upgrade with query token: %d %v", code, err)
	}
	if code, err := dial(base, http.Header{"Origin": {srv.URL}, guard.TokenHeader: {testToken}}); code != 101 {
		t.Errorf("upgrade with header token: %d %v", code, err)
	}
	if code, _ := dial(base+"?token="+testToken, http.Header{"Origin": {"http://evil.example"}}); code != 403 {
		t.Errorf("upgrade from a foreign origin: %d", code)
	}
}

// TestWailsInProcess checks the guard in front of the Wails asset handler,
// where requests arrive without a network connection under Host "wails".
func TestWailsInProcess(t *testing.T) {
	h := guard.Middleware(guard.Config{Token: testToken, AllowedHosts: guard.WailsHosts()}, nil)(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "reached") }))
	for _, c := range []struct {
		host, origin, token string
		want                int
	}{
		{"wails", "wails://wails", testToken, 200},
		{"wails.localhost", "http://wails.localhost", testToken, 200},
		{"wails", "wails://wails", "", 403},
		{"wails", "http://evil.example", testToken, 403},
		{"127.0.0.1:48911", "wails://wails", testToken, 421},
	} {
		r := httptest.NewRequest("POST", "/api/x", strings.NewReader("{}"))
		r.Host = c.host
		r.Header.Set("Origin", c.origin)
		if c.token != "" {
			r.Header.Set(guard.TokenHeader, c.token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != c.want {
			t.Errorf("Host %q Origin %q token %v: %d, want %d", c.host, c.origin, c.token != "", w.Code, c.want)
		}
	}
}
