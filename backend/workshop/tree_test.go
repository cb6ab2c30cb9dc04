package workshop_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// steamTree is a generated home folder with two Steam libraries, workshop
// items and hostile content.
type steamTree struct {
	Home, Steam, Lib2, Outside, Content1, Content2, Data string
}

func write(t testing.TB, path string, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t testing.TB, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func card(fields map[string]any) string {
	b, _ := json.Marshal(fields)
	return string(b)
}

// vrmBytes is a minimal glTF 2 binary header.
const vrmBytes = "glTF\x02\x00\x00\x00\x20\x00\x00\x00" + "padding-padding-"

func live2d(moc string) string {
	return `{"Version":3,"FileReferences":{"Moc":"` + moc + `","Textures":[]}}`
}

func newSteamTree(t testing.TB) steamTree {
	t.Helper()
	base := t.TempDir()
	st := steamTree{
		Home:    filepath.Join(base, "home"),
		Lib2:    filepath.Join(base, "mnt", "games", "SteamLibrary"),
		Outside: filepath.Join(base, "outside"),
		Data:    filepath.Join(base, "data"),
	}
	st.Steam = filepath.Join(st.Home, ".local", "share", "Steam")
	st.Content1 = filepath.Join(st.Steam, "steamapps", "workshop", "content", "4099310")
	st.Content2 = filepath.Join(st.Lib2, "steamapps", "workshop", "content", "4099310")
	symlink(t, st.Steam, filepath.Join(st.Home, ".steam", "steam"))
	write(t, filepath.Join(st.Steam, "steamapps", "libraryfolders.vdf"), fmt.Sprintf(`"libraryfolders"
{
	"0"
	{
		"path"		%q
		"label"		""
		"apps" { "228980" "1000" "4099310" "5000" }
	}
	"1"
	{
		"path"		%q
		"apps" { "4099310" "1" }
	}
	"2" { "path" "relative/library" }
	"3" { "path" "" }
	"contentstatsid"	"-123"
}
`, st.Steam, st.Lib2))

	// outside content that links must not reach
	write(t, filepath.Join(st.Outside, "secret.chara.json"), card(map[string]any{"档案名": "Stolen"}))
	write(t, filepath.Join(st.Outside, "secret.txt"), "secret")
	write(t, filepath.Join(st.Outside, "m", "m.model3.json"), live2d("m.moc3"))
	write(t, filepath.Join(st.Outside, "m", "m.moc3"), "moc")

	// 1001: a good Live2D item with a legacy card
	i1 := filepath.Join(st.Content1, "1001")
	write(t, filepath.Join(i1, "mao", "mao.model3.json"), live2d("mao.moc3"))
	write(t, filepath.Join(i1, "mao", "mao.moc3"), "moc3")
	write(t, filepath.Join(i1, "Mao.chara.json"), `{"性别": "女", "档案名": "Mao", "年龄": 15, "live2d": "mao",
		"voice_id": "cloned-voice", "描述": "a cat", "标签": ["cat", "live2d"], "system_prompt": "x", "empty": null, "性别": "女"}`)
	write(t, filepath.Join(i1, "preview.png"), "\x89PNG\r\n")
	write(t, filepath.Join(i1, "voice.wav"), "RIFF")

	// 1002: a VRM item with a v2 card
	i2 := filepath.Join(st.Content1, "1002")
	write(t, filepath.Join(i2, "model", "Avatar.vrm"), vrmBytes)
	write(t, filepath.Join(i2, "chara", "Vivi.chara.json"), card(map[string]any{"档案名": "Vivi",
		"_reserved": map[string]any{"avatar": map[string]any{"model_type": "vrm", "vrm": map[string]any{"model_path": "model/Avatar.vrm"}}}}))

	// 1003: hostile item
	i3 := filepath.Join(st.Content1, "1003")
	write(t, filepath.Join(i3, "Evil.chara.json"), card(map[string]any{"档案名": "Evil", "live2d": "../1001/mao"}))
	write(t, filepath.Join(i3, "abs.chara.json"), card(map[string]any{"档案名": "Abs", "vrm": "/etc/passwd", "model_type": "vrm"}))
	write(t, filepath.Join(i3, "dots.chara.json"), card(map[string]any{"档案名": "../../escape"}))
	write(t, filepath.Join(i3, "slash.chara.json"), card(map[string]any{"档案名": `a\b`}))
	write(t, filepath.Join(i3, "bad", "bad.model3.json"), live2d("../../../../outside/m/m.moc3"))
	write(t, filepath.Join(i3, "fake.vrm"), "not a gltf file at all")
	write(t, filepath.Join(i3, "huge.chara.json"), `{"档案名":"Huge","x":"`+strings.Repeat("a", 2<<20)+`"}`)
	write(t, filepath.Join(i3, "broken.chara.json"), `{"档案名": "Broken",`)
	// on Linux a backslash is an ordinary name character; on Windows this name would climb out
	write(t, filepath.Join(i3, `..\..\1001\Mao.chara.json`), card(map[string]any{"档案名": "Backslash"}))
	symlink(t, filepath.Join(st.Outside, "secret.chara.json"), filepath.Join(i3, "link.chara.json"))
	symlink(t, filepath.Join(st.Outside, "m"), filepath.Join(i3, "linkdir"))
	symlink(t, filepath.Join(i3, "fake.vrm"), filepath.Join(i3, "inside-link.txt"))

	// folders that are not items
	write(t, filepath.Join(st.Content1, "notanumber", "x.chara.json"), card(map[string]any{"档案名": "NotAnItem"}))
	symlink(t, st.Outside, filepath.Join(st.Content1, "1004"))

	// second library: a clash with an existing character and a case clash
	i4 := filepath.Join(st.Content2, "2001")
	write(t, filepath.Join(i4, "existing.chara.json"), card(map[string]any{"档案名": "Existing", "note": "must not overwrite"}))
	write(t, filepath.Join(i4, "mao.chara.json"), card(map[string]any{"name": "MAO", "note": "case clash"}))
	write(t, filepath.Join(i4, "Neko.chara.json"), card(map[string]any{"档案名": "N.E.K.O", "性格": "calm"}))
	return st
}

// memChars is an in-memory character list.
type memChars struct {
	mu       sync.Mutex
	names    []string
	profiles map[string]map[string]any
	order    map[string][]string
}

func newMemChars(names ...string) *memChars {
	return &memChars{names: names, profiles: map[string]map[string]any{}, order: map[string][]string{}}
}

func (m *memChars) Names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.names...)
}

func (m *memChars) AddCharacter(name string, profile []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range m.names {
		if n == name {
			return fmt.Errorf("character %q exists", name)
		}
	}
	var p map[string]any
	if err := json.Unmarshal(profile, &p); err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(profile)))
	_, _ = dec.Token()
	var keys []string
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var skip json.RawMessage
		_ = dec.Decode(&skip)
	}
	m.names = append(m.names, name)
	m.profiles[name] = p
	m.order[name] = keys
	return nil
}
