package mainserver_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"neko/backend/config"
	"neko/backend/mainserver"
)

type fakeSessions struct {
	mu     sync.Mutex
	active map[string]bool
	sent   []string
	ended  []string
}

func (f *fakeSessions) Active(n string) bool { f.mu.Lock(); defer f.mu.Unlock(); return f.active[n] }
func (f *fakeSessions) Send(n string, msg any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, _ := json.Marshal(msg)
	f.sent = append(f.sent, n+" "+string(b))
}
func (f *fakeSessions) End(n string, by bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ended = append(f.ended, n)
}

var _ mainserver.Sessions = (*fakeSessions)(nil)

type env struct {
	t     *testing.T
	srv   *httptest.Server
	store *config.Store
	sess  *fakeSessions
}

func newEnv(t *testing.T) *env {
	t.Helper()
	store, err := config.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sess := &fakeSessions{active: map[string]bool{}}
	assets := fstest.MapFS{
		"index.html":             {Data: []byte("<!doctype html><html><head><title>neko</title></head><body></body></html>")},
		"assets/app-1234.js":     {Data: []byte("console.log(1)")},
		"static/vrm/default.vrm": {Data: []byte("glTF")},
	}
	s, err := mainserver.New(mainserver.Config{Token: "tok123"}, mainserver.Deps{Store: store, Assets: assets, Sessions: sess})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })
	return &env{t: t, srv: ts, store: store, sess: sess}
}

func (e *env) do(method, path string, body any) (int, map[string]any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

func TestCharacterLifecycle(t *testing.T) {
	e := newEnv(t)
	if code, out := e.do("POST", "/api/characters/catgirl", map[string]any{"档案名": "小天", "性别": "女", "voice_id": "sneaky"}); code != 200 {
		t.Fatalf("create: %d %v", code, out)
	}
	if code, _ := e.do("POST", "/api/characters/catgirl", map[string]any{"档案名": "小天"}); code != 400 {
		t.Fatalf("duplicate create: %d", code)
	}
	if code, _ := e.do("POST", "/api/characters/catgirl", map[string]any{"档案名": "../evil"}); code != 400 {
		t.Fatalf("path-like name accepted: %d", code)
	}
	ch, _ := e.store.Characters().Get("小天")
	if ch == nil || ch.Reserved.VoiceID != "" || ch.Profile.String("性别") != "女" {
		t.Fatalf("created character wrong: %+v", ch)
	}
	if code, out := e.do("PUT", "/api/characters/catgirl/小天", map[string]any{"昵称": "小T", "system_prompt": "hi {LANLAN_NAME}"}); code != 200 {
		t.Fatalf("update: %d %v", code, out)
	}
	if code, out := e.do("PUT", "/api/characters/catgirl/l2d/小天", map[string]any{"model_type": "live2d", "live2d": "mao_pro", "item_id": "123"}); code != 200 {
		t.Fatalf("bind: %d %v", code, out)
	}
	if code, out := e.do("PUT", "/api/characters/catgirl/小天/lighting", map[string]any{"lighting": map[string]any{"ambient": 5}}); code != 400 || !strings.Contains(out["error"].(string), "ambient") {
		t.Fatalf("bad lighting: %d %v", code, out)
	}
	e.sess.active["小天"] = true
	code, out := e.do("PUT", "/api/characters/catgirl/voice_id/小天", map[string]any{"voice_id": "v1"})
	if code != 200 || out["session_restarted"] != true || out["voice_id_changed"] != true {
		t.Fatalf("voice: %d %v", code, out)
	}
	ch, _ = e.store.Characters().Get("小天")
	if ch.Reserved.SystemPrompt != "hi {LANLAN_NAME}" || ch.Reserved.Avatar.AssetSourceID != "123" || ch.Reserved.VoiceID != "v1" || ch.Profile.String("昵称") != "小T" {
		t.Fatalf("after updates: %+v %v", ch.Reserved, ch.Profile.Keys())
	}
	// Switching away from a character in a voice session is refused.
	if code, _ := e.do("POST", "/api/characters/current_catgirl", map[string]any{"catgirl_name": "小天"}); code != 200 {
		t.Fatalf("switch to 小天: %d", code)
	}
	if code, _ := e.do("POST", "/api/characters/current_catgirl", map[string]any{"catgirl_name": "test"}); code != 400 {
		t.Fatalf("switch during voice session: %d", code)
	}
	e.sess.active["小天"] = false
	if code, _ := e.do("POST", "/api/characters/catgirl/小天/rename", map[string]any{"new_name": "大天"}); code != 200 {
		t.Fatalf("rename: %d", code)
	}
	if cur := e.store.Characters().Current; cur != "大天" {
		t.Fatalf("current after rename = %s", cur)
	}
	if code, _ := e.do("DELETE", "/api/characters/catgirl/大天", nil); code != 400 {
		t.Fatalf("deleting the current character: %d", code)
	}
	if code, _ := e.do("DELETE", "/api/characters/catgirl/test", nil); code != 200 {
		t.Fatalf("delete: %d", code)
	}
	if code, _ := e.do("DELETE", "/api/characters/catgirl/nobody", nil); code != 404 {
		t.Fatalf("delete unknown: %d", code)
	}
	// GET flattens for the old frontend.
	resp, _ := http.Get(e.srv.URL + "/api/characters/")
	var all map[string]map[string]map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&all)
	resp.Body.Close()
	if all["猫娘"]["大天"]["live2d"] != "mao_pro" || all["猫娘"]["大天"]["voice_id"] != "v1" {
		t.Fatalf("flattened: %v", all["猫娘"]["大天"])
	}
	if len(e.sess.sent) == 0 || !strings.Contains(strings.Join(e.sess.sent, "\n"), "catgirl_switched") {
		t.Errorf("no catgirl_switched sent: %v", e.sess.sent)
	}
}

