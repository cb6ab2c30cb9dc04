package agent_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"neko/backend/agent"
	"neko/backend/agent/browser"
	"neko/backend/llm/llmtest"
	"neko/backend/testutil"
)

func TestAnalyzeToBrowserUse(t *testing.T) {
	path := browser.FindChrome()
	if path == "" {
		path = "/usr/lib/chromium/chromium"
	}
	testutil.RequireFile(t, path)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>Weather</title><p>Tomorrow in Meowville: sunny, 23°C.</p>`)
	}))
	defer page.Close()
	h := newHarness(t, harnessOpts{cfg: func(c *agent.Config) {
		c.Browser = browser.Options{ExecPath: path, Headless: true}
	}})
	h.mustOK("POST", "/agent/command", map[string]any{"command": "set_agent_enabled", "enabled": true})
	h.mustOK("POST", "/agent/flags", map[string]any{"browser_use_enabled": true})
	h.llm.ScriptChat(func(req llmtest.ChatRequest) llmtest.ChatReply {
		sys, last := req.Messages[0].Content, req.LastUser()
		switch {
		case strings.Contains(sys, "task analyzer"):
			return llmtest.ChatReply{Text: `{"tasks":["查一下明天喵镇的天气"]}`}
		case strings.Contains(sys, "planner"):
			if strings.Contains(last, "- mcp") || !strings.Contains(last, "- browser_use") {
				return llmtest.ChatReply{Text: `{"method":"none"}`}
			}
			return llmtest.ChatReply{Text: `{"method":"browser_use","instruction":"open ` + page.URL + ` and read tomorrow's weather"}`}
		case strings.Contains(sys, "web browser"):
			if !strings.Contains(last, "URL: "+page.URL) {
				return llmtest.ChatReply{Text: `{"action":"navigate","url":"` + page.URL + `"}`}
			}
			return llmtest.ChatReply{Text: `{"action":"done","answer":"sunny, 23°C"}`}
		case strings.Contains(sys, "Summarise"):
			if !strings.Contains(last, `"language":"zh"`) {
				return llmtest.ChatReply{Text: `{"summary":"wrong language"}`}
			}
			return llmtest.ChatReply{Text: `{"summary":"明天喵镇晴，23°C。"}`}
		}
		return llmtest.ChatReply{Status: 500}
	})
	h.analyze <- analyzeReq("Lan", "明天喵镇天气怎么样？帮我查一下")
	res := h.wait(isResult)
	if res.Status != "completed" || res.Channel != "browser_use" || res.Detail != "sunny, 23°C" || res.Summary != "明天喵镇晴，23°C。" {
		t.Fatalf("result = %s", mustJSON(res))
	}
	// The synchronous endpoint drives the same browser.
	_, out := h.do("POST", "/browser_use/run", map[string]any{"instruction": "read the weather at " + page.URL, "lanlan_name": "Lan"})
	if out["success"] != true || out["result"] != "sunny, 23°C" {
		t.Fatalf("browser_use/run = %v", out)
	}
}
