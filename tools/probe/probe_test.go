package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"

	"neko/backend/guard"
	"neko/backend/httpjson"
	"neko/backend/secrets"
)

const indexHTML = `<!doctype html><html><head><title>neko</title><script src="/static/app.js"></script></head><body></body></html>`
const appJS = `fetch("/api/config/core_api"); fetch('/api/characters/current_catgirl')`

const testRoutes = `
GET /api/config/core_api
GET /api/characters/current_catgirl
POST /api/config/core_api
PUT /api/characters/catgirl/{name}
DELETE /api/characters/catgirl/{name}
POST /api/model/vrm/upload
`

// app is a miniature main server: the same routes, data folder and socket
// as the real one, with or without the protections.
type app struct {
	dir     string
	mu      sync.Mutex
	config  map[string]any
	guarded bool
}

func newApp(t *testing.T, guarded bool) *app {
	dir := t.TempDir()
	for _, d := range []string{"static", "live2d", "vrm", "workshop"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	os.WriteFile(filepath.Join(dir, "static", "app.js"), []byte(appJS), 0o644)
	os.WriteFile(filepath.Join(dir, "vrm", "a.vrm"), []byte("vrm"), 0o644)
	return &app{dir: dir, guarded: guarded, config: map[string]any{"coreApi": "qwen", "coreApiKey": "sk-initialkeyinitialkey0000"}}
}

func (a *app) coreAPI(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r.Method == "GET" {
		out := a.config
		if a.guarded {
			m, _ := secrets.MaskJSON(a.config)
			out = m.(map[string]any)
		}
		httpjson.Write(w, 200, out)
		return
	}
	var in map[string]any
	if !httpjson.DecodeOrError(w, r, &in, 0) {
		return
	}
	if a.guarded {
		in = secrets.MergeMasked(in, a.config).(map[string]any)
	}
	a.config = in
	httpjson.Write(w, 200, map[string]any{"success": true})
}

// naiveFiles serves dir/<rest of the raw path>, decoding it once and
// following symlinks: the classic traversal bug.
func naiveFiles(prefix, dir string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		raw := strings.TrimPrefix(r.URL.EscapedPath(), prefix)
		name, err := url.PathUnescape(raw)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}
}

func (a *app) handler(t *testing.T, token string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", httpjson.HealthHandler("main", "test", nil))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(guard.InjectTokenMeta([]byte(indexHTML), token))
	})
	mux.HandleFunc("/api/config/core_api", a.coreAPI)
	mux.HandleFunc("GET /api/characters/current_catgirl", func(w http.ResponseWriter, r *http.Request) {
		if !a.guarded {
			w.Header().Set("Access-Control-Allow-Origin", "*")
		}
		httpjson.Write(w, 200, map[string]any{"current_catgirl": "neko"})
	})
	ok := func(w http.ResponseWriter, r *http.Request) {
		var v any
		if httpjson.DecodeOrError(w, r, &v, 64<<20) {
			httpjson.Write(w, 200, map[string]any{"success": true})
		}
	}
	mux.HandleFunc("PUT /api/characters/catgirl/{name}", ok)
	mux.HandleFunc("DELETE /api/characters/catgirl/{name}", ok)
	mux.HandleFunc("POST /api/model/vrm/upload", func(w http.ResponseWriter, r *http.Request) {
		if !a.guarded {
			io.Copy(io.Discard, r.Body) // waits for the whole announced body
			return
		}
		mr, err := r.MultipartReader()
		if err != nil {
			httpjson.Error(w, 400, "bad_upload", err.Error())
			return
		}
		part, err := mr.NextPart()
		if err != nil {
			httpjson.Error(w, guard.BodyErrorStatus(err), "bad_upload", err.Error())
			return
		}
		if _, err := guard.SaveStream(filepath.Join(a.dir, "vrm"), part.FileName(), part, guard.UploadMaxBytes); err != nil {
			httpjson.Error(w, guard.BodyErrorStatus(err), "bad_upload", err.Error())
			return
		}
		httpjson.Write(w, 200, map[string]any{"success": true})
	})
	mux.HandleFunc("GET /api/file-exists", func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Query().Get("path")
		exists := false
		if a.guarded {
			root, err := os.OpenRoot(a.dir)
			if err == nil {
				_, err = root.Stat(p)
				exists = err == nil
				root.Close()
			}
		} else {
			_, err := os.Stat(p)
			exists = err == nil
		}
		httpjson.Write(w, 200, map[string]any{"exists": exists})
	})
	mux.HandleFunc("GET /api/memory/recent_file", func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Query().Get("filename")
		if a.guarded && guard.SafeName(name) != nil {
			httpjson.Error(w, 400, "bad_name", "invalid file name")
			return
		}
		b, err := os.ReadFile(filepath.Join(a.dir, "memory", name))
		if err != nil {
			httpjson.Error(w, 404, "not_found", "no such file")
			return
		}
		httpjson.Write(w, 200, map[string]any{"content": string(b)})
	})
	for _, m := range []struct{ prefix, dir string }{
		{"/static/", "static"}, {"/user_live2d/", "live2d"}, {"/user_vrm/", "vrm"}, {"/workshop/", "workshop"},
	} {
		dir := filepath.Join(a.dir, m.dir)
		if a.guarded {
			fsrv, err := guard.NewFileServer(dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { fsrv.Close() })
			mux.Handle(m.prefix, http.StripPrefix(strings.TrimSuffix(m.prefix, "/"), fsrv))
		} else {
			mux.HandleFunc(m.prefix, naiveFiles(m.prefix, dir))
		}
	}
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	mux.HandleFunc("GET /ws/{name}", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		a.mu.Lock()
		greeting := map[string]any{"type": "session_info", "character": r.PathValue("name"), "config": a.config}
		if a.guarded {
			greeting["config"], _ = secrets.MaskJSON(a.config)
		}
		b, _ := json.Marshal(greeting)
		a.mu.Unlock()
		c.WriteMessage(websocket.TextMessage, b)
		c.ReadMessage()
	})
	if !a.guarded {
		return mux
	}
	return guard.Middleware(guard.Config{
		Token:     token,
		BodyLimit: guard.RouteLimits(map[string]int64{"POST /api/model/vrm/upload": guard.UploadMaxBytes}),
	}, nil)(secrets.MaskResponses(mux))
}