func TestCoreAPISecretsNeverReturned(t *testing.T) {
	e := newEnv(t)
	key := "sk-proj-SECRETSECRETSECRET9876"
	if code, out := e.do("POST", "/api/config/core_api", map[string]any{"coreApi": "openai", "coreApiKey": key, "assistApiKeyQwen": "qwen-key-abcdefghijkl"}); code != 200 {
		t.Fatalf("post: %d %v", code, out)
	}
	resp, _ := http.Get(e.srv.URL + "/api/config/core_api")
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(raw), "SECRETSECRET") || strings.Contains(string(raw), "qwen-key") {
		t.Fatalf("secret leaked: %s", raw)
	}
	var got map[string]any
	_ = json.Unmarshal(raw, &got)
	// Re-posting the masked form keeps the stored key.
	if code, _ := e.do("POST", "/api/config/core_api", map[string]any{"coreApi": "openai", "coreApiKey": got["coreApiKey"]}); code != 200 {
		t.Fatal("repost failed")
	}
	if e.store.Core().String("coreApiKey") != key {
		t.Fatal("masked placeholder overwrote the key")
	}
	if code, out := e.do("POST", "/api/config/core_api", `{"coreApi": "qwen", "coreApiKey": ""}`); code != 400 || out["code"] != "API_KEY_REQUIRED" {
		t.Fatalf("empty key accepted: %d %v", code, out)
	}
	if code, _ := e.do("POST", "/api/config/core_api", `{bad json`); code != 400 {
		t.Fatalf("malformed JSON: %d", code)
	}
	if !strings.Contains(strings.Join(e.sess.sent, ""), "reload_page") {
		t.Error("pages not told to reload")
	}
}

func TestPreferencesAndProviders(t *testing.T) {
	e := newEnv(t)
	if code, _ := e.do("POST", "/api/config/preferences", map[string]any{"model_path": "/static/x.model3.json", "position": map[string]int{"x": 1, "y": 2}}); code != 200 {
		t.Fatal("save preferences")
	}
	if code, _ := e.do("POST", "/api/config/preferences", map[string]any{"position": 1}); code != 400 {
		t.Fatal("preferences without model_path accepted")
	}
	resp, _ := http.Get(e.srv.URL + "/api/config/preferences")
	var prefs []map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&prefs)
	resp.Body.Close()
	if len(prefs) != 1 || prefs[0]["model_path"] != "/static/x.model3.json" {
		t.Fatalf("prefs = %v", prefs)
	}
	_, out := e.do("GET", "/api/config/api_providers", nil)
	if core, _ := out["core_api_providers"].([]any); len(core) < 5 {
		t.Fatalf("providers: %v", out)
	}
	_, out = e.do("GET", "/api/config/page_config", nil)
	if out["model_type"] != "live2d" || out["lanlan_name"] != "test" {
		t.Fatalf("page_config: %v", out)
	}
}

