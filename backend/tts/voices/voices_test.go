package voices_test

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"neko/backend/tts/ttstest"
	"neko/backend/tts/voices"
)

const key = "sk-qwen"

func TestStorePersistsWithPrivateMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config", "voice_storage.json")
	s, err := voices.OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(key, voices.Voice{"voice_id": "v1", "prefix": "neko", "audio_md5": "abc", "ref_language": "ch", "custom": 7.0}); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v, %v", st.Mode(), err)
	}
	s2, err := voices.OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := s2.Get(key, "v1")
	if !ok || v["custom"] != 7.0 || v["prefix"] != "neko" {
		t.Fatalf("reloaded %v", v)
	}
	if _, ok := s2.FindClone(key, "abc", "ch"); !ok {
		t.Fatal("FindClone missed")
	}
	if _, ok := s2.FindClone(key, "abc", "en"); ok {
		t.Fatal("FindClone ignored the language")
	}
	if ok, err := s2.Delete(key, "v1"); !ok || err != nil {
		t.Fatalf("delete: %v %v", ok, err)
	}
	if ok, _ := s2.Delete(key, "v1"); ok {
		t.Fatal("deleted twice")
	}
}

func TestStoreKeepsCorruptFileAside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "voice_storage.json")
	os.WriteFile(path, []byte("{not json"), 0o600)
	s, err := voices.OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Voices(key)) != 0 {
		t.Fatal("corrupt store not empty")
	}
	m, _ := filepath.Glob(path + ".corrupt-*")
	if len(m) != 1 {
		t.Fatalf("corrupt file not kept aside: %v", m)
	}
	if b, _ := os.ReadFile(m[0]); string(b) != "{not json" {
		t.Fatal("kept file changed")
	}
}

type fixture struct {
	h       *voices.Handler
	store   *voices.Store
	clone   *ttstest.Server
	cosy    *ttstest.Server
	mu      sync.Mutex
	removed []string
	cleared []string
	cur     voices.Current
	tmp     string
}

func newFixture(t *testing.T, sc ttstest.Script) *fixture {
	t.Helper()
	f := &fixture{cur: voices.Current{Key: key}, tmp: t.TempDir()}
	var err error
	f.store, err = voices.OpenStore(filepath.Join(t.TempDir(), "voice_storage.json"))
	if err != nil {
		t.Fatal(err)
	}
	sc.APIKey = key
	f.clone = ttstest.NewVoiceClone(sc)
	t.Cleanup(f.clone.Close)
	f.cosy = ttstest.NewCosyVoice(ttstest.Script{APIKey: key})
	t.Cleanup(f.cosy.Close)
	f.h = voices.NewHandler(voices.Config{
		Store:       f.store,
		Current:     func() voices.Current { f.mu.Lock(); defer f.mu.Unlock(); return f.cur },
		FreeVoices:  func() map[string]string { return map[string]string{"俏皮女孩": "voice-tone-PGLiTXeJCS"} },
		VoiceOwners: func() map[string][]string { return map[string][]string{"v1": {"test"}} },
		OnVoiceRemoved: func(id string) {
			f.mu.Lock()
			f.removed = append(f.removed, id)
			f.mu.Unlock()
		},
		ClearCharacterVoice: func(name string) error {
			if name != "test" {
				return fmt.Errorf("character %q: %w", name, voices.ErrUnknownCharacter)
			}
			f.mu.Lock()
			f.cleared = append(f.cleared, name)
			f.mu.Unlock()
			return nil
		},
		DashScopeURL: f.clone.URL,
		DashScopeWS:  f.cosy.URL + "/api-ws/v1/inference",
		UploadURL:    f.clone.URL + "/api/upload",
		MaxUpload:    1 << 20,
		TempDir:      f.tmp,
	})
	return f
}

func (f *fixture) do(t *testing.T, method, path string, body []byte, ctype string) (int, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(method, path, bytes.NewReader(body))
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("%s %s: non-JSON answer %q", method, path, w.Body.String())
	}
	return w.Code, m
}

