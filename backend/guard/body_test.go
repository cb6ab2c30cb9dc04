package guard_test

import (
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"neko/backend/guard"
)

func post(t *testing.T, srv *httptest.Server, path, ctype string, body io.Reader, size int64) (int, map[string]any) {
	t.Helper()
	r, err := http.NewRequest("POST", srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	r.ContentLength = size
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	r.Header.Set(guard.TokenHeader, testToken)
	resp, err := srv.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	m := map[string]any{"raw": string(raw), "len": resp.Header.Get("X-Body-Len")}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if c := strings.Split(string(raw), `"code":"`); len(c) > 1 {
			m["code"], _, _ = strings.Cut(c[1], `"`)
		}
	}
	return resp.StatusCode, m
}

func TestBodyLimit(t *testing.T) {
	srv := newServer(t, guard.Config{Token: testToken, MaxBodyBytes: 1000})
	ok := strings.Repeat("a", 1000)
	big := strings.Repeat("a", 1001)
	if code, m := post(t, srv, "/x", "text/plain", strings.NewReader(ok), 1000); code != 200 || m["len"] != "1000" {
		t.Errorf("at the limit: %d %v", code, m)
	}
	if code, m := post(t, srv, "/x", "text/plain", strings.NewReader(big), 1001); code != 413 || m["code"] != "body_too_large" {
		t.Errorf("over the limit by Content-Length: %d %v", code, m)
	}
	// Chunked (unknown length) bodies are caught while reading.
	if code, m := post(t, srv, "/x", "application/json", io.MultiReader(strings.NewReader(big)), -1); code != 413 || m["code"] != "body_too_large" {
		t.Errorf("chunked over the limit (buffered): %d %v", code, m)
	}
	if code, m := post(t, srv, "/x", "application/octet-stream", io.MultiReader(strings.NewReader(big)), -1); code != 413 {
		t.Errorf("chunked over the limit (streamed, handler maps the error): %d %v", code, m)
	}
	if code, m := post(t, srv, "/x", "application/json", io.MultiReader(strings.NewReader(`{"a":1}`)), -1); code != 200 || m["len"] != "7" {
		t.Errorf("small chunked body: %d %v", code, m)
	}
}

func TestJSONDepthLimit(t *testing.T) {
	srv := newServer(t, guard.Config{Token: testToken, MaxJSONDepth: 10})
	deep := strings.Repeat("[", 11) + strings.Repeat("]", 11)
	okDepth := strings.Repeat(`{"a":`, 10) + "1" + strings.Repeat("}", 10)
	inString := `{"a":"` + strings.Repeat("[", 100) + `"}`
	for _, c := range []struct {
		body, ctype string
		want        int
	}{
		{deep, "application/json", 400},
		{deep, "", 400},
		{deep, "text/plain", 400},
		{"  \n" + deep, "application/json", 400},
		{okDepth, "application/json", 200},
		{inString, "application/json", 200},
		{deep, "application/octet-stream", 200}, // not buffered: a binary stream
	} {
		code, m := post(t, srv, "/x", c.ctype, strings.NewReader(c.body), int64(len(c.body)))
		if code != c.want {
			t.Errorf("%q (%s): %d %v, want %d", c.body[:min(20, len(c.body))], c.ctype, code, m, c.want)
		}
		if c.want == 400 && m["code"] != "json_too_deep" {
			t.Errorf("code %v", m["code"])
		}
	}
	// The default cap is 64.
	srv2 := newServer(t, guard.Config{Token: testToken})
	d65 := strings.Repeat("[", 65) + strings.Repeat("]", 65)
	d64 := strings.Repeat("[", 64) + strings.Repeat("]", 64)
	if code, _ := post(t, srv2, "/x", "application/json", strings.NewReader(d65), int64(len(d65))); code != 400 {
		t.Errorf("depth 65: %d", code)
	}
	if code, _ := post(t, srv2, "/x", "application/json", strings.NewReader(d64), int64(len(d64))); code != 200 {
		t.Errorf("depth 64: %d", code)
	}
}

func TestRouteLimits(t *testing.T) {
	f := guard.RouteLimits(map[string]int64{
		"POST /api/model/vrm/upload": guard.UploadMaxBytes,
		"/api/live2d/upload_file/":   50 << 20,
		"/api/live2d/":               2 << 20,
	})
	for _, c := range []struct {
		method, path string
		want         int64
	}{
		{"POST", "/api/model/vrm/upload", guard.UploadMaxBytes},
		{"PUT", "/api/model/vrm/upload", 0},
		{"POST", "/api/model/vrm/upload/x", 0},
		{"POST", "/api/live2d/upload_file/mao", 50 << 20},
		{"POST", "/api/live2d/models", 2 << 20},
		{"POST", "/other", 0},
	} {
		r := httptest.NewRequest(c.method, c.path, nil)
		if got := f(r); got != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, got, c.want)
		}
	}
}

// TestUploadStreamedToDisk sends a 200 MiB multipart upload through the
// guard into SaveStream and checks it never sat in memory.
func TestUploadStreamedToDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("200 MiB upload")
	}
	dir := t.TempDir()
	const size = guard.UploadMaxBytes - 4096 // room for the multipart framing
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/model/vrm/upload", func(w http.ResponseWriter, r *http.Request) {
		mr, err := r.MultipartReader()
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		part, err := mr.NextPart()
		if err != nil {
			http.Error(w, err.Error(), guard.BodyErrorStatus(err))
			return
		}
		n, err := guard.SaveStream(dir, part.FileName(), part, guard.UploadMaxBytes)
		if err != nil {
			http.Error(w, err.Error(), guard.BodyErrorStatus(err))
			return
		}
		w.Header().Set("X-Saved", strconv.FormatInt(n, 10))
	})
	h := guard.Middleware(guard.Config{Token: testToken,
		BodyLimit: guard.RouteLimits(map[string]int64{"POST /api/model/vrm/upload": guard.UploadMaxBytes})}, nil)(mux)

	send := func(n int64) (int, string) {
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		go func() {
			fw, err := mw.CreateFormFile("file", "big.vrm")
			if err == nil {
				_, err = io.Copy(fw, io.LimitReader(zeros{}, n))
			}
			if err == nil {
				err = mw.Close()
			}
			pw.CloseWithError(err)
		}()
		r := httptest.NewRequest("POST", "http://127.0.0.1/api/model/vrm/upload", pr)
		r.Header.Set("Content-Type", mw.FormDataContentType())
		r.Header.Set(guard.TokenHeader, testToken)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		_ = pr.CloseWithError(io.ErrClosedPipe)
		return w.Code, w.Header().Get("X-Saved")
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	code, saved := send(size)
	runtime.ReadMemStats(&after)
	if code != 200 || saved != strconv.FormatInt(size, 10) {
		t.Fatalf("upload: %d saved=%s", code, saved)
	}
	st, err := os.Stat(filepath.Join(dir, "big.vrm"))
	if err != nil || st.Size() != size {
		t.Fatalf("stored file: %v %v", st, err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("allocated %d MiB for a %d MiB upload: it was buffered", grew>>20, size>>20)
	}
	if err := os.Remove(filepath.Join(dir, "big.vrm")); err != nil {
		t.Fatal(err)
	}
	// Over the cap: refused while streaming, nothing left behind.
	code, _ = send(guard.UploadMaxBytes + 1)
	if code != 413 {
		t.Errorf("oversize upload: %d, want 413", code)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("oversize upload left files: %v", left)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