func TestGPTSoVITSOnlyLoopback(t *testing.T) {
	e := newEnv(t)
	code, out := e.do("POST", "/api/config/gptsovits/list_voices", map[string]any{"api_url": "http://169.254.169.254"})
	if code != 400 || out["code"] != "TTS_CUSTOM_URL_LOCALHOST_ONLY" {
		t.Fatalf("remote URL: %d %v", code, out)
	}
	gsv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v3/voices" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`[{"id":"a","name":"A"}]`))
	}))
	defer gsv.Close()
	code, out = e.do("POST", "/api/config/gptsovits/list_voices", map[string]any{"api_url": gsv.URL})
	if code != 200 || out["voices"] == nil {
		t.Fatalf("loopback proxy: %d %v", code, out)
	}
}

func TestPagesStaticAndConfinement(t *testing.T) {
	e := newEnv(t)
	get := func(p string) (int, string, http.Header) {
		resp, err := http.Get(e.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	for _, p := range []string{"/", "/chara_manager", "/小天", "/memory_browser"} {
		code, body, _ := get(p)
		if code != 200 || !strings.Contains(body, `<meta name="neko-token" content="tok123">`) {
			t.Errorf("%s: %d %q", p, code, body)
		}
	}
	if code, body, h := get("/assets/app-1234.js"); code != 200 || body != "console.log(1)" || !strings.Contains(h.Get("Content-Type"), "javascript") {
		t.Errorf("asset: %d %q %v", code, body, h.Get("Content-Type"))
	}
	if code, _, h := get("/static/vrm/default.vrm"); code != 200 || h.Get("Content-Type") != "model/gltf-binary" {
		t.Errorf("vrm mime: %d %s", code, h.Get("Content-Type"))
	}
	if code, _, _ := get("/static/missing.js"); code != 404 {
		t.Errorf("missing static file: %d", code)
	}
	// User folders: a real file is served; escapes are not.
	p := e.store.Paths
	_ = os.WriteFile(filepath.Join(p.VRM, "a.vrm"), []byte("vrm"), 0o644)
	secret := filepath.Join(p.Root, "config", "core_config.json")
	_ = os.Symlink(secret, filepath.Join(p.VRM, "leak.vrm"))
	if code, body, _ := get("/user_vrm/a.vrm"); code != 200 || body != "vrm" {
		t.Errorf("user vrm: %d %q", code, body)
	}
	for _, bad := range []string{"/user_vrm/leak.vrm", "/user_vrm/../config/core_config.json", "/user_vrm/%2e%2e/config/core_config.json",
		"/user_live2d/..%2fconfig%2fcore_config.json", "/workshop/%2e%2e%2f%2e%2e%2fetc/passwd"} {
		code, body, _ := get(bad)
		if code == 200 || strings.Contains(body, "coreApi") {
			t.Errorf("%s escaped the mount: %d %q", bad, code, body)
		}
	}
	// Features not built yet answer 501 with JSON.
	if code, out := e.do("GET", "/api/live2d/models", nil); code != 501 || out["code"] != "not_implemented" {
		t.Errorf("live2d: %d %v", code, out)
	}
}

func TestPendingNotices(t *testing.T) {
	e := newEnv(t)
	e.store.Notices.Add("X", "x", "x", nil)
	_, out := e.do("GET", "/api/pending-notices", nil)
	if n, _ := out["notices"].([]any); len(n) != 1 {
		t.Fatalf("notices: %v", out)
	}
	e.do("POST", "/api/pending-notices/ack", map[string]any{"cursor": out["cursor"]})
	_, out = e.do("GET", "/api/pending-notices", nil)
	if n, _ := out["notices"].([]any); len(n) != 0 {
		t.Fatalf("after ack: %v", out)
	}
}
