package models_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"neko/backend/models"
)

type env struct {
	t    *testing.T
	srv  *httptest.Server
	data string
}

func newEnv(t *testing.T) *env {
	data := t.TempDir()
	for _, d := range []string{"live2d", "vrm/animation", "config", "workshop/123/cat"} {
		_ = os.MkdirAll(filepath.Join(data, d), 0o755)
	}
	_ = os.WriteFile(filepath.Join(data, "workshop/123/cat/cat.model3.json"), []byte(`{"Version":3,"FileReferences":{}}`), 0o644)
	assets := fstest.MapFS{
		"static/live2d/haru/haru.model3.json":     {Data: []byte(`{"Version":3,"FileReferences":{"Moc":"haru.moc3","Motions":{"Happy":[{"File":"m/happy.motion3.json"}]},"Expressions":[{"Name":"sad_01","File":"e/sad.exp3.json"},{"Name":"calm","File":"e/calm.exp3.json"}]}}`)},
		"static/live2d/haru/m/happy.motion3.json": {Data: []byte(`{}`)},
		"static/vrm/default.vrm":                  {Data: []byte("glTF\x02\x00\x00\x00....")},
	}
	h := models.New(models.Config{Assets: assets, Live2DDir: filepath.Join(data, "live2d"), VRMDir: filepath.Join(data, "vrm"),
		VRMAnimDir: filepath.Join(data, "vrm/animation"), ConfigDir: filepath.Join(data, "config"),
		WorkshopRoot: func() string { return filepath.Join(data, "workshop") }, MaxUpload: 1 << 20})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, data: data}
}

