package faults_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"neko/backend/config"
	"neko/backend/llm/llmtest"
	"neko/backend/services"
	"neko/backend/tts/ttstest"
)

// blockingMCP is a real MCP server (streamable HTTP) with one tool, "wait",
// that does not return until its caller goes away: a task that is still
// running when the agent process is killed.
func blockingMCP(t *testing.T) (url string, started <-chan struct{}) {
	t.Helper()
	srv := mcp.NewServer(&mcp.Implementation{Name: "faults", Version: "1"}, nil)
	ch := make(chan struct{}, 8)
	release := make(chan struct{})
	type in struct {
		Signal string `json:"signal" jsonschema:"the signal to wait for"`
	}
	mcp.AddTool(srv, &mcp.Tool{Name: "wait", Description: "waits for a signal"},
		func(ctx context.Context, _ *mcp.CallToolRequest, _ in) (*mcp.CallToolResult, any, error) {
			ch <- struct{}{}
			select { // the caller disconnected (the agent died) or the test ended
			case <-ctx.Done():
				return nil, nil, ctx.Err()
			case <-release:
				return nil, nil, errors.New("test over")
			}
		})
	// Stateless: each call lives in its HTTP request, so the call ends
	// when the agent's connection does.
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, &mcp.StreamableHTTPOptions{Stateless: true})
	hs := httptest.NewServer(h)
	t.Cleanup(func() { close(release); hs.CloseClientConnections(); hs.Close() })
	return hs.URL, ch
}

// agentProvider scripts the models of the agent and the conversation: a
// request to "wait for the signal" becomes one MCP call of the blocking
// tool; every analyzer request's latest line is recorded.
type agentProvider struct {
	*llmtest.Server
	mu       sync.Mutex
	analyzed []string
}

func (p *agentProvider) sawAnalysis(line string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range p.analyzed {
		if strings.Contains(a, line) {
			return true
		}
	}
	return false
}

func newAgentProvider(t *testing.T) *agentProvider {
	p := &agentProvider{Server: llmtest.New(t)}
	p.ScriptChat(func(req llmtest.ChatRequest) llmtest.ChatReply {
		sys := ""
		if len(req.Messages) > 0 {
			sys = req.Messages[0].Content
		}
		switch {
		case strings.Contains(sys, "task analyzer"):
			latest, _, _ := strings.Cut(req.LastUser(), "\n")
			p.mu.Lock()
			p.analyzed = append(p.analyzed, latest)
			p.mu.Unlock()
			if strings.Contains(latest, "wait for the signal") {
				return llmtest.ChatReply{Text: `{"tasks":["wait for the signal"],"reason":"asked"}`}
			}
			return llmtest.ChatReply{Text: `{"tasks":[],"reason":"chat"}`}
		case strings.Contains(sys, "planner"):
			return llmtest.ChatReply{Text: `{"method":"mcp","calls":[{"server":"faults","tool":"wait","arguments":{"signal":"go"}}]}`}
		case strings.Contains(req.Messages[len(req.Messages)-1].Content, "❌"):
			// She is told a task failed (the agent callback).
			return llmtest.ChatReply{Chunks: []string{"Sorry, ", "that task failed."}}
		}
		return llmtest.ChatReply{Chunks: []string{"Sure, ", "I am ", "here."}}
	})
	return p
}

