//go:build desktop || bindings

package main

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httputil"
	"strconv"
)

// petMeta tells the page, before it renders, that it is the pet window
// (frontend/src/desktop/install.ts turns it into ?mode=pet, which the page
// reads from its own URL; the window's URL cannot carry it).
const petMeta = `<meta name="neko-window-mode" content="pet">`

// maxPageBytes bounds the page the proxy rewrites (index.html is ~1 kB).
const maxPageBytes = 1 << 20

// assets serves the window through the main server, so the page is the very
// same app a browser gets while the Wails runtime (drag regions, window
// controls) is available to it. WebSockets go straight to the main server.
// In pet mode the start page is marked as the pet window.
func (a *App) assets() http.Handler {
	proxy := httputil.NewSingleHostReverseProxy(a.base)
	inner := proxy.Director
	proxy.Director = func(r *http.Request) {
		inner(r)
		r.Host = a.base.Host
		if r.URL.Path == "/" && a.prefsNow().Mode == modePet {
			r.Header.Del("Accept-Encoding") // the page is rewritten below: plain bytes
		}
	}
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.URL.Path != "/" || resp.StatusCode != http.StatusOK || a.prefsNow().Mode != modePet {
			return nil
		}
		if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/html" {
			return nil
		}
		return markPetPage(resp)
	}
	return proxy
}

// markPetPage adds petMeta at the start of the page's <head>.
func markPetPage(resp *http.Response) error {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBytes+1))
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("read the start page: %w", err)
	}
	if len(body) > maxPageBytes {
		return fmt.Errorf("start page larger than %d bytes", maxPageBytes)
	}
	if i := bytes.Index(body, []byte("<head>")); i >= 0 {
		at := i + len("<head>")
		body = append(body[:at:at], append([]byte(petMeta), body[at:]...)...)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	resp.Header.Del("Content-Encoding")
	return nil
}
