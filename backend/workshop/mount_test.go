package workshop_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"neko/backend/workshop"
)

// rootFS is a confined file server like the shell's: os.Root refuses
// escapes.
func rootFS(dir string) (http.Handler, io.Closer, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, err
	}
	return http.FileServerFS(r.FS()), r, nil
}

func TestMountFollowsRoot(t *testing.T) {
	st := newSteamTree(t)
	svc := newService(t, st, nil)
	m := svc.Mount(rootFS)
	mux := http.NewServeMux()
	mux.Handle(workshop.Prefix+"/", svc.Handler())
	mux.Handle("/workshop/", http.StripPrefix("/workshop", m))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer m.Close()

	get := func(p string) (int, string) {
		t.Helper()
		resp, err := srv.Client().Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/workshop/1001/mao/mao.model3.json"); code != 200 || !strings.Contains(body, "mao.moc3") {
		t.Fatalf("steam model = %d %q", code, body)
	}
	if m.Root() != st.Content1 {
		t.Errorf("root = %s", m.Root())
	}
	if code, _ := get("/workshop/1003/link.chara.json"); code == 200 {
		t.Error("a symlink out of the root was served")
	}

	mods := filepath.Join(st.Data, "mods")
	write(t, filepath.Join(mods, "x", "hello.txt"), "from the mod folder")
	resp, err := srv.Client().Post(srv.URL+workshop.Prefix+"/config", "application/json",
		strings.NewReader(`{"user_mod_folder": "`+mods+`"}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST /config: %v %v", err, resp.Status)
	}
	resp.Body.Close()
	if code, body := get("/workshop/x/hello.txt"); code != 200 || body != "from the mod folder" {
		t.Fatalf("after switching to the mod folder = %d %q", code, body)
	}
	if code, _ := get("/workshop/1001/mao/mao.model3.json"); code != 404 {
		t.Errorf("old root still served: %d", code)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if code, _ := get("/workshop/x/hello.txt"); code != 404 {
		t.Errorf("closed mount served %d", code)
	}
}
