package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"neko/backend/secrets"
)

// keyPatterns match well-known API key formats.
var keyPatterns = regexp.MustCompile(`\b(sk-[A-Za-z0-9_\-]{20,}|AIza[0-9A-Za-z_\-]{35}|xox[abp]-[0-9A-Za-z\-]{10,}|gh[pousr]_[0-9A-Za-z]{30,})`)

// plant stores a marker key through the configured authenticated route so
// that every later GET and WebSocket greeting can be searched for it.
func (p *prober) plant(ctx context.Context) {
	if p.opt.PlantRoute == nil {
		return
	}
	p.marker = "sk-nekoprobe" + randomHex(16)
	body := strings.ReplaceAll(p.opt.PlantBody, "{{MARKER}}", p.marker)
	r := p.do(ctx, request{Method: p.opt.PlantRoute.Method, Path: p.opt.PlantRoute.url(), Header: p.authed(), Body: []byte(body)})
	if r.Err != nil || r.Status >= 300 {
		p.skip(fmt.Sprintf("marker key not planted through %s (%s %s); leak checks use patterns only",
			p.opt.PlantRoute, r, bytes.TrimSpace(r.Body[:min(len(r.Body), 200)])))
		p.marker = ""
		return
	}
	fmt.Fprintf(p.opt.Out, "planted marker key through %s\n", p.opt.PlantRoute)
}

// leakIn describes the secret a reply body gives away, or "".
func (p *prober) leakIn(body []byte) string {
	s := string(body)
	if p.marker != "" {
		if strings.Contains(s, p.marker) {
			return "the planted marker key in full"
		}
		if strings.Contains(s, p.marker[:len(p.marker)-4]) {
			return "most of the planted marker key"
		}
	}
	if m := keyPatterns.FindString(s); m != "" {
		return fmt.Sprintf("a string shaped like an API key (%s…)", m[:min(len(m), 8)])
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&v) == nil {
		if f := unmaskedField(v, "", false); f != "" {
			return "an unmasked value in secret field " + f
		}
	}
	return ""
}

// unmaskedField finds an unmasked string under a secret field that is long
// enough to be a real key (≥ 16 characters, no spaces: public placeholders
// such as "free-access" in the provider catalog are not keys).
func unmaskedField(v any, path string, secret bool) string {
	switch t := v.(type) {
	case string:
		if secret && len(t) >= 16 && !strings.ContainsAny(t, " \t\n") && !secrets.IsMasked(t) {
			return path
		}
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if f := unmaskedField(t[k], path+"."+k, secret || secrets.IsSecretKey(k)); f != "" {
				return f
			}
		}
	case []any:
		for i, e := range t {
			if f := unmaskedField(e, fmt.Sprintf("%s[%d]", path, i), secret); f != "" {
				return f
			}
		}
	}
	return ""
}

var apiRef = regexp.MustCompile(`["'\x60](/api/[A-Za-z0-9_\-./]+)`)
var scriptSrc = regexp.MustCompile(`<script[^>]+src="(/[^"]+)"`)

// discoverGETs reads the page and its own scripts for /api/ paths, the
// routes our frontend really calls.
func (p *prober) discoverGETs(ctx context.Context) []string {
	seen := map[string]bool{}
	var out []string
	add := func(b []byte) {
		for _, m := range apiRef.FindAllSubmatch(b, -1) {
			s := strings.TrimRight(string(m[1]), "/.")
			if s == "" || seen[s] || len(out) >= 200 {
				continue
			}
			seen[s] = true
			out = append(out, s)
		}
	}
	page := p.do(ctx, request{Method: "GET", Path: "/"})
	if page.Err != nil {
		return nil
	}
	add(page.Body)
	for i, m := range scriptSrc.FindAllSubmatch(page.Body, -1) {
		if i >= 20 {
			break
		}
		js := p.do(ctx, request{Method: "GET", Path: string(m[1])})
		if js.Err == nil && js.Status == 200 {
			add(js.Body)
		}
	}
	return out
}

// checkLeaks reads every GET route (listed and discovered), the page and
// the WebSocket greeting as our own page would, and looks for secrets.
func (p *prober) checkLeaks(ctx context.Context) {
	paths := []string{"/"}
	seen := map[string]bool{"/": true}
	for _, rt := range p.getRoutes() {
		if u := rt.url(); !seen[u] {
			seen[u] = true
			paths = append(paths, u)
		}
	}
	for _, u := range p.discoverGETs(ctx) {
		if !seen[u] {
			seen[u] = true
			paths = append(paths, u)
		}
	}
	for _, path := range paths {
		r := p.do(ctx, request{Method: "GET", Path: path, Header: map[string]string{"Origin": p.ownOrigin()}})
		name := "GET " + path
		if r.Err != nil {
			p.checked("leak", name, r.String())
			continue
		}
		if r.Status == 401 || r.Status == 403 || r.Status == 421 {
			p.skip(fmt.Sprintf("%s refused our own page (%d): the leak check means nothing there", name, r.Status))
			continue
		}
		if r.Header.Get("Access-Control-Allow-Origin") == "*" {
			p.find("origin", name, "Access-Control-Allow-Origin: * lets every web page read this reply")
		}
		if what := p.leakIn(r.Body); what != "" {
			p.find("leak", name, "reply (%d) contains %s", r.Status, what)
		} else {
			p.checked("leak", name, r.String())
		}
	}
	p.checkWSLeak(ctx)
}

// checkWSLeak reads the first messages of the conversation socket.
func (p *prober) checkWSLeak(ctx context.Context) {
	if p.opt.WSPath == "" {
		return
	}
	if p.opt.Token == "" {
		p.skip("WebSocket greeting: no CSRF token to connect with")
		return
	}
	c, status, err := p.dialWS(ctx, p.opt.Token, p.ownOrigin(), "")
	name := "WS " + p.opt.WSPath + " greeting"
	if c == nil {
		p.skip(fmt.Sprintf("%s: could not connect with the token (%d %v)", name, status, err))
		return
	}
	defer c.Close()
	_ = c.WriteMessage(websocket.TextMessage, []byte(`{"action":"ping"}`))
	deadline := time.Now().Add(1500 * time.Millisecond)
	for i := 0; i < 50; i++ {
		_ = c.SetReadDeadline(deadline)
		_, msg, err := c.ReadMessage()
		if err != nil {
			break
		}
		if what := p.leakIn(msg); what != "" {
			p.find("leak", name, "message %d contains %s", i+1, what)
			return
		}
	}
	p.checked("leak", name, "no secrets")
}
