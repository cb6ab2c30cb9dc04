package memory_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"neko/backend/llm"
	"neko/backend/llm/llmtest"
	"neko/backend/memory"
	"neko/backend/memory/msg"
)

type chars struct{ names []string }

func (c chars) MasterName() string { return "哥哥" }
func (c chars) Names() []string    { return c.names }
func (c chars) Profile(n string) (map[string]any, bool) {
	return map[string]any{"性别": "女", "_reserved": map[string]any{"voice_id": "x"}, "system_prompt": "legacy"}, true
}

type env struct {
	t   *testing.T
	dir string
	srv *memory.Server
	ts  *httptest.Server
	llm *llmtest.Server
}

func newEnv(t *testing.T, withLLM, withEmbed bool) *env {
	t.Helper()
	return newEnvCfg(t, withLLM, withEmbed, nil)
}

func newEnvCfg(t *testing.T, withLLM, withEmbed bool, tweak func(*memory.Config)) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir()}
	e.llm = llmtest.New(t)
	deps := memory.Deps{Characters: chars{names: []string{"小白", "test", "other"}},
		Endpoint: func(role string) llm.Endpoint {
			if (role == memory.RoleEmbedding && withEmbed) || (role != memory.RoleEmbedding && withLLM) {
				return llm.Endpoint{BaseURL: e.llm.BaseURL(), Model: "m-" + role}
			}
			return llm.Endpoint{}
		}}
	cfg := memory.DefaultConfig(e.dir)
	cfg.EmbedInterval = 20 * time.Millisecond
	cfg.NoFsync = true // durability is TestCrashSafety's job; the shared test disk is slow
	if tweak != nil {
		tweak(&cfg)
	}
	srv, err := memory.New(cfg, deps, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	e.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		e.ts.Close()
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	return e
}

func (e *env) do(method, path, body string) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.ts.URL+path, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func history(t *testing.T, pairs ...string) string {
	var msgs []msg.Message
	for i := 0; i+1 < len(pairs); i += 2 {
		role := msg.Human
		if pairs[i] == "ai" {
			role = msg.AI
		}
		msgs = append(msgs, msg.Message{Role: role, Text: pairs[i+1]})
	}
	s, err := msg.InputHistory(msgs)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]string{"input_history": s})
	return string(b)
}

