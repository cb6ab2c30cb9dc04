package agent_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"neko/backend/agent"
	"neko/backend/bridge"
	"neko/backend/httpjson"
)

type flagCall struct {
	name    string
	agentOn *bool
	flags   map[string]bool
}

func proxyFor(t *testing.T, base string, calls *[]flagCall, mu *sync.Mutex, analyzed *[]string) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("/api/agent/", agent.NewProxyHandler(base, agent.ProxyOptions{
		Header: http.Header{"X-Neko-Instance": {"tok"}},
		OnFlags: func(name string, on *bool, f map[string]bool) {
			mu.Lock()
			*calls = append(*calls, flagCall{name, on, f})
			mu.Unlock()
		},
		Analyze: func(_ context.Context, name, trigger string, msgs []bridge.Message) error {
			mu.Lock()
			*analyzed = append(*analyzed, name+"|"+trigger+"|"+msgs[0].Content)
			mu.Unlock()
			return nil
		},
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, method, url, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: %q", method, url, b)
	}
	return res.StatusCode, out
}

func TestProxy(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	// The agent server as the integrator mounts it: /health plus Handler.
	var sawToken bool
	var tokMu sync.Mutex
	mux := http.NewServeMux()
	mux.Handle("GET /health", httpjson.HealthHandler("agent", "inst-1", h.s.HealthExtra))
	mux.Handle("/", h.s.Handler())
	agentSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tokMu.Lock()
		sawToken = sawToken || r.Header.Get("X-Neko-Instance") == "tok"
		tokMu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	defer agentSrv.Close()
	var mu sync.Mutex
	var calls []flagCall
	var analyzed []string
	p := proxyFor(t, agentSrv.URL, &calls, &mu, &analyzed)

	st, out := call(t, "POST", p.URL+"/api/agent/flags", `{"lanlan_name":"Lan","flags":{"agent_enabled":true,"mcp_enabled":true}}`)
	if st != 200 || out["success"] != true || out["agent_flags"].(map[string]any)["mcp_enabled"] != true {
		t.Fatalf("POST flags = %d %v", st, out)
	}
	mu.Lock()
	if len(calls) != 1 || calls[0].name != "Lan" || calls[0].agentOn == nil || !*calls[0].agentOn || !calls[0].flags["mcp_enabled"] {
		t.Fatalf("OnFlags = %+v", calls)
	}
	mu.Unlock()
	_, out = call(t, "GET", p.URL+"/api/agent/flags", "")
	if out["analyzer_enabled"] != true {
		t.Fatalf("GET flags = %v", out)
	}
	st, out = call(t, "POST", p.URL+"/api/agent/command", `{"command":"set_flag","key":"mcp_enabled","value":false,"lanlan_name":"Lan"}`)
	timing, _ := out["timing"].(map[string]any)
	if st != 200 || timing == nil || timing["main_proxy_ms"] == nil || timing["agent_total_ms"] == nil {
		t.Fatalf("command = %d %v", st, out)
	}
	st, out = call(t, "GET", p.URL+"/api/agent/health", "")
	if st != 200 || out["status"] != "ok" || out["tool"].(map[string]any)["agent_flags"] == nil {
		t.Fatalf("health = %d %v", st, out)
	}
	if st, _ := call(t, "GET", p.URL+"/api/agent/tasks/none", ""); st != 404 {
		t.Fatalf("unknown task through proxy = %d", st)
	}
	if st, out := call(t, "GET", p.URL+"/api/agent/state", ""); st != 200 || out["snapshot"] == nil {
		t.Fatalf("state = %d %v", st, out)
	}
	if st, _ := call(t, "POST", p.URL+"/api/agent/admin/control", `{"action":`); st != 400 {
		t.Fatalf("malformed JSON through proxy = %d", st)
	}
	st, _ = call(t, "POST", p.URL+"/api/agent/internal/analyze_request", `{"lanlan_name":"Lan","messages":[{"role":"user","content":"hi"}]}`)
	mu.Lock()
	if st != 200 || len(analyzed) != 1 || analyzed[0] != "Lan|turn_end|hi" {
		t.Fatalf("analyze = %d %v", st, analyzed)
	}
	mu.Unlock()
	if st, out := call(t, "GET", p.URL+"/api/agent/user_plugin/availability", ""); st != 200 || out["ready"] != false {
		t.Fatalf("user_plugin = %d %v", st, out)
	}
	tokMu.Lock()
	defer tokMu.Unlock()
	if !sawToken {
		t.Fatal("proxy did not send the instance header")
	}
}

func TestProxyAgentDown(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	base := dead.URL
	dead.Close()
	var mu sync.Mutex
	var calls []flagCall
	var analyzed []string
	p := proxyFor(t, base, &calls, &mu, &analyzed)
	if st, out := call(t, "GET", p.URL+"/api/agent/health", ""); st != 502 || out["status"] != "down" {
		t.Fatalf("health = %d %v", st, out)
	}
	st, out := call(t, "POST", p.URL+"/api/agent/flags", `{"lanlan_name":"Lan","flags":{"computer_use_enabled":true}}`)
	mu.Lock()
	defer mu.Unlock()
	if st != 502 || out["success"] != false || len(calls) != 1 || calls[0].agentOn == nil || *calls[0].agentOn {
		t.Fatalf("flags with agent down = %d %v, OnFlags %+v", st, out, calls)
	}
	if st, _ := call(t, "GET", p.URL+"/api/agent/tasks", ""); st != 502 {
		t.Fatalf("tasks with agent down = %d", st)
	}
}

func TestBadHTTPInput(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	for _, c := range []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/agent/flags", `{"mcp_enabled":`, 400},
		{"POST", "/agent/flags", `{"mcp_enabled":"yes"}`, 400},
		{"POST", "/agent/flags", `{"x":"` + strings.Repeat("a", 300<<10) + `"}`, 413},
		{"POST", "/agent/command", `{"command":"format_disk"}`, 400},
		{"POST", "/agent/command", `{"command":"set_flag","key":"root","value":true}`, 400},
		{"POST", "/admin/control", `{"action":"explode"}`, 400},
		{"PUT", "/mcp/servers/bad%20name", `{"command":"node"}`, 400},
		{"PUT", "/mcp/servers/ok", `{"url":"file:///etc/passwd"}`, 400},
		{"DELETE", "/mcp/servers/missing", ``, 404},
		{"POST", "/mcp/servers/missing/enabled", `{"enabled":true}`, 404},
		{"POST", "/computer_use/run", `{}`, 400},
		{"POST", "/browser_use/run", `{"instruction":"x"}`, 403},
		{"POST", "/computer_use/approvals/x", `{}`, 400},
		{"POST", "/plugin/execute", `{}`, 501},
	} {
		if st, out := h.do(c.method, c.path, c.body); st != c.want {
			t.Errorf("%s %s %.40q = %d %v, want %d", c.method, c.path, c.body, st, out, c.want)
		}
	}
}

func TestRegistryExpiresFinishedTasks(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	h := newHarness(t, harnessOpts{now: clock})
	h.mustOK("POST", "/agent/command", map[string]any{"command": "set_agent_enabled", "enabled": true})
	h.mustOK("POST", "/agent/flags", map[string]any{"mcp_enabled": true})
	h.script(script{analyzer: text(`{"tasks":["do a thing"]}`), planner: text(`{"method":"teleport"}`)})
	h.analyze <- analyzeReq("Lan", "do a thing")
	res := h.wait(isResult)
	if !strings.Contains(res.ErrorMessage, `unknown method "teleport"`) {
		t.Fatalf("result = %s", mustJSON(res))
	}
	if _, list := h.do("GET", "/tasks", nil); len(list["tasks"].([]any)) != 1 {
		t.Fatalf("tasks = %v", list)
	}
	mu.Lock()
	now = now.Add(4 * time.Minute)
	mu.Unlock()
	if _, list := h.do("GET", "/tasks", nil); len(list["tasks"].([]any)) != 1 {
		t.Fatal("expired too early")
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	if _, list := h.do("GET", "/tasks", nil); len(list["tasks"].([]any)) != 0 {
		t.Fatalf("not expired after 6 min: %v", list)
	}
}
