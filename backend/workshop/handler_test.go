package workshop_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"neko/backend/workshop"
)

type apiClient struct {
	t   *testing.T
	srv *httptest.Server
}

func newAPI(t *testing.T, st steamTree, chars workshop.Characters) *apiClient {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(workshop.Prefix+"/", newService(t, st, chars).Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &apiClient{t: t, srv: srv}
}

func (c *apiClient) do(method, path, body string) (int, map[string]any) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.srv.URL+workshop.Prefix+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		c.t.Fatalf("%s %s: not JSON: %s", method, path, data)
	}
	return resp.StatusCode, out
}

func q(p string) string { return url.QueryEscape(p) }

func TestHandlerConfig(t *testing.T) {
	st := newSteamTree(t)
	api := newAPI(t, st, nil)
	code, out := api.do("GET", "/config", "")
	if code != 200 || out["workshop_path"] != st.Content1 || out["workshop_path_source"] != "steam" {
		t.Fatalf("GET /config = %d %v", code, out)
	}
	mods := filepath.Join(st.Data, "my mods")
	code, out = api.do("POST", "/config", `{"user_mod_folder": "`+mods+`", "auto_create_folder": true}`)
	if code != 200 || out["config"].(map[string]any)["user_mod_folder"] != mods || !isDirT(mods) {
		t.Fatalf("POST /config = %d %v", code, out)
	}
	if _, out = api.do("GET", "/config", ""); out["workshop_path"] != mods {
		t.Fatalf("after POST the mod folder must win: %v", out)
	}
	for body, want := range map[string]int{
		`{"user_mod_folder": "relative/dir"}`: 400,
		`{"user_mod_folder": 5}`:              400,
		`{"auto_create_folder": "yes"}`:       400,
		`{"user_mod_folder": `:                400,
		`[]`:                                  400,
	} {
		if code, out := api.do("POST", "/config", body); code != want || out["success"] != false {
			t.Errorf("POST /config %s = %d %v, want %d", body, code, out, want)
		}
	}
	if code, _ := api.do("POST", "/config", `{"x":"`+strings.Repeat("a", 70<<10)+`"}`); code != 413 {
		t.Errorf("huge body = %d, want 413", code)
	}
	// clearing the override brings Steam back
	if code, out = api.do("POST", "/config", `{"user_mod_folder": ""}`); code != 200 {
		t.Fatal(code, out)
	}
	if _, out = api.do("GET", "/config", ""); out["workshop_path"] != st.Content1 {
		t.Fatalf("cleared override: %v", out)
	}
}

func TestHandlerSubscribedAndItems(t *testing.T) {
	st := newSteamTree(t)
	api := newAPI(t, st, nil)
	code, out := api.do("GET", "/subscribed-items", "")
	if code != 200 || out["total"] != float64(4) {
		t.Fatalf("subscribed = %d %v", code, out)
	}
	first := out["items"].([]any)[0].(map[string]any)
	state := first["state"].(map[string]any)
	if first["publishedFileId"] != "1001" || first["title"] != "Mao" || state["installed"] != true ||
		first["installedFolder"] != filepath.Join(st.Content1, "1001") || first["downloadProgress"] == nil ||
		first["previewUrl"] != "/workshop/1001/preview.png" {
		t.Errorf("item = %v", first)
	}
	if code, out = api.do("GET", "/item/1002/path", ""); code != 200 || out["path"] != filepath.Join(st.Content1, "1002") {
		t.Errorf("item path = %d %v", code, out)
	}
	if code, _ = api.do("GET", "/item/9999", ""); code != 404 {
		t.Errorf("unknown item = %d", code)
	}
	if code, _ = api.do("GET", "/item/..%2f..%2fetc", ""); code != 400 && code != 404 {
		t.Errorf("traversal id = %d", code)
	}
	code, out = api.do("GET", "/items", "")
	if code != 200 {
		t.Fatal(code, out)
	}
	found := false
	for _, e := range out["items"].([]any) {
		urls := e.(map[string]any)["urls"].(map[string]any)
		if urls["mao/mao.model3.json"] == "/workshop/1001/mao/mao.model3.json" {
			found = true
		}
	}
	if !found {
		t.Errorf("no /workshop URL for the Live2D model: %v", out)
	}
}

func TestHandlerLocalItems(t *testing.T) {
	st := newSteamTree(t)
	api := newAPI(t, st, nil)
	code, out := api.do("POST", "/local-items/scan", `{}`)
	if code != 200 || out["default_path_used"] != true || len(out["local_items"].([]any)) != 4 {
		t.Fatalf("scan = %d %v", code, out)
	}
	it := out["local_items"].([]any)[0].(map[string]any)
	if it["id"] != "local_1" || it["name"] != "1001" || it["previewImage"] != filepath.Join(st.Content1, "1001", "preview.png") {
		t.Errorf("local item = %v", it)
	}
	if code, _ = api.do("POST", "/local-items/scan", `{"folder_path": "`+st.Outside+`"}`); code != 403 {
		t.Errorf("scan outside = %d, want 403", code)
	}
	if code, _ = api.do("POST", "/local-items/scan", `{"folder_path": "../../.."}`); code != 400 && code != 403 {
		t.Errorf("scan .. = %d", code)
	}
	code, out = api.do("GET", "/local-items/local_2?folder_path="+q("1002"), "")
	if code != 200 || out["item"].(map[string]any)["path"] != filepath.Join(st.Content1, "1002") {
		t.Errorf("local item = %d %v", code, out)
	}
	if code, _ = api.do("GET", "/local-items/local_1?folder_path="+q("1003/linkdir"), ""); code != 403 {
		t.Errorf("symlinked folder out = %d, want 403", code)
	}
	if code, _ = api.do("GET", "/local-items/x?folder_path=1001", ""); code != 400 {
		t.Errorf("bad id = %d", code)
	}
}