// scriptSummaries answers summary prompts with a JSON summary and review
// prompts with reply.
func scriptLLM(e *env, review func(req llmtest.ChatRequest) llmtest.ChatReply) {
	e.llm.ScriptChat(func(req llmtest.ChatRequest) llmtest.ChatReply {
		if req.Model == "m-correction" {
			if review != nil {
				return review(req)
			}
			return llmtest.ChatReply{Text: `{"修正说明":"无","修正后的对话":[]}`}
		}
		n := strings.Count(req.LastUser(), "\n")
		return llmtest.ChatReply{Text: `{"对话摘要": "摘要: 共` + itoa(n) + `行; 用户养了一只叫Mochi的猫"}`}
	})
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestCacheNewDialogAndSettleFix(t *testing.T) {
	e := newEnv(t, true, false)
	scriptLLM(e, nil)
	code, body := e.do("POST", "/cache/小白", history(t, "user", "我养了一只猫叫Mochi", "ai", "[20260312 Thu 21:05] 好可爱（笑）！"))
	if code != 200 || !strings.Contains(body, `"status":"cached"`) || !strings.Contains(body, `"count":2`) {
		t.Fatalf("cache: %d %s", code, body)
	}
	// recent_<name>.json is the LangChain list.
	raw, err := os.ReadFile(filepath.Join(e.dir, "recent_小白.json"))
	if err != nil || !strings.Contains(string(raw), `"type":"human"`) {
		t.Fatalf("recent file: %v %s", err, raw)
	}
	code, text := e.do("GET", "/new_dialog/小白", "")
	if code != 200 || !strings.Contains(text, "======以下是小白的内心活动======") || !strings.Contains(text, "哥哥 | 我养了一只猫叫Mochi") ||
		!strings.Contains(text, "小白 | 好可爱！") || !strings.Contains(text, `"性别":"女"`) || strings.Contains(text, "_reserved") || strings.Contains(text, "legacy") {
		t.Fatalf("new_dialog: %d\n%s", code, text)
	}
	if code, text := e.do("GET", "/new_dialog/nobody", ""); code != 200 || text != "" {
		t.Fatalf("unknown character: %d %q", code, text)
	}
	// The settle fix: a /process with an empty remainder still archives the
	// whole (already cached) session, originals and summary.
	code, body = e.do("POST", "/process/小白", history(t))
	if code != 200 || !strings.Contains(body, `"processed"`) {
		t.Fatalf("process: %d %s", code, body)
	}
	code, body = e.do("GET", "/memory/小白/archive/original", "")
	if code != 200 || !strings.Contains(body, "我养了一只猫叫Mochi") || !strings.Contains(body, `"total":2`) {
		t.Fatalf("archive originals: %s", body)
	}
	code, body = e.do("GET", "/memory/小白/archive/compressed", "")
	if code != 200 || !strings.Contains(body, "用户养了一只叫Mochi的猫") {
		t.Fatalf("archive summary: %s", body)
	}
	// /settle with nothing new is a no-op that succeeds.
	if code, body := e.do("POST", "/settle/小白", ""); code != 200 || !strings.Contains(body, "settled") {
		t.Fatalf("settle: %d %s", code, body)
	}
	if code, body := e.do("GET", "/memory/小白/archive/compressed", ""); !strings.Contains(body, `"total":1`) {
		t.Fatalf("empty settle added a summary: %d %s", code, body)
	}
	// Working semantic search.
	code, text = e.do("GET", "/search_for_memory/小白/Mochi", "")
	if code != 200 || !strings.Contains(text, "记忆片段1 |") || !strings.Contains(text, "Mochi") {
		t.Fatalf("search_for_memory: %d %s", code, text)
	}
	code, body = e.do("GET", "/get_settings/小白", "")
	if code != 200 || !strings.HasPrefix(body, "小白记得{") {
		t.Fatalf("get_settings: %s", body)
	}
	if code, body := e.do("GET", "/get_recent_history/小白", ""); code != 200 || !strings.Contains(body, "哥哥 | 我养了一只猫叫Mochi") {
		t.Fatalf("get_recent_history: %s", body)
	}
	if code, body := e.do("POST", "/reload", ""); code != 200 || !strings.Contains(body, `"success"`) {
		t.Fatalf("reload: %s", body)
	}
	if code, _ := e.do("POST", "/shutdown", ""); code != 403 {
		t.Fatalf("shutdown not refused: %d", code)
	}
}

func TestCompressionKeepsMemoPlusNine(t *testing.T) {
	e := newEnv(t, true, false)
	scriptLLM(e, nil)
	var pairs []string
	for i := 0; i < 8; i++ {
		pairs = append(pairs, "user", "第"+itoa(i)+"句", "ai", "回答"+itoa(i))
	}
	if code, body := e.do("POST", "/renew/test", history(t, pairs...)); code != 200 {
		t.Fatalf("renew: %d %s", code, body)
	}
	raw, _ := os.ReadFile(filepath.Join(e.dir, "recent_test.json"))
	list, err := msg.ParseList(raw)
	if err != nil || len(list) != 10 || list[0].Role != msg.System || !strings.HasPrefix(list[0].Text, msg.MemoPrefix+"摘要") {
		t.Fatalf("recent after compression (%v): %d %+v", err, len(list), list)
	}
	if list[9].Text != "回答7" {
		t.Fatalf("last message %q", list[9].Text)
	}
}

func TestBadInput(t *testing.T) {
	e := newEnv(t, false, false)
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/cache/小白", `{"input_history": "not json"}`},
		{"POST", "/cache/小白", `{bad`},
		{"POST", "/cache/..%2F..%2Fetc", history(t, "user", "x")},
		{"POST", "/cache/" + strings.Repeat("a", 51), history(t, "user", "x")},
		{"GET", "/memory/小白/archive/secret", ""},
		{"PUT", "/memory/小白/recent", `{"chat":[{"role":"wizard","text":"x"}]}`},
		{"POST", "/memory/小白/forget", `{}`},
		{"POST", "/memory/小白/import", `{"format":"other"}`},
	} {
		code, body := e.do(c.method, c.path, c.body)
		if code != 400 && code != 404 {
			t.Errorf("%s %s: %d %s", c.method, c.path, code, body)
		}
	}
	big := `{"input_history":"` + strings.Repeat("x", 9<<20) + `"}`
	if code, _ := e.do("POST", "/cache/小白", big); code != 413 {
		t.Errorf("huge body: %d", code)
	}
	// Nothing was written by the refused requests.
	if code, body := e.do("GET", "/memory/小白/recent", ""); code != 200 || body != `{"items":[]}`+"\n" {
		t.Errorf("recent after bad input: %s", body)
	}
}

func TestConcurrentCharacters(t *testing.T) {
	e := newEnv(t, false, false)
	var wg sync.WaitGroup
	for _, name := range []string{"test", "other", "小白"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 15; i++ {
				if code, body := e.do("POST", "/cache/"+name, history(t, "user", name+" says "+itoa(i))); code != 200 {
					t.Errorf("%s: %d %s", name, code, body)
				}
			}
		}()
	}
	wg.Wait()
	for _, name := range []string{"test", "other", "小白"} {
		_, body := e.do("GET", "/memory/"+name+"/archive/original?limit=100", "")
		if !strings.Contains(body, `"total":15`) || strings.Count(body, name+" says") != 15 {
			t.Errorf("%s archive: %s", name, body)
		}
	}
}