func wavSample(seconds float64) []byte {
	return ttstest.WAV(16000, ttstest.Tone(16000, int(seconds*1000)))
}

func cloneBody(t *testing.T, file []byte, prefix, lang string) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if prefix != "" {
		mw.WriteField("prefix", prefix)
	}
	if lang != "" {
		mw.WriteField("ref_language", lang)
	}
	if file != nil {
		p, _ := mw.CreateFormFile("file", "sample.wav")
		p.Write(file)
	}
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

func TestListAddDeleteUnregister(t *testing.T) {
	f := newFixture(t, ttstest.Script{})
	code, m := f.do(t, "POST", "/api/characters/voices", []byte(`{"voice_id":"v1","voice_data":{"prefix":"neko"}}`), "application/json")
	if code != 200 || m["success"] != true {
		t.Fatalf("add: %d %v", code, m)
	}
	code, m = f.do(t, "GET", "/api/characters/voices", nil, "")
	vs := m["voices"].(map[string]any)
	if code != 200 || vs["v1"].(map[string]any)["prefix"] != "neko" || vs["v1"].(map[string]any)["created_at"] == "" {
		t.Fatalf("list: %d %v", code, m)
	}
	if m["free_voices"].(map[string]any)["俏皮女孩"] != "voice-tone-PGLiTXeJCS" || m["voice_owners"].(map[string]any)["v1"] == nil {
		t.Fatalf("list extras: %v", m)
	}
	if code, _ := f.do(t, "POST", "/api/characters/voices", []byte(`{"voice_id":""}`), "application/json"); code != 400 {
		t.Fatalf("empty voice id: %d", code)
	}
	if code, _ := f.do(t, "POST", "/api/characters/voices", []byte(`{bad`), "application/json"); code != 400 {
		t.Fatalf("malformed JSON: %d", code)
	}
	if code, _ := f.do(t, "DELETE", "/api/characters/voices/nope", nil, ""); code != 404 {
		t.Fatalf("delete unknown: %d", code)
	}
	if code, _ := f.do(t, "DELETE", "/api/characters/voices/v1", nil, ""); code != 200 || len(f.removed) != 1 || f.removed[0] != "v1" {
		t.Fatalf("delete: %d, removed %v", code, f.removed)
	}
	if _, ok := f.store.Get(key, "v1"); ok {
		t.Fatal("voice still stored")
	}
	if code, _ := f.do(t, "POST", "/api/characters/catgirl/test/unregister_voice", nil, ""); code != 200 || len(f.cleared) != 1 {
		t.Fatalf("unregister: %d %v", code, f.cleared)
	}
	if code, _ := f.do(t, "POST", "/api/characters/catgirl/ghost/unregister_voice", nil, ""); code != 404 {
		t.Fatalf("unregister unknown: %d", code)
	}
}

func TestCloneDashScopeDedupesByMD5AndLanguage(t *testing.T) {
	f := newFixture(t, ttstest.Script{})
	sample := wavSample(0.5)
	sum := md5.Sum(sample)
	body, ct := cloneBody(t, sample, "Neko_1", "ja")
	code, m := f.do(t, "POST", "/api/characters/voice_clone", body, ct)
	if code != 200 {
		t.Fatalf("clone: %d %v", code, m)
	}
	id := m["voice_id"].(string)
	if id != "cosyvoice-v3.5-plus-neko1-0123456789abcdef" || !strings.HasPrefix(m["file_url"].(string), f.clone.URL+"/files/") {
		t.Fatalf("clone answer %v", m)
	}
	if got := f.clone.Texts(); len(got) != 1 || got[0] != hex.EncodeToString(sum[:]) {
		t.Fatalf("uploaded file md5 %v", got)
	}
	req := f.clone.Requests()[0]["input"].(map[string]any)
	if req["target_model"] != "cosyvoice-v3.5-plus" || req["prefix"] != "neko1" || req["language_hints"].([]any)[0] != "ja" {
		t.Fatalf("enrollment %v", req)
	}
	v, ok := f.store.Get(key, id)
	if !ok || v["audio_md5"] != hex.EncodeToString(sum[:]) || v["ref_language"] != "ja" {
		t.Fatalf("stored %v", v)
	}
	// The same sample and language is reused without calling the provider.
	code, m = f.do(t, "POST", "/api/characters/voice_clone", body, ct)
	if code != 200 || m["reused"] != true || m["voice_id"] != id {
		t.Fatalf("dedupe: %d %v", code, m)
	}
	if n := strings.Count(strings.Join(f.clone.Events(), ","), "enroll"); n != 1 {
		t.Fatalf("%d enrollments, want 1", n)
	}
	// Another language is another voice.
	body2, ct2 := cloneBody(t, sample, "neko1", "en")
	if code, m := f.do(t, "POST", "/api/characters/voice_clone", body2, ct2); code != 200 || m["reused"] == true {
		t.Fatalf("other language: %d %v", code, m)
	}
	if left, _ := os.ReadDir(f.tmp); len(left) != 0 {
		t.Fatalf("spooled uploads left behind: %v", left)
	}
}

