package memory_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"neko/backend/llm/llmtest"
	"neko/backend/memory/msg"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func reviewRequests(e *env) int {
	n := 0
	for _, r := range e.llm.Requests() {
		if r.Model == "m-correction" {
			n++
		}
	}
	return n
}

func readRecent(t *testing.T, e *env, name string) []msg.Message {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(e.dir, "recent_"+name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	list, err := msg.ParseList(raw)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestReviewRewritesRecent(t *testing.T) {
	e := newEnv(t, true, false)
	scriptLLM(e, func(req llmtest.ChatRequest) llmtest.ChatReply {
		return llmtest.ChatReply{Text: "```json\n" + `{"修正说明":"删除重复","修正后的对话":[{"role":"哥哥","content":"我明天去东京"},{"role":"test","content":"一路顺风"}]}` + "\n```"}
	})
	e.do("POST", "/process/test", history(t, "user", "我明天去东京", "ai", "东京东京东京，一路顺风", "ai", "我是一个AI语言模型"))
	waitFor(t, "review result", func() bool { return len(readRecent(t, e, "test")) == 2 })
	got := readRecent(t, e, "test")
	if got[0].Role != msg.Human || got[1].Role != msg.AI || got[1].Text != "一路顺风" {
		t.Fatalf("reviewed recent: %+v", got)
	}
	if !strings.Contains(e.llm.Requests()[len(e.llm.Requests())-1].LastUser(), "哥哥: 我明天去东京") {
		t.Fatal("review prompt lacks the transcript lines")
	}
}

func TestReviewCancellation(t *testing.T) {
	e := newEnv(t, true, false)
	release := make(chan struct{})
	scriptLLM(e, func(req llmtest.ChatRequest) llmtest.ChatReply {
		<-release // a slow correction model
		return llmtest.ChatReply{Text: `{"修正说明":"x","修正后的对话":[{"role":"哥哥","content":"REWRITTEN"}]}`}
	})
	defer close(release)
	for i, cancel := range []func(){
		func() { // explicit cancel
			if code, body := e.do("POST", "/cancel_correction/test", ""); code != 200 || !strings.Contains(body, `"cancelled"`) {
				t.Fatalf("cancel_correction: %d %s", code, body)
			}
		},
		func() { // new_dialog cancels
			e.do("GET", "/new_dialog/test", "")
		},
		func() { // a browser edit cancels
			if code, body := e.do("PUT", "/memory/test/recent/0", `{"text":"edited by hand"}`); code != 200 {
				t.Fatalf("edit: %d %s", code, body)
			}
		},
	} {
		e.do("POST", "/process/test", history(t, "user", "turn "+itoa(i)))
		waitFor(t, "review request", func() bool { return reviewRequests(e) == i+1 })
		cancel()
		if code, body := e.do("POST", "/cancel_correction/test", ""); !strings.Contains(body, `"no_task"`) {
			t.Fatalf("review still running after cancel %d: %d %s", i, code, body)
		}
		for _, m := range readRecent(t, e, "test") {
			if m.Text == "REWRITTEN" {
				t.Fatalf("cancelled review wrote recent memory (case %d)", i)
			}
		}
	}
	got := readRecent(t, e, "test")
	if got[0].Text != "edited by hand" {
		t.Fatalf("edit lost: %+v", got)
	}
}

func TestExportImportForget(t *testing.T) {
	e := newEnv(t, true, false)
	scriptLLM(e, nil)
	e.do("POST", "/cache/test", history(t, "user", "My sister Lily moved to Toronto", "ai", "Exciting!"))
	e.do("POST", "/process/test", history(t, "user", "I play the cello"))
	code, exported := e.do("GET", "/memory/test/export", "")
	if code != 200 {
		t.Fatalf("export: %d %s", code, exported)
	}
	var ex struct {
		Format     string            `json:"format"`
		Recent     []json.RawMessage `json:"recent"`
		Original   []json.RawMessage `json:"original"`
		Compressed []json.RawMessage `json:"compressed"`
	}
	if err := json.Unmarshal([]byte(exported), &ex); err != nil || ex.Format != "neko-memory/1" || len(ex.Original) != 3 || len(ex.Compressed) != 1 || len(ex.Recent) != 3 {
		t.Fatalf("export doc: %v %s", err, exported)
	}
	if code, body := e.do("POST", "/memory/other/import", exported); code != 200 || !strings.Contains(body, `"imported":4`) {
		t.Fatalf("import: %d %s", code, body)
	}
	_, again := e.do("GET", "/memory/other/export", "")
	strip := func(s string) string { // the export time and name differ
		var m map[string]any
		json.Unmarshal([]byte(s), &m)
		delete(m, "exported_at")
		delete(m, "name")
		b, _ := json.Marshal(m)
		return string(b)
	}
	if strip(again) != strip(exported) {
		t.Fatalf("round trip differs:\n%s\n%s", exported, again)
	}
	// The imported archive is searchable.
	if _, body := e.do("GET", "/memory/other/search?q=where+does+my+sister+live", ""); !strings.Contains(body, "Toronto") {
		t.Fatalf("search after import: %s", body)
	}
	// Forget one original by id, then the whole session.
	_, list := e.do("GET", "/memory/other/archive/original?q=Toronto", "")
	var hits struct {
		Items []struct {
			ID        int64  `json:"id"`
			Text      string `json:"text"`
			SessionID string `json:"session_id"`
		} `json:"items"`
	}
	json.Unmarshal([]byte(list), &hits)
	if len(hits.Items) == 0 || !strings.Contains(hits.Items[0].Text, "Toronto") {
		t.Fatalf("archive search: %s", list)
	}
	body := `{"layer":"original","ids":[` + itoa(int(hits.Items[0].ID)) + `]}`
	if code, resp := e.do("POST", "/memory/other/forget", body); code != 200 || !strings.Contains(resp, `"deleted":1`) {
		t.Fatalf("forget: %d %s", code, resp)
	}
	if _, resp := e.do("GET", "/memory/other/search?q=Toronto+sister", ""); strings.Contains(resp, "Toronto") {
		t.Fatalf("forgotten text still recalled: %s", resp)
	}
	if code, resp := e.do("POST", "/memory/other/forget", `{"session_id":"`+hits.Items[0].SessionID+`"}`); code != 200 || !strings.Contains(resp, `"deleted":3`) {
		t.Fatalf("forget session: %d %s", code, resp)
	}
	if _, resp := e.do("GET", "/memory/other/timeframe", ""); resp != `{"compressed":[],"original":[]}`+"\n" {
		t.Fatalf("archive not empty after forgetting: %s", resp)
	}
}