// configure writes core_config.json: every model role on the test
// provider, speech on an OpenAI-compatible test TTS server.
func configure(t testing.TB, data, providerURL string) {
	t.Helper()
	speech := ttstest.NewOpenAI(ttstest.Script{})
	t.Cleanup(speech.Close)
	store, err := config.Open(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	core := map[string]any{"coreApi": "openai", "coreApiKey": "sk-test", "enableCustomApi": true,
		"ttsModelUrl": speech.URL + "/v1", "ttsModelId": "tts-1", "ttsVoiceId": "alloy"}
	for _, role := range []string{"conversation", "summary", "agent"} {
		core[role+"ModelUrl"], core[role+"ModelId"], core[role+"ModelApiKey"] = providerURL, "test-model", "k"
	}
	if _, err := store.UpdateCore(core); err != nil {
		t.Fatal(err)
	}
}

// splitAgent runs `neko serve --only agent` as a real child process.
type splitAgent struct {
	t    *testing.T
	args string
	port int
	cmd  *exec.Cmd
	out  *logBuf
}

func (a *splitAgent) start() {
	a.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "NEKO_FAULTS_CHILD_ARGS="+a.args)
	a.out = &logBuf{}
	cmd.Stdout, cmd.Stderr = a.out, a.out
	if err := cmd.Start(); err != nil {
		a.t.Fatal(err)
	}
	a.cmd = cmd
	up := eventually(30*time.Second, func() bool {
		res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/health", a.port))
		if err == nil {
			res.Body.Close()
		}
		return err == nil
	})
	if !up {
		a.t.Fatalf("agent process did not come up:\n%s", a.out)
	}
}

func (a *splitAgent) kill() {
	_ = a.cmd.Process.Signal(syscall.SIGKILL)
	_ = a.cmd.Wait()
}

func (a *splitAgent) stop() {
	if a.cmd != nil && a.cmd.ProcessState == nil {
		_ = a.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = a.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			a.kill()
		}
	}
}

// enableAgent turns on the agent and its MCP channel through the main
// server's proxy, as the settings page does.
func enableAgent(t *testing.T, s *services.Services) {
	t.Helper()
	mustCall(t, s, "POST", "/api/agent/command", map[string]any{"command": "set_agent_enabled", "enabled": true})
	out := mustCall(t, s, "POST", "/api/agent/flags", map[string]any{"flags": map[string]any{"mcp_enabled": true}})
	if f, _ := out["agent_flags"].(map[string]any); f["mcp_enabled"] != true {
		t.Fatalf("MCP channel not enabled: %v", out)
	}
}