func (e *env) json(method, path string, body any) (int, any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (e *env) upload(path, field string, files map[string][]byte) (int, map[string]any) {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for name, data := range files {
		w, _ := mw.CreateFormFile(field, name)
		_, _ = w.Write(data)
	}
	mw.Close()
	resp, err := http.Post(e.srv.URL+path, mw.FormDataContentType(), &buf)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestLive2DListUploadMappingDelete(t *testing.T) {
	e := newEnv(t)
	_, list := e.json("GET", "/api/live2d/models", nil)
	got := map[string]string{}
	for _, m := range list.([]any) {
		mm := m.(map[string]any)
		got[mm["name"].(string)] = mm["source"].(string) + " " + mm["path"].(string)
	}
	if got["haru"] != "static /static/live2d/haru/haru.model3.json" || got["cat"] != "workshop /workshop/123/cat/cat.model3.json" {
		t.Fatalf("models = %v", got)
	}
	// A broken upload (two model files) leaves nothing behind.
	code, out := e.upload("/api/live2d/upload_model", "files", map[string][]byte{"mao/a.model3.json": []byte(`{}`), "mao/b.model3.json": []byte(`{}`)})
	if code != 400 || !strings.Contains(out["error"].(string), "exactly one") {
		t.Fatalf("two model files: %d %v", code, out)
	}
	for _, bad := range []string{"../evil/x.model3.json", "/abs/x.model3.json", "mao/../../x.model3.json"} {
		if code, _ := e.upload("/api/live2d/upload_model", "files", map[string][]byte{bad: []byte(`{}`)}); code != 400 {
			t.Errorf("%s: %d", bad, code)
		}
	}
	if code, out := e.upload("/api/live2d/upload_model", "files", map[string][]byte{"mao/mao.model3.json": []byte(`{not json`)}); code != 400 {
		t.Fatalf("bad json: %d %v", code, out)
	}
	entries, _ := os.ReadDir(filepath.Join(e.data, "live2d"))
	if len(entries) != 0 {
		t.Fatalf("failed uploads left %v", entries)
	}
	code, out = e.upload("/api/live2d/upload_model", "files", map[string][]byte{
		"mao/mao.model3.json": []byte(`{"Version":3,"FileReferences":{"Moc":"mao.moc3"}}`), "mao/mao.moc3": []byte("MOC3"),
		"mao/motions/idle.motion3.json": []byte(`{}`)})
	if code != 200 || out["path"] != "/user_live2d/mao/mao.model3.json" {
		t.Fatalf("upload: %d %v", code, out)
	}
	if code, _ := e.upload("/api/live2d/upload_model", "files", map[string][]byte{"mao/mao.model3.json": []byte(`{}`)}); code != 409 {
		t.Fatalf("duplicate upload: %d", code)
	}
	// Emotion mapping: derived for the bundled model, saved into the user's.
	_, m := e.json("GET", "/api/live2d/emotion_mapping/haru", nil)
	cfg := m.(map[string]any)["config"].(map[string]any)
	if !strings.Contains(toJSON(cfg), `"happy":["m/happy.motion3.json"]`) || !strings.Contains(toJSON(cfg), `"sad":["e/sad.exp3.json"]`) ||
		!strings.Contains(toJSON(cfg), `"neutral":["e/calm.exp3.json"]`) {
		t.Fatalf("derived mapping: %s", toJSON(cfg))
	}
	if code, _ := e.json("POST", "/api/live2d/emotion_mapping/haru", map[string]any{}); code != 403 {
		t.Fatalf("bundled model changed: %d", code)
	}
	mapping := map[string]any{"motions": map[string][]string{"happy": {"motions/idle.motion3.json"}}, "expressions": map[string][]string{}}
	if code, _ := e.json("POST", "/api/live2d/emotion_mapping/mao", mapping); code != 200 {
		t.Fatalf("save mapping: %d", code)
	}
	_, m = e.json("GET", "/api/live2d/emotion_mapping/mao", nil)
	if !strings.Contains(toJSON(m), "motions/idle.motion3.json") {
		t.Fatalf("mapping not read back: %s", toJSON(m))
	}
	_, files := e.json("GET", "/api/live2d/model_files/mao", nil)
	if !strings.Contains(toJSON(files), "motions/idle.motion3.json") {
		t.Fatalf("model files: %s", toJSON(files))
	}
	if code, _ := e.json("DELETE", "/api/live2d/model/mao", nil); code != 200 {
		t.Fatal("delete")
	}
	if code, _ := e.json("DELETE", "/api/live2d/model/..", nil); code != 400 && code != 404 {
		t.Fatalf("delete ..: %d", code)
	}
}

func TestVRMUploadAndMapping(t *testing.T) {
	e := newEnv(t)
	vrm := testGLB(`{"asset":{"version":"2.0"},"extensionsUsed":["VRMC_vrm"]}`, 1000)
	if code, out := e.upload("/api/model/vrm/upload", "file", map[string][]byte{"aria.vrm": vrm}); code != 200 || out["url"] != "/user_vrm/aria.vrm" {
		t.Fatalf("upload: %d %v", code, out)
	}
	for name, bad := range map[string][]byte{
		"fake.vrm":      []byte("PK\x03\x04 not a vrm at all"),
		"header.vrm":    append([]byte("glTF\x02\x00\x00\x00\x10\x00\x00\x00"), make([]byte, 1000)...),
		"truncated.vrm": vrm[:len(vrm)-10],
		"longer.vrm":    append(append([]byte{}, vrm...), 0, 0, 0, 0),
		"plain.vrm":     testGLB(`{"asset":{"version":"2.0"}}`, 100),
		"badjson.vrm":   testGLB(`{"asset": nope}`, 100),
	} {
		if code, out := e.upload("/api/model/vrm/upload", "file", map[string][]byte{name: bad}); code != 400 || out["code"] != "invalid_model" {
			t.Fatalf("%s accepted or wrong answer: %d %v", name, code, out)
		}
	}
	if code, _ := e.upload("/api/model/vrm/upload", "file", map[string][]byte{"x.exe": vrm}); code != 400 {
		t.Fatal("wrong extension accepted")
	}
	big := testGLB(`{"asset":{"version":"2.0"},"extensionsUsed":["VRM"]}`, 2<<20)
	if code, _ := e.upload("/api/model/vrm/upload", "file", map[string][]byte{"big.vrm": big}); code != 413 {
		t.Fatalf("oversize upload: %d", code)
	}
	entries, _ := os.ReadDir(filepath.Join(e.data, "vrm"))
	var names []string
	for _, en := range entries {
		names = append(names, en.Name())
	}
	if strings.Join(names, ",") != "animation,aria.vrm" {
		t.Fatalf("vrm folder holds %v", names)
	}
	_, list := e.json("GET", "/api/model/vrm/models", nil)
	if s := toJSON(list); !strings.Contains(s, `"/static/vrm/default.vrm"`) || !strings.Contains(s, `"/user_vrm/aria.vrm"`) {
		t.Fatalf("models: %s", s)
	}
	_, m := e.json("GET", "/api/model/vrm/emotion_mapping/aria", nil)
	if !strings.Contains(toJSON(m), `"happy":["happy","joy"`) {
		t.Fatalf("default mapping: %s", toJSON(m))
	}
	e.json("POST", "/api/model/vrm/emotion_mapping/aria", map[string]any{"happy": "smile", "sad": []string{"sorrow", "cry"}})
	_, m = e.json("GET", "/api/model/vrm/emotion_mapping/aria", nil)
	if s := toJSON(m); !strings.Contains(s, `"happy":["smile"]`) || !strings.Contains(s, `"sad":["sorrow","cry"]`) {
		t.Fatalf("saved mapping: %s", s)
	}
}

func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// testGLB builds a binary glTF: the JSON chunk (space-padded to 4 bytes)
// and a BIN chunk of bin zero bytes.
func testGLB(doc string, bin int) []byte {
	for len(doc)%4 != 0 {
		doc += " "
	}
	bin = (bin + 3) &^ 3
	total := 12 + 8 + len(doc) + 8 + bin
	b := make([]byte, 0, total)
	b = append(b, "glTF"...)
	b = binary.LittleEndian.AppendUint32(b, 2)
	b = binary.LittleEndian.AppendUint32(b, uint32(total))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(doc)))
	b = append(b, "JSON"...)
	b = append(b, doc...)
	b = binary.LittleEndian.AppendUint32(b, uint32(bin))
	b = append(b, "BIN\x00"...)
	return append(b, make([]byte, bin)...)
}
