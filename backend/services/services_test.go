package services_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"neko/backend/launcher"
	"neko/backend/services"
	"neko/backend/testutil/servertest"
)

func TestMain(m *testing.M) { servertest.Main(m, "NEKO_TEST_CHILD_ARGS") }

func zeroPorts() services.Ports { return services.Ports{} }

type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *logBuf) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func startAll(t *testing.T, o services.Options) (*services.Services, *logBuf, *logBuf) {
	t.Helper()
	logs, events := &logBuf{}, &logBuf{}
	if o.DataRoot == "" {
		o.DataRoot = t.TempDir()
	}
	o.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	o.Events = services.NewEvents(events)
	s, err := services.Start(context.Background(), o)
	if err != nil {
		t.Fatalf("start: %v\n%s", err, logs)
	}
	return s, logs, events
}

func health(t *testing.T, port int) map[string]any {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/health", port))
	if err != nil {
		t.Fatalf("health %d: %v", port, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out
}

func TestStartHealthAndOrderedShutdown(t *testing.T) {
	s, logs, events := startAll(t, services.Options{Ports: zeroPorts(), InstanceID: "abc"})
	for svc, port := range map[string]int{"main": s.Ports.Main, "memory": s.Ports.Memory, "agent": s.Ports.Agent} {
		h := health(t, port)
		if h["app"] != "N.E.K.O" || h["service"] != svc || h["status"] != "ok" || h["instance_id"] != "abc" {
			t.Errorf("%s health = %v", svc, h)
		}
	}
	if _, ok := health(t, s.Ports.Agent)["agent_flags"]; !ok {
		t.Error("agent health lacks agent_flags")
	}
	ev := events.String()
	for _, e := range []string{"startup_begin", "port_plan", "startup_ready"} {
		if !strings.Contains(ev, `"event":"`+e+`"`) {
			t.Errorf("event %s missing:\n%s", e, ev)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(ev), "\n") {
		var m map[string]any
		if !strings.HasPrefix(line, "NEKO_EVENT ") || json.Unmarshal([]byte(strings.TrimPrefix(line, "NEKO_EVENT ")), &m) != nil || m["source"] != "neko_launcher" {
			t.Errorf("bad event line %q", line)
		}
	}
	// A request memory is still reading holds its shutdown for a while, as
	// a slow summary does: nothing may warn meanwhile.
	slow, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.Ports.Memory))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := slow.Write([]byte("GET /health HTTP/1.1\r\n")); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(1500*time.Millisecond, func() { slow.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("warnings during an orderly shutdown:\n%s", logs)
	}
	var order []string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `msg="server stopped"`) {
			for _, svc := range []string{"main", "memory", "agent"} {
				if strings.Contains(line, "service="+svc) {
					order = append(order, svc)
				}
			}
		}
	}
	if strings.Join(order, ",") != "main,memory,agent" {
		t.Fatalf("shutdown order = %v", order)
	}
	if _, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/health", s.Ports.Main)); err == nil {
		t.Error("main still answers after shutdown")
	}
}

