package secrets_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"neko/backend/httpjson"
	"neko/backend/secrets"
)

const realKey = "sk-live-THISISTHEREALKEY-9876"

func TestMaskResponses(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/config/core_api", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, 200, map[string]any{"success": true, "api_key": realKey, "coreApi": "qwen"})
	})
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<p>api_key</p>")
	})
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: 1\n\n")
		w.(http.Flusher).Flush()
		io.WriteString(w, "data: 2\n\n")
	})
	mux.HandleFunc("/ndjson", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"token":"`+realKey+`"}`+"\n"+`{"token":"`+realKey+`"}`)
	})
	mux.HandleFunc("/hijack", func(w http.ResponseWriter, r *http.Request) {
		c, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		rw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
		rw.Flush()
		c.Close()
	})
	srv := httptest.NewServer(secrets.MaskResponses(mux))
	defer srv.Close()
	get := func(method, path string) (int, string, http.Header) {
		r, _ := http.NewRequest(method, srv.URL+path, strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	code, body, hdr := get("GET", "/api/config/core_api")
	if code != 200 || strings.Contains(body, "REALKEY") || !strings.Contains(body, `"api_key":"********9876"`) {
		t.Errorf("GET core_api: %d %s", code, body)
	}
	if hdr.Get("Content-Length") != "" && hdr.Get("Content-Length") != strconv.Itoa(len(body)) {
		t.Errorf("Content-Length %s for %d bytes", hdr.Get("Content-Length"), len(body))
	}
	if _, body, _ := get("POST", "/api/config/core_api"); !strings.Contains(body, "REALKEY") {
		t.Errorf("POST replies are the handler's business: %s", body)
	}
	if _, body, _ := get("GET", "/page"); body != "<p>api_key</p>" {
		t.Errorf("page: %q", body)
	}
	if _, body, _ := get("GET", "/stream"); body != "data: 1\n\ndata: 2\n\n" {
		t.Errorf("stream: %q", body)
	}
	if _, body, _ := get("GET", "/ndjson"); strings.Contains(body, "REALKEY") || strings.Count(body, "********") != 2 {
		t.Errorf("ndjson: %q", body)
	}
	if code, body, _ := get("GET", "/hijack"); code != 200 || body != "hi" {
		t.Errorf("hijack: %d %q", code, body)
	}
}
