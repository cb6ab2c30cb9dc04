package config_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"neko/backend/config"
)

func openStore(t *testing.T, root string) *config.Store {
	t.Helper()
	s, err := config.Open(root, nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOpenCreatesLayoutAndDefaults(t *testing.T) {
	root := t.TempDir()
	s := openStore(t, root)
	for _, d := range []string{"config", "memory", "live2d", "vrm", "vrm/animation", "character_cards", "workshop", "logs"} {
		if fi, err := os.Stat(filepath.Join(root, d)); err != nil || !fi.IsDir() {
			t.Errorf("folder %s missing: %v", d, err)
		}
	}
	c := s.Characters()
	if c.MasterName() != "哥哥" || c.Current != "test" || len(c.List) != 1 {
		t.Fatalf("unexpected defaults: master=%q current=%q n=%d", c.MasterName(), c.Current, len(c.List))
	}
	fi, err := os.Stat(filepath.Join(root, "config", config.CoreConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("core_config.json mode = %v, want 0600", fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(filepath.Join(root, "config", config.CharactersFile))
	if !strings.Contains(string(raw), `"主人"`) || !strings.Contains(string(raw), `"_reserved"`) {
		t.Errorf("characters.json lacks the original schema:\n%s", raw)
	}
}

func TestLegacyCharactersMigrateAndRoundTrip(t *testing.T) {
	root := t.TempDir()
	src, err := os.ReadFile("testdata/characters_legacy.json")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "config", config.CharactersFile), src)
	s := openStore(t, root)
	c := s.Characters()

	if got := strings.Join(c.Names(), ","); got != "小天,Aria,新版" {
		t.Fatalf("order lost: %s", got)
	}
	xt, _ := c.Get("小天")
	r := xt.Reserved
	if r.VoiceID != "voice-tone-abc" || r.Avatar.Live2D.ModelPath != "mao_pro/mao_pro.model3.json" ||
		r.Avatar.AssetSource != "steam_workshop" || r.Avatar.AssetSourceID != "3312345678" || r.Avatar.ModelType != "live2d" {
		t.Errorf("小天 not migrated: %+v", r)
	}
	if xt.Profile.Has("live2d") || xt.Profile.Has("voice_id") {
		t.Errorf("legacy keys left in profile: %v", xt.Profile.Keys())
	}
	if got := strings.Join(xt.Profile.Keys(), ","); got != "性别,年龄,昵称,爱好" {
		t.Errorf("profile keys = %s", got)
	}
	aria, _ := c.Get("Aria")
	if aria.Reserved.Avatar.ModelType != "vrm" || aria.Reserved.Avatar.VRM.ModelPath != "/user_vrm/aria.vrm" ||
		aria.Reserved.Avatar.VRM.IdleAnimation != "idle" || aria.Reserved.Avatar.VRM.Lighting == nil ||
		aria.Reserved.Avatar.VRM.Lighting.ToneMapping != 1 {
		t.Errorf("Aria not migrated: %+v", aria.Reserved.Avatar.VRM)
	}
	nv, _ := c.Get("新版")
	if nv.Reserved.VoiceID != "v2" || nv.Reserved.Avatar.Live2D.ModelPath != "hiyori/hiyori.model3.json" {
		t.Errorf("v2 entry changed: %+v", nv.Reserved)
	}
	if c.Microphone != "mic-1" || c.Current != "小天" {
		t.Errorf("top-level fields: mic=%q current=%q", c.Microphone, c.Current)
	}

	// Save and re-read: migrated schema, unknown keys kept, same content.
	if err := s.UpdateCharacters(func(c *config.Characters) error { return nil }); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(root, "config", config.CharactersFile))
	var generic map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatalf("saved file is not JSON: %v", err)
	}
	if _, ok := generic["自定义"]; !ok {
		t.Errorf("unknown top-level key dropped")
	}
	s2 := openStore(t, root)
	c2 := s2.Characters()
	b1, _ := json.Marshal(c)
	b2, _ := json.Marshal(c2)
	if string(b1) != string(b2) {
		t.Errorf("round trip differs:\n%s\n%s", b1, b2)
	}

	// The flattened view gives the old frontend its fields back.
	flat := c2.FlattenedJSON()
	var view map[string]map[string]map[string]any
	bf, _ := json.Marshal(flat)
	_ = json.Unmarshal(bf, &view)
	if got := view["猫娘"]["小天"]["live2d"]; got != "mao_pro" {
		t.Errorf("flattened live2d = %v", got)
	}
	if got := view["猫娘"]["小天"]["live2d_item_id"]; got != "3312345678" {
		t.Errorf("flattened live2d_item_id = %v", got)
	}
	if got := view["猫娘"]["Aria"]["vrm"]; got != "/user_vrm/aria.vrm" {
		t.Errorf("flattened vrm = %v", got)
	}
}

func TestMalformedFileKeptAsBackupWithNotice(t *testing.T) {
	for _, name := range []string{config.CharactersFile, config.CoreConfigFile, config.PreferencesFile} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			bad := []byte(`{"主人": {"档案名": "x"`) // truncated
			if name == config.CoreConfigFile {
				bad = []byte(`{"coreApi": 5}`) // wrong type
			}
			path := filepath.Join(root, "config", name)
			writeFile(t, path, bad)
			s := openStore(t, root)
			got, err := os.ReadFile(path + ".bak")
			if err != nil || string(got) != string(bad) {
				t.Fatalf("backup = %q, %v", got, err)
			}
			notices, cursor := s.Notices.Pending()
			if len(notices) != 1 || notices[0].Code != "CONFIG_FILE_RESET" || !strings.Contains(notices[0].MessageEN, name) {
				t.Fatalf("notices = %+v", notices)
			}
			if name == config.CoreConfigFile && !strings.Contains(notices[0].MessageEN, `"coreApi"`) {
				t.Errorf("notice does not name the field: %s", notices[0].MessageEN)
			}
			cur, _ := os.ReadFile(path)
			if !json.Valid(cur) {
				t.Errorf("file not rewritten with defaults: %s", cur)
			}
			// The defaults, exactly as a fresh install writes them.
			fresh := t.TempDir()
			openStore(t, fresh)
			def, err := os.ReadFile(filepath.Join(fresh, "config", name))
			if err != nil {
				t.Fatal(err)
			}
			if string(cur) != string(def) {
				t.Errorf("file rewritten with something else than the defaults:\n%s\nwant\n%s", cur, def)
			}
			s.Notices.Ack(cursor)
			if n, _ := s.Notices.Pending(); len(n) != 0 {
				t.Errorf("ack left %d notices", len(n))
			}
		})
	}
}