func TestCloneLocalTTS(t *testing.T) {
	f := newFixture(t, ttstest.Script{})
	f.cur = voices.Current{Key: key, LocalURL: "ws" + strings.TrimPrefix(f.clone.URL, "http")}
	body, ct := cloneBody(t, wavSample(0.3), "alice", "")
	code, m := f.do(t, "POST", "/api/characters/voice_clone", body, ct)
	if code != 200 || m["voice_id"] != "alice" || m["is_local"] != true {
		t.Fatalf("local clone: %d %v", code, m)
	}
	if v, ok := f.store.Get(voices.LocalKey, "alice"); !ok || v["ref_language"] != "ch" || v["is_local"] != true {
		t.Fatalf("stored %v", v)
	}
	if r := f.clone.Requests(); len(r) != 1 || r[0]["speaker_id"] != "alice" {
		t.Fatalf("register %v", r)
	}
	code, m = f.do(t, "GET", "/api/characters/voices", nil, "")
	if _, ok := m["voices"].(map[string]any)["alice"]; code != 200 || !ok {
		t.Fatalf("local voices not listed: %v", m)
	}
}

func TestCloneRejectsBadInput(t *testing.T) {
	f := newFixture(t, ttstest.Script{})
	big := append([]byte("RIFF\x00\x00\x00\x00WAVE"), make([]byte, 2<<20)...)
	cases := []struct {
		name string
		file []byte
		pfx  string
		lang string
		want int
	}{
		{"too large", big, "neko", "ch", http.StatusRequestEntityTooLarge},
		{"not audio", []byte("hello, I am a text file"), "neko", "ch", 400},
		{"no file", nil, "neko", "ch", 400},
		{"bad prefix", wavSample(0.1), "_-_", "ch", 400},
		{"bad language", wavSample(0.1), "neko", "xx", 400},
	}
	for _, c := range cases {
		body, ct := cloneBody(t, c.file, c.pfx, c.lang)
		if code, m := f.do(t, "POST", "/api/characters/voice_clone", body, ct); code != c.want {
			t.Errorf("%s: %d %v, want %d", c.name, code, m, c.want)
		}
	}
	if code, _ := f.do(t, "POST", "/api/characters/voice_clone", []byte("{}"), "application/json"); code != 400 {
		t.Errorf("non-multipart: %d", code)
	}
	if ev := f.clone.Events(); len(ev) != 0 {
		t.Fatalf("bad input reached the provider: %v", ev)
	}
	if left, _ := os.ReadDir(f.tmp); len(left) != 0 {
		t.Fatalf("spooled uploads left behind: %v", left)
	}
}

func TestCloneProviderErrors(t *testing.T) {
	f := newFixture(t, ttstest.Script{RejectStatus: 401})
	body, ct := cloneBody(t, wavSample(0.1), "neko", "ch")
	if code, m := f.do(t, "POST", "/api/characters/voice_clone", body, ct); code != 401 || m["code"] != "API_KEY_REJECTED" {
		t.Fatalf("rejected key: %d %v", code, m)
	}
	f = newFixture(t, ttstest.Script{FailCode: "Audio.DecoderError", FailMessage: "the audio could not be decoded"})
	if code, m := f.do(t, "POST", "/api/characters/voice_clone", body, ct); code != 502 {
		t.Fatalf("provider failure: %d %v", code, m)
	}
	if len(f.store.Voices(key)) != 0 {
		t.Fatal("a failed clone was stored")
	}
}