func TestPortsFromEnvAndFlags(t *testing.T) {
	env := map[string]string{"NEKO_MAIN_SERVER_PORT": "5001", "NEKO_MEMORY_SERVER_PORT": "5002", "NEKO_TOOL_SERVER_PORT": "5003",
		"NEKO_ZMQ_SESSION_PUB_PORT": "5004", "NEKO_ZMQ_AGENT_PUSH_PORT": "5005", "NEKO_ZMQ_ANALYZE_PUSH_PORT": "5006"}
	o, err := launcher.Parse(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if o.Ports != (services.Ports{5001, 5002, 5003, 5004, 5005, 5006}) {
		t.Errorf("env ports = %+v", o.Ports)
	}
	o, _ = launcher.Parse([]string{"serve", "--main-port", "6001", "--zmq-analyze-port", "6006"}, func(k string) string { return env[k] })
	if o.Ports.Main != 6001 || o.Ports.AnalyzePush != 6006 || o.Ports.Memory != 5002 {
		t.Errorf("flag ports = %+v", o.Ports)
	}
	o, _ = launcher.Parse(nil, func(string) string { return "" })
	if o.Ports != services.DefaultPorts() || o.Ports.Main != 48911 || o.Ports.AnalyzePush != 48963 {
		t.Errorf("defaults = %+v", o.Ports)
	}
	if _, err := launcher.Parse(nil, func(k string) string {
		if k == "NEKO_MAIN_SERVER_PORT" {
			return "99999"
		}
		return ""
	}); err == nil || !strings.Contains(err.Error(), "NEKO_MAIN_SERVER_PORT") {
		t.Errorf("bad env port: %v", err)
	}
	if _, err := launcher.Parse([]string{"--only", "x"}, os.Getenv); err != nil {
		t.Fatal(err) // parsed; rejected by Start
	}
	if _, err := services.Start(context.Background(), services.Options{Only: "x", DataRoot: t.TempDir()}); err == nil {
		t.Error("--only x accepted")
	}
}

func TestConflictWithAnotherNeko(t *testing.T) {
	first, _, _ := startAll(t, services.Options{Ports: zeroPorts()})
	defer first.Shutdown(context.Background())

	_, err := services.Start(context.Background(), services.Options{Ports: first.Ports, DataRoot: t.TempDir()})
	var ar *services.AlreadyRunningError
	if !errors.As(err, &ar) || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("err = %v", err)
	}
	s, _, events := startAll(t, services.Options{Ports: first.Ports, Attach: true})
	if !s.Attached || !strings.Contains(events.String(), `"attached":true`) {
		t.Fatalf("attach: %v %s", s.Attached, events)
	}
	_ = s.Shutdown(context.Background())
	// The first instance is untouched.
	if h := health(t, first.Ports.Main); h["status"] != "ok" {
		t.Fatal("first instance broken")
	}
}

func TestConflictWithForeignListener(t *testing.T) {
	foreign, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer foreign.Close()
	go func() { // a foreign program that speaks something else
		for {
			c, err := foreign.Accept()
			if err != nil {
				return
			}
			_, _ = io.WriteString(c, "SSH-2.0-OpenSSH\r\n")
			c.Close()
		}
	}()
	port := foreign.Addr().(*net.TCPAddr).Port
	_, err = services.Start(context.Background(), services.Options{Ports: services.Ports{Main: port}, DataRoot: t.TempDir()})
	var pe *services.PortInUseError
	if !errors.As(err, &pe) || pe.Port != port || !strings.Contains(err.Error(), fmt.Sprint(port)) || !strings.Contains(err.Error(), "--port-fallback") {
		t.Fatalf("err = %v", err)
	}
	s, _, events := startAll(t, services.Options{Ports: services.Ports{Main: port}, PortFallback: true})
	defer s.Shutdown(context.Background())
	if s.Ports.Main == port || s.Ports.Main < port || s.Ports.Main > port+100 {
		t.Errorf("fallback port %d not the nearest free one after %d", s.Ports.Main, port)
	}
	if !strings.Contains(events.String(), `"fallbacks":{"main":[`+fmt.Sprint(port)) {
		t.Errorf("plan does not show the fallback: %s", events)
	}
	if h := health(t, s.Ports.Main); h["service"] != "main" {
		t.Errorf("health on fallback port: %v", h)
	}
}