// memoryServer answers like the memory server, with or without the
// instance token.
func memoryServer(t *testing.T, guarded bool) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", httpjson.HealthHandler("memory", "test", nil))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "memory context") })
	var h http.Handler = mux
	if guarded {
		h = guard.Middleware(guard.Config{InstanceToken: "instance-secret-for-tests-000"}, nil)(mux)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func runProbe(t *testing.T, guarded bool) (int, string) {
	t.Helper()
	a := newApp(t, guarded)
	token, err := guard.LoadOrCreateToken(filepath.Join(a.dir, "config", ".neko_token"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.handler(t, token))
	t.Cleanup(srv.Close)
	mem := memoryServer(t, guarded)
	routes := filepath.Join(t.TempDir(), "routes.txt")
	os.WriteFile(routes, []byte(testRoutes), 0o644)
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{
		"-url", srv.URL, "-memory-url", mem.URL,
		"-routes", routes, "-no-default-routes",
		"-uploads", "POST /api/model/vrm/upload",
		"-file-endpoints", "/api/file-exists?path,/api/memory/recent_file?filename",
		"-ws", "/ws/neko",
		"-plant", "POST /api/config/core_api",
		"-data", a.dir,
		"-upload-wait", "1s", "-timeout", "5s", "-v",
	}, &out, &errOut)
	if errOut.Len() > 0 {
		t.Logf("stderr: %s", errOut.String())
	}
	return code, out.String()
}

func TestProbeFindsHoles(t *testing.T) {
	code, out := runProbe(t, false)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	for _, want := range []string{
		"FINDING host ", "FINDING origin ", "FINDING token ", "FINDING ws ", "FINDING traversal ",
		"FINDING body ", "FINDING leak ", "FINDING instance ",
		"the planted marker key in full",     // leak through GET
		"greeting: message 1 contains",       // leak through the WebSocket
		"the CSRF token",                     // rebinding reads the page
		"outside the served folder",          // static mount traversal
		"(symlink)",                          // planted symlink followed
		"confirms a file outside its folder", // file-exists oracle
		"300 MiB upload announced",           // waits for a huge body
		"JSON nested 5000 deep",
		"Access-Control-Allow-Origin: * lets every web page read",
		`GET / (Origin "http://evil.example")`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("probe output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("probe output:\n%s", out)
	}
}

func TestProbeGuardedServerIsClean(t *testing.T) {
	code, out := runProbe(t, true)
	if code != 0 || strings.Contains(out, "FINDING") {
		t.Fatalf("exit %d on the guarded server:\n%s", code, out)
	}
	if !strings.Contains(out, "planted marker key") || !strings.Contains(out, "findings: 0") {
		t.Fatalf("probe did not run its checks:\n%s", out)
	}
	if testing.Verbose() {
		t.Log(out)
	}
	if strings.Contains(out, "skip ") {
		t.Errorf("checks skipped against the guarded server:\n%s", out)
	}
}

func TestProbeUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"-url", u}, &out, &errOut); code != 2 {
		t.Fatalf("exit %d for a dead server", code)
	}
	if code := run(context.Background(), []string{"-url", "ftp://x"}, &out, &errOut); code != 2 {
		t.Fatalf("exit %d for a bad URL", code)
	}
}