func TestPreview(t *testing.T) {
	f := newFixture(t, ttstest.Script{})
	if err := f.store.Put(key, voices.Voice{"voice_id": "v9", "ref_language": "en"}); err != nil {
		t.Fatal(err)
	}
	code, m := f.do(t, "GET", "/api/characters/voice_preview?voice_id=v9", nil, "")
	if code != 200 || m["mime_type"] != "audio/mpeg" || m["success"] != true {
		t.Fatalf("preview: %d %v", code, m)
	}
	audio, err := base64.StdEncoding.DecodeString(m["audio"].(string))
	if err != nil || len(audio) == 0 {
		t.Fatalf("preview audio: %v", err)
	}
	run := f.cosy.Requests()[0]
	params := run["payload"].(map[string]any)["parameters"].(map[string]any)
	if params["format"] != "mp3" || params["voice"] != "v9" {
		t.Fatalf("preview task %v", params)
	}
	if got := f.cosy.Texts(); len(got) != 1 || !strings.Contains(got[0], "my voice") {
		t.Fatalf("preview line %q", got)
	}
	if code, _ := f.do(t, "GET", "/api/characters/voice_preview?voice_id=nope", nil, ""); code != 404 {
		t.Fatalf("unknown voice: %d", code)
	}
	if code, _ := f.do(t, "GET", "/api/characters/voice_preview", nil, ""); code != 400 {
		t.Fatalf("missing voice id: %d", code)
	}
}

func TestCustomTTSVoicesAndValidation(t *testing.T) {
	f := newFixture(t, ttstest.Script{})
	gsv := ttstest.NewGPTSoVITS(ttstest.Script{})
	t.Cleanup(gsv.Close)
	if code, _ := f.do(t, "GET", "/api/characters/custom_tts_voices", nil, ""); code != 400 {
		t.Fatalf("without a GPT-SoVITS URL: %d", code)
	}
	if err := f.h.ValidateVoiceID("gsv:alice"); !errors.Is(err, voices.ErrGSVNotActive) {
		t.Fatalf("gsv id without GPT-SoVITS: %v", err)
	}
	f.cur = voices.Current{Key: key, GSVURL: gsv.URL}
	code, m := f.do(t, "GET", "/api/characters/custom_tts_voices", nil, "")
	if code != 200 {
		t.Fatalf("custom voices: %d %v", code, m)
	}
	list := m["voices"].([]any)
	first := list[0].(map[string]any)
	if len(list) != 2 || first["voice_id"] != "gsv:alice" || first["raw_id"] != "alice" || first["name"] != "Alice" || first["version"] != "v3" {
		t.Fatalf("custom voices %v", list)
	}
	f.cur = voices.Current{Key: key, GSVURL: "http://192.0.2.1:9881"}
	if code, m := f.do(t, "GET", "/api/characters/custom_tts_voices", nil, ""); code != 400 || m["code"] != "not_loopback" {
		t.Fatalf("non-loopback URL: %d %v", code, m)
	}
	f.cur = voices.Current{Key: key, GSVURL: gsv.URL}
	f.store.Put(key, voices.Voice{"voice_id": "mine"})
	for id, want := range map[string]error{
		"": nil, "gsv:alice": nil, "mine": nil, "voice-tone-PGLiTXeJCS": nil,
		"cosyvoice-v2-old": voices.ErrLegacyVoice, "cosyvoice-v3-x": voices.ErrLegacyVoice, "someone-elses": voices.ErrUnknownVoice,
	} {
		if err := f.h.ValidateVoiceID(id); !errors.Is(err, want) {
			t.Errorf("ValidateVoiceID(%q) = %v, want %v", id, err, want)
		}
	}
}