func TestMutationsNeedToken(t *testing.T) {
	s, _, _ := startAll(t, services.Options{Ports: zeroPorts()})
	defer s.Shutdown(context.Background())
	url := fmt.Sprintf("http://127.0.0.1:%d/api/characters/clear_voice_ids", s.Ports.Main)
	resp, err := http.Post(url, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("POST without token: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("POST", url, strings.NewReader("{}"))
	req.Header.Set("X-Neko-Token", s.Token())
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST with token: %d", resp.StatusCode)
	}
	// The memory server refuses callers without the instance token.
	resp, err = http.Get(fmt.Sprintf("http://127.0.0.1:%d/anything", s.Ports.Memory))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 && resp.StatusCode != 403 {
		t.Fatalf("memory without instance token: %d", resp.StatusCode)
	}
	// The page's CSRF token is not the instance token: a page cannot reach
	// the memory or agent server; the instance token can.
	for _, port := range []int{s.Ports.Memory, s.Ports.Agent} {
		// /health answers anyone (a second launch fingerprints it); a route
		// that does not exist tells the guard's verdict apart: 403 before
		// the mux, 404 after it.
		for tok, want := range map[string]int{s.Token(): 403, s.InstanceToken(): 404} {
			req, _ := http.NewRequest("GET", fmt.Sprintf("http://127.0.0.1:%d/no-such-route", port), nil)
			req.Header.Set("X-Neko-Instance", tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("port %d with the %s token: %d, want %d", port, map[bool]string{true: "CSRF", false: "instance"}[tok == s.Token()], resp.StatusCode, want)
			}
		}
	}
}

// The instance token is new at each launch of the whole app, and split-mode
// processes on the same data folder share the stored one.
func TestInstanceTokenPerLaunch(t *testing.T) {
	data := t.TempDir()
	a, _, _ := startAll(t, services.Options{Ports: zeroPorts(), DataRoot: data})
	first := a.InstanceToken()
	if first == "" || first == a.Token() {
		t.Fatalf("instance token %q (CSRF %q)", first, a.Token())
	}
	a.Shutdown(context.Background())
	b, _, _ := startAll(t, services.Options{Ports: zeroPorts(), DataRoot: data})
	second := b.InstanceToken()
	b.Shutdown(context.Background())
	if second == first {
		t.Fatal("instance token did not change between launches")
	}
	c, _, _ := startAll(t, services.Options{Ports: zeroPorts(), DataRoot: data, Only: "memory"})
	defer c.Shutdown(context.Background())
	if c.InstanceToken() != second {
		t.Fatal("a split-mode process does not share the stored instance token")
	}
}

// Split mode: the agent runs as its own process; killing and restarting it
// leaves main serving, and the bridge heals within 2 s of the restart.
func TestSplitModeAgentRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	data := t.TempDir()
	main, _, _ := startAll(t, services.Options{Ports: zeroPorts(), Only: "main", DataRoot: data})
	defer main.Shutdown(context.Background())
	agentPort := freePort(t)
	args := fmt.Sprintf("serve --only agent --data %s --agent-port %d --zmq-session-port %d --zmq-agent-port %d --zmq-analyze-port %d",
		data, agentPort, main.Ports.SessionPub, main.Ports.AgentPush, main.Ports.AnalyzePush)
	spawn := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "NEKO_TEST_CHILD_ARGS="+args)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	waitAgent := func(d time.Duration) time.Duration {
		t0 := time.Now()
		for time.Since(t0) < d {
			if main.AgentConnected() {
				return time.Since(t0)
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("agent not connected over the bridge after %v", d)
		return 0
	}
	a1 := spawn()
	waitAgent(10 * time.Second)
	_ = a1.Process.Kill()
	_ = a1.Wait()
	if h := health(t, main.Ports.Main); h["status"] != "ok" {
		t.Fatal("main died with the agent")
	}
	a2 := spawn()
	defer func() { _ = a2.Process.Signal(os.Interrupt); _ = a2.Wait() }()
	// Process start-up is not the bridge's doing: wait for the new agent's
	// HTTP server, then give the bridge 2 s.
	for i := 0; i < 500; i++ {
		if _, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/health", agentPort)); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	healed := waitAgent(2 * time.Second)
	t.Logf("bridge healed %v after the restarted agent came up", healed)
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// A secret that reaches a GET reply by a path no handler masks (here a key a
// user pasted into a character's profile) is still masked by the main
// server's safety net.
func TestGetRepliesMaskSecrets(t *testing.T) {
	data := t.TempDir()
	const key = "sk-profile-secret-0123456789abcdef"
	chars := `{"主人":{"档案名":"哥哥"},"猫娘":{"小天":{"性别":"女","my_api_key":"` + key + `"}},"当前猫娘":"小天"}`
	if err := os.MkdirAll(filepath.Join(data, "config"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "config", "characters.json"), []byte(chars), 0o600); err != nil {
		t.Fatal(err)
	}
	s, _, _ := startAll(t, services.Options{Ports: zeroPorts(), DataRoot: data})
	defer s.Shutdown(context.Background())
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/api/characters", s.Ports.Main))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "小天") {
		t.Fatalf("GET /api/characters: %d %s", resp.StatusCode, body)
	}
	if strings.Contains(string(body), key) || !strings.Contains(string(body), "cdef") {
		t.Fatalf("the key is not masked (or the field is gone): %s", body)
	}
}