// Split mode: the agent is its own process and is SIGKILLed while a task
// runs. The page is told the task failed and why, chat goes on without the
// agent, and a restarted agent is back on the bridge within 2 s.
func TestAgentKilledMidTask(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	prov := newAgentProvider(t)
	mcpURL, toolStarted := blockingMCP(t)
	data := t.TempDir()
	configure(t, data, prov.BaseURL())

	memPort, agentPort := freePort(t), freePort(t)
	_, _, _ = start(t, services.Options{Only: "memory", DataRoot: data, Ports: services.Ports{Memory: memPort}})
	s, mainLog, _ := start(t, services.Options{Only: "main", DataRoot: data, Ports: services.Ports{Memory: memPort, Agent: agentPort}})
	agent := &splitAgent{t: t, port: agentPort, args: fmt.Sprintf(
		"serve --only agent --log-level debug --data %s --agent-port %d --memory-port %d --zmq-session-port %d --zmq-agent-port %d --zmq-analyze-port %d",
		data, agentPort, memPort, s.Ports.SessionPub, s.Ports.AgentPush, s.Ports.AnalyzePush)}
	agent.start()
	defer agent.stop()
	if !eventually(10*time.Second, s.AgentConnected) {
		t.Fatalf("bridge never connected:\n%s", agent.out)
	}
	mustCall(t, s, "PUT", "/api/agent/mcp/servers/faults", map[string]any{"url": mcpURL + "/", "type": "http"})
	enableAgent(t, s)

	p := openPage(t, s, "test")
	p.sayText("please wait for the signal")
	if got := p.reply(15 * time.Second); got != "Sure, I am here." {
		t.Fatalf("first reply %q", got)
	}
	t.Cleanup(func() {
		if t.Failed() {
			var sys []string
			for _, r := range prov.Requests() {
				if len(r.Messages) > 0 {
					sys = append(sys, strings.SplitN(r.Messages[0].Content, "\n", 2)[0])
				}
			}
			logs, _ := filepath.Glob(filepath.Join(config.NewPaths(data).Logs, "*"))
			for _, f := range logs {
				b, _ := os.ReadFile(f)
				t.Logf("log file %s:\n%s", f, b)
			}
			t.Logf("provider requests: %q", sys)
			t.Logf("agent process output:\n%s\nmain log (agent lines):\n%s", agent.out, grepLines(mainLog.String(), "agent")+grepLines(mainLog.String(), "analy"))
		}
	})
	running := p.task(30*time.Second, "the task running", nil, "running")
	select {
	case <-toolStarted:
	case <-time.After(15 * time.Second):
		t.Fatalf("the MCP tool was never called:\n%s", agent.out)
	}

	agent.kill()
	killed := time.Now()

	// (a) The task is reported failed, with a reason, by the same message
	// the agent would send, plus the error toast.
	failed := p.task(5*time.Second, "the task reported failed", running["id"], "failed")
	t.Logf("task %v reported failed %v after the kill: %v", failed["id"], time.Since(killed).Round(time.Millisecond), failed["error"])
	if reason, _ := failed["error"].(string); !strings.Contains(reason, "agent") || failed["end_time"] == nil || failed["type"] != "mcp" {
		t.Fatalf("failed task lacks a clear reason or end time: %v", failed)
	}
	p.waitFor(2*time.Second, "an error notification", func(m map[string]any) bool {
		return m["type"] == "agent_notification" && m["status"] == "failed" && strings.Contains(fmt.Sprint(m["text"]), "wait for the signal")
	})
	// The session is told too: she says so in her own words.
	if got := p.reply(15 * time.Second); got != "Sorry, that task failed." {
		t.Fatalf("her word on the failed task %q", got)
	}

	// (b) Chat goes on while the agent is down.
	p.sayText("are you still there?")
	if got := p.reply(15 * time.Second); got != "Sure, I am here." {
		t.Fatalf("reply while the agent is down %q", got)
	}
	if s.AgentConnected() {
		t.Fatal("the bridge claims a dead agent is connected")
	}

	// (c) A restarted agent is on the bridge within 2 s of its HTTP server
	// coming up, and acknowledges the next analyze request.
	agent.start()
	up := time.Now()
	if !eventually(2*time.Second, s.AgentConnected) {
		t.Fatalf("bridge not healed 2 s after the agent came back:\n%s", agent.out)
	}
	t.Logf("bridge healed %v after the restarted agent came up", time.Since(up).Round(time.Millisecond))
	enableAgent(t, s) // switches are not persisted by the agent (as in the original)
	if !eventually(5*time.Second, func() bool { return s.AgentConnected() }) {
		t.Fatal("agent dropped after enabling")
	}
	p.sayText("the agent is back, note this")
	if got := p.reply(15 * time.Second); got != "Sure, I am here." {
		t.Fatalf("reply after the restart %q", got)
	}
	if !eventually(5*time.Second, func() bool { return prov.sawAnalysis("the agent is back, note this") }) {
		t.Fatalf("the restarted agent never analysed the new turn:\n%s", agent.out)
	}
	if strings.Contains(mainLog.String(), "analyze request not acknowledged") {
		t.Fatalf("an analyze request went unacknowledged:\n%s", grepLines(mainLog.String(), "analyze"))
	}

	// Killed and restarted at once (the new agent may be up before the old
	// one's silence is noticed): the task is reported failed all the same.
	p.sayText("now wait for the signal once more")
	if got := p.reply(15 * time.Second); got != "Sure, I am here." {
		t.Fatalf("reply %q", got)
	}
	running = p.task(30*time.Second, "the second task running", nil, "running")
	select {
	case <-toolStarted:
	case <-time.After(15 * time.Second):
		t.Fatalf("the MCP tool was not called by the restarted agent:\n%s", agent.out)
	}
	agent.kill()
	killed = time.Now()
	agent.start()
	failed = p.task(5*time.Second, "the second task reported failed", running["id"], "failed")
	t.Logf("second task reported failed %v after the kill: %v", time.Since(killed).Round(time.Millisecond), failed["error"])
	if !eventually(2*time.Second, s.AgentConnected) {
		t.Fatal("bridge not healed after the quick restart")
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
