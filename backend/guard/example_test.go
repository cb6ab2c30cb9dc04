package guard_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"neko/backend/guard"
	"neko/backend/secrets"
)

// Example wires the guard the way the three servers use it: the main
// server with the per-install token (served to its own pages in a meta
// tag), secrets masked on every JSON GET, and uploads allowed 200 MiB; the
// memory server accepting only callers with the instance token.
func Example() {
	data, _ := os.MkdirTemp("", "neko-example-")
	defer os.RemoveAll(data)
	tokens, err := guard.OpenTokenStore(filepath.Join(data, "config", ".neko_token"))
	if err != nil {
		panic(err)
	}

	mainMux := http.NewServeMux()
	mainMux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(guard.InjectTokenMeta([]byte("<html><head></head></html>"), tokens.Token()))
	})
	mainMux.HandleFunc("POST /api/characters/reload", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "reloaded")
	})
	mainHandler := guard.Middleware(guard.Config{
		AllowedHosts: guard.DefaultAllowedHosts(48911),
		TokenFunc:    tokens.Token,
		BodyLimit: guard.RouteLimits(map[string]int64{
			"POST /api/model/vrm/upload": guard.UploadMaxBytes,
		}),
	}, nil)(secrets.MaskResponses(mainMux))

	instance, _ := guard.NewToken()
	memoryMux := http.NewServeMux()
	memoryHandler := guard.Middleware(guard.Config{
		AllowedHosts:  guard.DefaultAllowedHosts(48912),
		InstanceToken: instance,
	}, nil)(memoryMux)
	_ = memoryHandler

	// A page on another site tries to reload the characters.
	r := httptest.NewRequest("POST", "http://127.0.0.1:48911/api/characters/reload", nil)
	r.Header.Set("Origin", "http://evil.example")
	w := httptest.NewRecorder()
	mainHandler.ServeHTTP(w, r)
	fmt.Println(w.Code, strings.Contains(w.Body.String(), "origin_not_allowed"))

	// Our own page, with the token from its meta tag.
	r = httptest.NewRequest("POST", "http://127.0.0.1:48911/api/characters/reload", nil)
	r.Header.Set("Origin", "http://127.0.0.1:48911")
	r.Header.Set(guard.TokenHeader, tokens.Token())
	w = httptest.NewRecorder()
	mainHandler.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Body.String())
	// Output:
	// 403 true
	// 200 reloaded
}
