package agent_test

import (
	"strings"
	"testing"

	"neko/backend/agent/internal/mcptest"
	"neko/backend/bridge"
	"neko/backend/llm/llmtest"
)

func (h *harness) enableMCP() {
	h.t.Helper()
	entry := mcptest.Everything(h.t)
	h.mustOK("PUT", "/mcp/servers/everything", map[string]any{"command": mcptest.Node(h.t), "args": []string{entry, "stdio"}})
	// Start the server now (the tool list is cached), and check the route.
	tools := h.mustOK("GET", "/mcp/tools", nil)
	if !strings.Contains(mustJSON(tools["tools"]), `"name":"echo"`) {
		h.t.Fatalf("tools = %v", tools)
	}
	h.mustOK("POST", "/agent/command", map[string]any{"command": "set_agent_enabled", "enabled": true})
	h.mustOK("POST", "/agent/flags", map[string]any{"mcp_enabled": true})
}

func TestAnalyzeToMCPResult(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.enableMCP()
	h.script(script{
		analyzer: text("```json\n{\"tasks\":[\"echo the words hello neko\"],\"reason\":\"user asked\"}\n```"),
		planner: func(req llmtest.ChatRequest) llmtest.ChatReply {
			if !strings.Contains(req.LastUser(), `tool="echo"`) || !req.JSONMode {
				return llmtest.ChatReply{Text: `{"method":"none","reason":"tools missing from the prompt"}`}
			}
			return llmtest.ChatReply{Text: `{"method":"mcp","reason":"echo tool","calls":[{"server":"everything","tool":"echo","arguments":{"message":"hello neko"}}]}`}
		},
		summary: func(req llmtest.ChatRequest) llmtest.ChatReply {
			if !strings.Contains(req.LastUser(), "Echo: hello neko") || !strings.Contains(req.LastUser(), `"language":"en"`) {
				return llmtest.ChatReply{Text: `{"summary":"wrong input"}`}
			}
			return llmtest.ChatReply{Text: `{"summary":"I echoed it: Echo: hello neko"}`}
		},
	})
	h.analyze <- analyzeReq("Lan", "hi", "hello!", "please echo hello neko for me")
	queued := h.wait(taskStatus("queued"))
	if queued.Name() != "Lan" || queued.Task.Type != "mcp" || queued.Task.Params["instruction"] != "echo the words hello neko" {
		t.Fatalf("queued = %s", mustJSON(queued))
	}
	h.wait(taskStatus("running"))
	done := h.wait(taskStatus("completed"))
	res := h.wait(isResult)
	if res.TaskID != done.Task.ID || res.Channel != "mcp" || res.Status != "completed" || res.Success == nil || !*res.Success ||
		res.Detail != "Echo: hello neko" || res.Summary != "I echoed it: Echo: hello neko" || res.Text != res.Summary || res.Name() != "Lan" {
		t.Fatalf("result = %s", mustJSON(res))
	}
	_, task := h.do("GET", "/tasks/"+res.TaskID, nil)
	if task["status"] != "completed" || task["result"] != "Echo: hello neko" {
		t.Fatalf("task = %v", task)
	}
	// The same user turn again (an assistant-only turn end) triggers nothing.
	before := len(h.llm.Requests())
	h.analyze <- analyzeReq("Lan", "hi", "hello!", "please echo hello neko for me")
	h.analyze <- analyzeReq("Lan", "hi", "hello!", "please echo hello neko for me")
	h.sync()
	_, list := h.do("GET", "/tasks", nil)
	if n := len(list["tasks"].([]any)); n != 1 || len(h.llm.Requests()) != before {
		t.Fatalf("repeat turn ran again: %d tasks, %d→%d requests", n, before, len(h.llm.Requests()))
	}
}