func TestNoticeAckKeepsLaterNotices(t *testing.T) {
	var n config.Notices
	n.Add("A", "a", "a", nil)
	_, cursor := n.Pending()
	n.Add("B", "b", "b", nil)
	n.Ack(cursor)
	left, _ := n.Pending()
	if len(left) != 1 || left[0].Code != "B" {
		t.Fatalf("left = %+v", left)
	}
}

func TestCoreConfigMaskingAndMerge(t *testing.T) {
	s := openStore(t, t.TempDir())
	key := "sk-1234567890abcdefWXYZ"
	if _, err := s.UpdateCore(map[string]any{"coreApi": "openai", "coreApiKey": key, "assistApiKeyQwen": "qk-short"}); err != nil {
		t.Fatal(err)
	}
	masked := s.Core().Masked()
	if masked["coreApiKey"] == key || !strings.HasSuffix(masked["coreApiKey"].(string), "WXYZ") {
		t.Errorf("coreApiKey not masked: %v", masked["coreApiKey"])
	}
	if masked["assistApiKeyQwen"] != config.MaskPrefix {
		t.Errorf("short key shows characters: %v", masked["assistApiKeyQwen"])
	}
	// Posting the masked value back keeps the secret.
	if _, err := s.UpdateCore(map[string]any{"coreApiKey": masked["coreApiKey"], "coreApi": "qwen"}); err != nil {
		t.Fatal(err)
	}
	if got := s.Core().String("coreApiKey"); got != key {
		t.Errorf("secret lost: %q", got)
	}
	if _, err := s.UpdateCore(map[string]any{"enableCustomApi": "yes"}); err == nil || !strings.Contains(err.Error(), "enableCustomApi") {
		t.Errorf("bad type accepted or error does not name the field: %v", err)
	}
}