func TestHandlerReadAndList(t *testing.T) {
	st := newSteamTree(t)
	api := newAPI(t, st, nil)
	cardPath := filepath.Join(st.Content1, "1001", "Mao.chara.json")
	code, out := api.do("GET", "/read-file?path="+q(cardPath), "")
	if code != 200 || out["is_binary"] != false || !strings.Contains(out["content"].(string), "Mao") {
		t.Fatalf("read card = %d %v", code, out)
	}
	code, out = api.do("GET", "/read-file?path="+q(filepath.Join(st.Content2, "2001", "Neko.chara.json")), "")
	if code != 200 {
		t.Errorf("second library must be readable: %d %v", code, out)
	}
	code, out = api.do("GET", "/read-file?path="+q(filepath.Join(st.Content1, "1001", "preview.png")), "")
	if data, _ := base64.StdEncoding.DecodeString(out["content"].(string)); code != 200 || out["is_binary"] != true || string(data) != "\x89PNG\r\n" {
		t.Errorf("binary read = %d %v", code, out)
	}
	for path, want := range map[string]int{
		filepath.Join(st.Outside, "secret.txt"):                      403,
		filepath.Join(st.Content1, "1003", "link.chara.json"):        403,
		filepath.Join(st.Content1, "..", "..", "libraryfolders.vdf"): 403,
		filepath.Join(st.Content1, "1003", "linkdir", "m.moc3"):      403,
		filepath.Join(st.Content1, "1001", "missing.json"):           404,
		filepath.Join(st.Content1, "1003", "huge.chara.json"):        200, // 2 MiB is under the 5 MiB read limit
		"/etc/passwd":                         403,
		"1001/../../../../outside/secret.txt": 400,
	} {
		if code, out := api.do("GET", "/read-file?path="+q(path), ""); code != want {
			t.Errorf("read %s = %d %v, want %d", path, code, out["error"], want)
		}
	}
	big := filepath.Join(st.Content1, "1001", "big.bin")
	if err := os.WriteFile(big, make([]byte, 6<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _ := api.do("GET", "/read-file?path="+q(big), ""); code != 413 {
		t.Errorf("big read = %d, want 413", code)
	}
	if code, _ := api.do("GET", "/read-file", ""); code != 400 {
		t.Errorf("missing path = %d", code)
	}

	code, out = api.do("GET", "/list-chara-files?directory="+q(filepath.Join(st.Content1, "1003")), "")
	if code != 200 {
		t.Fatal(code, out)
	}
	var names []string
	for _, f := range out["files"].([]any) {
		names = append(names, f.(map[string]any)["name"].(string))
	}
	if strings.Contains(strings.Join(names, ","), "link.chara.json") || !strings.Contains(strings.Join(names, ","), "Evil.chara.json") {
		t.Errorf("chara files = %v", names)
	}
	if code, _ = api.do("GET", "/list-chara-files?directory="+q(st.Outside), ""); code != 403 {
		t.Errorf("list outside = %d", code)
	}
	code, out = api.do("GET", "/list-audio-files?directory="+q(filepath.Join(st.Content1, "1001")), "")
	if code != 200 || len(out["files"].([]any)) != 1 || out["files"].([]any)[0].(map[string]any)["prefix"] != "voice" {
		t.Errorf("audio = %d %v", code, out)
	}
}

func TestHandlerSyncAndSteamOnly(t *testing.T) {
	st := newSteamTree(t)
	if code, _ := newAPI(t, st, nil).do("POST", "/sync-characters", ""); code != 503 {
		t.Errorf("sync without a store = %d, want 503", code)
	}
	chars := newMemChars("Existing")
	api := newAPI(t, st, chars)
	code, out := api.do("POST", "/sync-characters", "")
	if code != 200 || out["added"] != float64(5) || out["skipped"] != float64(2) || out["errors"] != float64(6) {
		t.Fatalf("sync = %d %v", code, out)
	}
	for _, p := range []string{"/publish", "/unsubscribe", "/prepare-upload"} {
		if code, out := api.do("POST", p, `{}`); code != 503 || out["code"] != "steam_unavailable" {
			t.Errorf("%s = %d %v", p, code, out)
		}
	}
}

func TestHandlerConfigKeepsMalformedFile(t *testing.T) {
	st := newSteamTree(t)
	api := newAPI(t, st, nil)
	cfgPath := filepath.Join(st.Data, "config", "workshop_config.json")
	write(t, cfgPath, `{"user_mod_folder": "/x", oops`)
	code, out := api.do("GET", "/config", "")
	if code != 200 || out["warning"] == nil {
		t.Fatalf("GET with a malformed file = %d %v", code, out)
	}
	if code, out = api.do("POST", "/config", `{"auto_create_folder": false}`); code != 200 {
		t.Fatalf("POST = %d %v", code, out)
	}
	baks, _ := filepath.Glob(cfgPath + ".*.bak")
	if len(baks) != 1 {
		t.Fatalf("backups = %v", baks)
	}
	if data, _ := os.ReadFile(baks[0]); string(data) != `{"user_mod_folder": "/x", oops` {
		t.Errorf("backup = %q", data)
	}
	var saved map[string]any
	data, _ := os.ReadFile(cfgPath)
	if err := json.Unmarshal(data, &saved); err != nil || saved["auto_create_folder"] != false {
		t.Errorf("saved = %s (%v)", data, err)
	}
}