func TestBadModelJSONFailsClearlyAndKeepsServing(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.enableMCP()
	h.script(script{analyzer: text("I think the user wants something, not sure")})
	h.analyze <- analyzeReq("Lan", "open my notes")
	n := h.wait(func(ev bridge.Event) bool { return ev.EventType == bridge.TypeAgentNotification })
	if n.Status != "error" || !strings.Contains(n.ErrorMessage, "not valid JSON") {
		t.Fatalf("notification = %s", mustJSON(n))
	}
	// Planner answers garbage: a failed task with the reason.
	h.script(script{
		analyzer: text(`{"tasks":["add 2 and 3"]}`),
		planner:  text(`{"method":"mcp","calls":[{"server":"everything","tool":"launch_rockets","arguments":{}}]}`),
	})
	h.analyze <- analyzeReq("Lan", "add 2 and 3 please")
	res := h.wait(isResult)
	if res.Status != "failed" || !strings.Contains(res.ErrorMessage, "unknown tool everything/launch_rockets") || *res.Success {
		t.Fatalf("result = %s", mustJSON(res))
	}
	if !strings.Contains(res.Summary, "failed") {
		t.Fatalf("fallback summary = %q", res.Summary)
	}
	// And a good turn still works afterwards.
	h.script(script{
		analyzer: text(`{"tasks":["add 2 and 40"]}`),
		planner:  text(`{"method":"mcp","calls":[{"server":"everything","tool":"get-sum","arguments":{"a":2,"b":40}}]}`),
		summary:  text(`{"summary":"2 + 40 = 42"}`),
	})
	h.analyze <- analyzeReq("Lan", "add 2 and 40")
	res = h.wait(isResult)
	if res.Status != "completed" || !strings.Contains(res.Detail, "42") {
		t.Fatalf("result = %s", mustJSON(res))
	}
}

func TestCrashingMCPServerFailsTask(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.enableMCP()
	node := mcptest.Node(t)
	entry := mcptest.Everything(t)
	// A wrapper that serves until the first tools/call, then dies.
	killer := `const {spawn}=require('child_process');const c=spawn(process.execPath,[process.argv[1],'stdio'],{stdio:['pipe','pipe','inherit']});` +
		`process.stdin.on('data',d=>{if(d.toString().includes('"tools/call"')){console.error('crashed on purpose');process.exit(7)}c.stdin.write(d)});c.stdout.pipe(process.stdout);`
	h.mustOK("PUT", "/mcp/servers/flaky", map[string]any{"command": node, "args": []string{"-e", killer, entry}})
	h.script(script{
		analyzer: text(`{"tasks":["echo boom"]}`),
		planner:  text(`{"method":"mcp","calls":[{"server":"flaky","tool":"echo","arguments":{"message":"boom"}}]}`),
		summary:  text(`{"summary":"it broke"}`),
	})
	h.analyze <- analyzeReq("Lan", "echo boom")
	res := h.wait(isResult)
	if res.Status != "failed" || !strings.Contains(res.ErrorMessage, "flaky/echo") {
		t.Fatalf("result = %s", mustJSON(res))
	}
	st, servers := h.do("GET", "/mcp/servers", nil)
	if st != 200 || len(servers["servers"].([]any)) != 2 {
		t.Fatalf("servers = %v", servers)
	}
}

func TestPowersOffByDefault(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	_, flags := h.do("GET", "/agent/flags", nil)
	f := flags["agent_flags"].(map[string]any)
	for k, v := range f {
		if v != false {
			t.Errorf("%s = %v by default", k, v)
		}
	}
	if flags["analyzer_enabled"] != false {
		t.Fatal("analyzer on by default")
	}
	h.script(script{analyzer: text(`{"tasks":["x"]}`)})
	h.analyze <- analyzeReq("Lan", "do something")
	h.analyze <- analyzeReq("Lan", "do something else")
	h.sync()
	if n := len(h.llm.Requests()); n != 0 {
		t.Fatalf("%d LLM calls with everything off", n)
	}
	st, out := h.do("POST", "/computer_use/run", map[string]any{"instruction": "click"})
	if st != 403 {
		t.Fatalf("computer_use/run with power off = %d %v", st, out)
	}
}

func TestGateWithoutModels(t *testing.T) {
	h := newHarness(t, harnessOpts{noModel: true})
	_, out := h.do("POST", "/agent/flags", map[string]any{"mcp_enabled": true, "browser_use_enabled": true})
	if out["success"] != false || !strings.Contains(mustJSON(out["reasons"]), "NOT_CONFIGURED") {
		t.Fatalf("flags = %v", out)
	}
	if f := out["agent_flags"].(map[string]any); f["mcp_enabled"] != false {
		t.Fatalf("flags left on: %v", f)
	}
	_, out = h.do("GET", "/agent/flags", nil)
	if out["notification"] == nil || out["agent_api_gate"].(map[string]any)["ready"] != false {
		t.Fatalf("flags = %v", out)
	}
	_, out = h.do("GET", "/agent/flags", nil)
	if out["notification"] != nil {
		t.Fatal("notification not read-once")
	}
	_, out = h.do("POST", "/agent/command", map[string]any{"command": "set_agent_enabled", "enabled": true})
	if out["success"] != false {
		t.Fatalf("analyzer enabled without a model: %v", out)
	}
}
