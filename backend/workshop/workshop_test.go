package workshop_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"neko/backend/workshop"
)

func newService(t testing.TB, st steamTree, chars workshop.Characters) *workshop.Service {
	t.Helper()
	return workshop.New(workshop.Config{
		ConfigDir:     filepath.Join(st.Data, "config"),
		DefaultFolder: filepath.Join(st.Data, "workshop"),
		Home:          st.Home,
		GOOS:          "linux",
		SteamRoots:    []string{},
		Limits:        workshop.Limits{MaxCardBytes: 1 << 20},
	}, chars)
}

func TestSteamDiscovery(t *testing.T) {
	st := newSteamTree(t)
	roots := workshop.SteamRoots(st.Home, "linux", nil)
	if len(roots) != 1 || roots[0] != st.Steam {
		t.Fatalf("roots = %v, want only %s (the ~/.steam/steam symlink resolves to it)", roots, st.Steam)
	}
	libs, err := workshop.LibraryFolders(st.Steam)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(libs, st.Lib2) || slices.Contains(libs, "relative/library") {
		t.Fatalf("libraries = %v", libs)
	}
	dirs, warns := workshop.WorkshopContentDirs(roots)
	if len(warns) != 0 || !slices.Equal(dirs, []string{st.Content1, st.Content2}) {
		t.Fatalf("content dirs = %v (warnings %v)", dirs, warns)
	}
	// macOS and Windows layouts under the same home
	mac := filepath.Join(st.Home, "Library", "Application Support", "Steam")
	if err := os.MkdirAll(mac, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := workshop.SteamRoots(st.Home, "darwin", nil); !slices.Equal(got, []string{mac}) {
		t.Fatalf("darwin roots = %v", got)
	}
	if got := workshop.SteamRoots(st.Home, "windows", []string{st.Steam, "relative"}); !slices.Equal(got, []string{st.Steam}) {
		t.Fatalf("windows roots = %v", got)
	}
}

func TestSteamDiscoveryMalformedLibraryFile(t *testing.T) {
	st := newSteamTree(t)
	write(t, filepath.Join(st.Steam, "steamapps", "libraryfolders.vdf"), `"libraryfolders" { "0" { "path" `)
	dirs, warns := workshop.WorkshopContentDirs([]string{st.Steam})
	if len(warns) != 1 {
		t.Fatalf("warnings = %v", warns)
	}
	if !slices.Equal(dirs, []string{st.Content1}) {
		t.Fatalf("the root library must survive a broken vdf: %v", dirs)
	}
}

func findItem(t *testing.T, items []workshop.Item, id string) workshop.Item {
	t.Helper()
	for _, it := range items {
		if it.ID == id {
			return it
		}
	}
	t.Fatalf("item %s not found", id)
	return workshop.Item{}
}

func rejected(it workshop.Item, path string) string {
	for _, r := range it.Rejected {
		if r.Path == path {
			return r.Reason
		}
	}
	return ""
}

func TestScanContentDir(t *testing.T) {
	st := newSteamTree(t)
	items, err := workshop.ScanContentDir(context.Background(), st.Content1, true, workshop.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	if !slices.Equal(ids, []string{"1001", "1002", "1003"}) {
		t.Fatalf("ids = %v (non-numeric folders and symlinked items must be skipped)", ids)
	}
	i1 := findItem(t, items, "1001")
	if len(i1.Live2D) != 1 || i1.Live2D[0].Path != "mao/mao.model3.json" || i1.Live2D[0].Name != "mao" {
		t.Errorf("1001 live2d = %+v", i1.Live2D)
	}
	if len(i1.Cards) != 1 || i1.Cards[0].Name != "Mao" || i1.Title != "Mao" || i1.Description != "a cat" {
		t.Errorf("1001 cards = %+v title %q desc %q", i1.Cards, i1.Title, i1.Description)
	}
	if !slices.Equal(i1.Tags, []string{"cat", "live2d"}) || i1.Preview != "preview.png" || i1.Size == 0 {
		t.Errorf("1001 tags %v preview %q size %d", i1.Tags, i1.Preview, i1.Size)
	}
	i2 := findItem(t, items, "1002")
	if len(i2.VRM) != 1 || i2.VRM[0].Path != "model/Avatar.vrm" || len(i2.Cards) != 1 {
		t.Errorf("1002 = %+v", i2)
	}

	i3 := findItem(t, items, "1003")
	if len(i3.Live2D) != 0 || len(i3.VRM) != 0 {
		t.Errorf("hostile models accepted: %+v %+v", i3.Live2D, i3.VRM)
	}
	var cards []string
	for _, c := range i3.Cards {
		cards = append(cards, c.Name)
	}
	if !slices.Equal(cards, []string{"Evil", "Abs"}) && !slices.Equal(cards, []string{"Abs", "Evil"}) {
		t.Errorf("1003 cards = %v", cards)
	}
	for path, want := range map[string]string{
		"link.chara.json":           "symlink leads outside",
		"huge.chara.json":           "too large",
		"dots.chara.json":           "dot",
		"slash.chara.json":          "forbidden character",
		"broken.chara.json":         "character card",
		"bad/bad.model3.json":       "..",
		"fake.vrm":                  "not a VRM",
		"linkdir":                   "symlink leads outside",
		`..\..\1001\Mao.chara.json`: "climbs out",
	} {
		if got := rejected(i3, path); !strings.Contains(got, want) {
			t.Errorf("%s: rejection %q, want it to mention %q", path, got, want)
		}
	}
	if rejected(i3, "inside-link.txt") != "" {
		t.Error("a symlink that stays inside the item must be accepted")
	}
}

func TestScanItemLimits(t *testing.T) {
	dir := t.TempDir()
	for i := range 30 {
		write(t, filepath.Join(dir, "f", strings.Repeat("d/", 12), "x"+string(rune('a'+i%26))+".txt"), "x")
	}
	it, err := workshop.ScanItem(context.Background(), dir, workshop.Limits{MaxEntries: 10, MaxDepth: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !it.Truncated {
		t.Error("a scan over the limits must say it was truncated")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := workshop.ScanItem(ctx, dir, workshop.Limits{}); err == nil {
		t.Error("a cancelled scan must fail")
	}
}

func TestCleanRel(t *testing.T) {
	good := map[string]string{"a/b.json": "a/b.json", `a\b.vrm`: "a/b.vrm", "./a//b": "a/b"}
	for in, want := range good {
		if got, err := workshop.CleanRel(in); err != nil || got != want {
			t.Errorf("CleanRel(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", ".", "../x", "a/../../x", "a/..", "/etc/passwd", `C:\x`, `\\server\share`, "a\x00b", "a\nb"} {
		if got, err := workshop.CleanRel(in); err == nil {
			t.Errorf("CleanRel(%q) = %q, want an error", in, got)
		}
	}
}

func TestSyncCharacters(t *testing.T) {
	st := newSteamTree(t)
	chars := newMemChars("Existing", "Other")
	svc := newService(t, st, chars)
	res, err := svc.SyncCharacters(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(res.AddedNames)
	if want := []string{"Abs", "Evil", "Mao", "N.E.K.O", "Vivi"}; !slices.Equal(res.AddedNames, want) {
		t.Fatalf("added = %v, want %v (result %+v)", res.AddedNames, want, res)
	}
	if res.Skipped != 2 || !slices.Contains(res.SkippedNames, "Existing") || !slices.Contains(res.SkippedNames, "MAO") {
		t.Errorf("skipped = %d %v", res.Skipped, res.SkippedNames)
	}
	// huge, dots, slash, broken, link, backslash: six bad cards, each counted
	if res.Errors != 6 {
		t.Errorf("errors = %d, want 6: %v", res.Errors, res.ErrorDetails)
	}

	mao := chars.profiles["Mao"]
	for _, k := range []string{"档案名", "live2d", "voice_id", "描述", "标签", "system_prompt", "empty"} {
		if _, ok := mao[k]; ok {
			t.Errorf("reserved or null field %q was imported", k)
		}
	}
	if mao["性别"] != "女" || mao["年龄"] != float64(15) {
		t.Errorf("profile fields lost: %v", mao)
	}
	if got := chars.order["Mao"]; !slices.Equal(got, []string{"性别", "年龄", "_reserved"}) {
		t.Errorf("field order = %v", got)
	}
	r := mao["_reserved"].(map[string]any)
	av := r["avatar"].(map[string]any)
	if r["voice_id"] != "" || av["asset_source"] != "steam_workshop" || av["asset_source_id"] != "1001" ||
		av["model_type"] != "live2d" || av["live2d"].(map[string]any)["model_path"] != "mao/mao.model3.json" {
		t.Errorf("Mao _reserved = %v", r)
	}
	vav := chars.profiles["Vivi"]["_reserved"].(map[string]any)["avatar"].(map[string]any)
	if vav["model_type"] != "vrm" || vav["vrm"].(map[string]any)["model_path"] != "model/Avatar.vrm" || vav["asset_source_id"] != "1002" {
		t.Errorf("Vivi avatar = %v", vav)
	}
	for _, n := range []string{"Evil", "Abs"} {
		if _, ok := chars.profiles[n]["_reserved"].(map[string]any)["avatar"]; ok {
			t.Errorf("%s: a model path leaving the item must not bind an avatar", n)
		}
	}
	if _, ok := chars.profiles["Stolen"]; ok {
		t.Error("a card reached through a symlink out of the item was imported")
	}

	again, err := svc.SyncCharacters(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if again.Added != 0 || again.Skipped != 7 {
		t.Errorf("second sync = %+v, want nothing added and every card skipped", again)
	}
}

func TestSyncWithoutStore(t *testing.T) {
	st := newSteamTree(t)
	if _, err := newService(t, st, nil).SyncCharacters(context.Background()); err != workshop.ErrNoCharacters {
		t.Fatalf("err = %v", err)
	}
}

func TestRootResolutionOrder(t *testing.T) {
	st := newSteamTree(t)
	svc := newService(t, st, nil)
	cfgPath := filepath.Join(st.Data, "config", "workshop_config.json")

	root, src, err := svc.Root()
	if err != nil || root != st.Content1 || src != workshop.SourceSteam {
		t.Fatalf("steam: %s %s %v", root, src, err)
	}
	data, _ := os.ReadFile(cfgPath)
	if !strings.Contains(string(data), "user_workshop_folder") {
		t.Errorf("the Steam folder should be cached: %s", data)
	}

	mods := filepath.Join(st.Data, "mods")
	write(t, cfgPath, `{"user_mod_folder": "`+mods+`", "keep_me": 1}`)
	root, src, err = svc.Root()
	if err != nil || root != mods || src != workshop.SourceUserModFolder || !isDirT(mods) {
		t.Fatalf("user mod folder: %s %s %v", root, src, err)
	}

	// no Steam: the cached folder, then the default
	noSteam := workshop.New(workshop.Config{ConfigDir: filepath.Join(st.Data, "config"),
		DefaultFolder: filepath.Join(st.Data, "workshop"), Home: t.TempDir(), GOOS: "linux", SteamRoots: []string{}}, nil)
	write(t, cfgPath, `{"user_workshop_folder": "`+st.Content2+`"}`)
	if root, src, _ = noSteam.Root(); root != st.Content2 || src != workshop.SourceCached {
		t.Fatalf("cached: %s %s", root, src)
	}
	write(t, cfgPath, `{"user_mod_folder": "relative/path", "auto_create_folder": true}`)
	if root, src, _ = noSteam.Root(); root != filepath.Join(st.Data, "workshop") || src != workshop.SourceDefault || !isDirT(root) {
		t.Fatalf("default: %s %s", root, src)
	}
	write(t, cfgPath, `{not json`)
	if root, src, _ = noSteam.Root(); src != workshop.SourceDefault {
		t.Fatalf("malformed config: %s %s", root, src)
	}
	if data, _ := os.ReadFile(cfgPath); string(data) != `{not json` {
		t.Error("a malformed config file must be left alone")
	}
}

func isDirT(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func BenchmarkScanContentDir(b *testing.B) {
	st := newSteamTree(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := workshop.ScanContentDir(context.Background(), st.Content1, true, workshop.Limits{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/3, "µs/item")
}

func TestSyncConcurrent(t *testing.T) {
	st := newSteamTree(t)
	chars := newMemChars()
	svc := newService(t, st, chars)
	done := make(chan workshop.SyncResult, 3)
	for range 3 {
		go func() {
			res, err := svc.SyncCharacters(context.Background())
			if err != nil {
				t.Error(err)
			}
			done <- res
		}()
	}
	added := 0
	for range 3 {
		added += (<-done).Added
	}
	if added != 6 || len(chars.Names()) != 6 {
		t.Fatalf("concurrent syncs added %d (store has %v), want each card once", added, chars.Names())
	}
}

func TestItemURL(t *testing.T) {
	st := newSteamTree(t)
	dir := filepath.Join(st.Content1, "1005", "模型 A")
	write(t, filepath.Join(dir, "a#b.model3.json"), live2d("a.moc3"))
	write(t, filepath.Join(dir, "a.moc3"), "moc")
	it, err := workshop.ScanItem(context.Background(), filepath.Join(st.Content1, "1005"), workshop.Limits{})
	if err != nil || len(it.Live2D) != 1 {
		t.Fatalf("scan: %v %+v", err, it)
	}
	if got := workshop.ItemURL(st.Content1, it, it.Live2D[0].Path); got != "/workshop/1005/%E6%A8%A1%E5%9E%8B%20A/a%23b.model3.json" {
		t.Errorf("url = %q", got)
	}
	if got := workshop.ItemURL(st.Content2, it, it.Live2D[0].Path); got != "" {
		t.Errorf("an item outside the mounted root has no URL, got %q", got)
	}
}
