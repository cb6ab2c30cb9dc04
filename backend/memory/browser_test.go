package memory_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"neko/backend/memory"
)

type reviewFlag struct{ on bool }

func (f *reviewFlag) AutoReview() bool           { return f.on }
func (f *reviewFlag) SetAutoReview(v bool) error { f.on = v; return nil }

func TestMainBrowserRouterAndClient(t *testing.T) {
	e := newEnv(t, false, false)
	client := memory.NewClient(e.ts.URL)
	flag := &reviewFlag{on: true}
	mux := http.NewServeMux()
	mux.Handle(memory.BrowserPrefix, memory.NewBrowserHandler(client, flag, nil))
	main := httptest.NewServer(mux)
	defer main.Close()
	call := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, main.URL+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	ctx := t.Context()
	if n, err := client.Cache(ctx, "小白", nil); err != nil || n != 0 {
		t.Fatalf("empty cache: %d %v", n, err)
	}
	if _, err := e.srv.Cache(ctx, "小白", nil); err != nil {
		t.Fatal(err)
	}
	code, body := call("POST", "/api/memory/recent_file/save", `{"filename":"recent_小白.json","chat":[{"role":"system","text":"先前对话的备忘录: 无。"},{"role":"human","text":"hi"},{"role":"ai","text":"hello"}]}`)
	if code != 200 || !strings.Contains(body, `"need_refresh":true`) || !strings.Contains(body, `"catgirl_name":"小白"`) {
		t.Fatalf("save: %d %s", code, body)
	}
	code, body = call("GET", "/api/memory/recent_files", "")
	if code != 200 || body != `{"files":["recent_小白.json"]}`+"\n" {
		t.Fatalf("recent_files: %s", body)
	}
	code, body = call("GET", "/api/memory/recent_file?filename=recent_小白.json", "")
	var rf struct {
		Content string `json:"content"`
	}
	json.Unmarshal([]byte(body), &rf)
	if code != 200 || !strings.Contains(rf.Content, `"type":"human"`) || !strings.Contains(rf.Content, "hello") {
		t.Fatalf("recent_file: %s", body)
	}
	for _, bad := range []string{"../x.json", "recent_../../etc.json", "recent_a/b.json", "other.json"} {
		if code, _ := call("GET", "/api/memory/recent_file?filename="+bad, ""); code != 400 {
			t.Errorf("filename %q accepted: %d", bad, code)
		}
	}
	text, err := client.NewDialog(ctx, "小白")
	if err != nil || !strings.Contains(text, "哥哥 | hi") || !strings.Contains(text, "SYSTEM_MESSAGE | 先前对话的备忘录: 无。") {
		t.Fatalf("client new_dialog: %v %s", err, text)
	}
	// Browser API through the main router.
	code, body = call("PUT", "/api/memory/小白/recent/1", `{"text":"hi there"}`)
	if code != 200 {
		t.Fatalf("forward edit: %d %s", code, body)
	}
	if code, body = call("GET", "/api/memory/小白/recent", ""); !strings.Contains(body, "hi there") {
		t.Fatalf("forward list: %d %s", code, body)
	}
	if code, _ = call("GET", "/api/memory/小白/archive/bogus", ""); code != 400 {
		t.Fatalf("upstream 400 not passed through: %d", code)
	}
	// Review switch.
	if _, body = call("POST", "/api/memory/review_config", `{"enabled":false}`); !strings.Contains(body, `"enabled":false`) || flag.on {
		t.Fatalf("review_config set: %s", body)
	}
	if _, body = call("GET", "/api/memory/review_config", ""); !strings.Contains(body, `"enabled":false`) {
		t.Fatalf("review_config get: %s", body)
	}
	// Rename moves the memory.
	if code, body = call("POST", "/api/memory/update_catgirl_name", `{"old_name":"小白","new_name":"小黑"}`); code != 200 {
		t.Fatalf("rename: %d %s", code, body)
	}
	if text, _ := client.RecentHistory(ctx, "小黑"); !strings.Contains(text, "hi there") {
		t.Fatalf("renamed memory: %s", text)
	}
	if cancelled, err := client.CancelCorrection(ctx, "小黑"); err != nil || cancelled {
		t.Fatalf("cancel: %v %v", cancelled, err)
	}
	if err := client.Settle(ctx, "小黑"); err != nil {
		t.Fatal(err)
	}
	if s, err := client.SearchForMemory(ctx, "小黑", "hi there"); err != nil || !strings.Contains(s, "hi there") {
		t.Fatalf("search: %v %s", err, s)
	}
	if _, err := client.NewDialog(ctx, "../etc"); !memory.IsStatus(err, 400) && !memory.IsStatus(err, 404) {
		t.Fatalf("bad name via client: %v", err)
	}
}