func TestPreferencesUpsertAndPreferred(t *testing.T) {
	s := openStore(t, t.TempDir())
	add := func(path string, x float64) {
		o := config.NewObject()
		_ = o.Set("model_path", path)
		_ = o.Set("position", map[string]float64{"x": x, "y": 1})
		if err := s.UpdatePreferences(func(p config.Preferences) (config.Preferences, error) { return p.Upsert(o) }); err != nil {
			t.Fatal(err)
		}
	}
	add("a", 1)
	add("b", 2)
	add("a", 3)
	p := s.Preferences()
	if len(p) != 2 {
		t.Fatalf("len = %d", len(p))
	}
	var pos map[string]float64
	_, _ = p[0].Get("position", &pos)
	if pos["x"] != 3 {
		t.Errorf("upsert did not replace: %v", pos)
	}
	_ = s.UpdatePreferences(func(p config.Preferences) (config.Preferences, error) { return p.SetPreferred("b"), nil })
	if got := s.Preferences()[0].String("model_path"); got != "b" {
		t.Errorf("preferred = %s", got)
	}
}

// Two stores on one folder stand for two processes writing at once; a reader
// parses the file the whole time. Every read must see valid JSON and every
// update of the last writer must survive.
func TestConcurrentWritersNeverCorrupt(t *testing.T) {
	root := t.TempDir()
	a, b := openStore(t, root), openStore(t, root)
	path := filepath.Join(root, "config", config.CharactersFile)
	stop := make(chan struct{})
	var readErr error
	var rwg sync.WaitGroup
	rwg.Add(1)
	go func() {
		defer rwg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			raw, err := os.ReadFile(path)
			if err != nil || !json.Valid(raw) {
				readErr = fmt.Errorf("read %v valid=%v", err, json.Valid(raw))
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for w, s := range []*config.Store{a, b} {
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func(w, g int, s *config.Store) {
				defer wg.Done()
				for i := 0; i < 20; i++ {
					err := s.UpdateCharacters(func(c *config.Characters) error {
						ch, _ := c.Get("test")
						return ch.Profile.Set(fmt.Sprintf("k%d_%d", w, g), i)
					})
					if err != nil {
						t.Error(err)
						return
					}
				}
			}(w, g, s)
		}
	}
	wg.Wait()
	close(stop)
	rwg.Wait()
	if readErr != nil {
		t.Fatal(readErr)
	}
	// Within one store no update is lost.
	ch, _ := a.Characters().Get("test")
	for g := 0; g < 4; g++ {
		var v int
		if ok, _ := ch.Profile.Get(fmt.Sprintf("k0_%d", g), &v); !ok || v != 19 {
			t.Errorf("store a lost update k0_%d: %v %d", g, ok, v)
		}
	}
	left, _ := filepath.Glob(filepath.Join(root, "config", ".*.tmp-*"))
	if len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"小天", "Aria", "neko-2", "a b"} {
		if err := config.ValidateName(ok); err != nil {
			t.Errorf("%q rejected: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "../x", "a/b", "a\\b", strings.Repeat("x", 101), "a.b"} {
		if err := config.ValidateName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestDataRootOverride(t *testing.T) {
	d := t.TempDir()
	t.Setenv("NEKO_DATA_DIR", d)
	got, err := config.DataRoot()
	if err != nil || got != d {
		t.Fatalf("DataRoot = %q, %v", got, err)
	}
	t.Setenv("NEKO_DATA_DIR", "")
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_DOCUMENTS_DIR", "")
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	writeFile(t, filepath.Join(home, ".config", "user-dirs.dirs"), []byte("XDG_DOCUMENTS_DIR=\"$HOME/Dokumente\"\n"))
	got, _ = config.DataRoot()
	if got != filepath.Join(home, "Dokumente", "N.E.K.O") {
		t.Errorf("XDG documents not used: %s", got)
	}
}
