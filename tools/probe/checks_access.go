package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/websocket"
)

// rebindHosts are Host headers a DNS-rebinding page (or a confused proxy)
// would send for our port.
func rebindHosts(port string) []string {
	return []string{
		"evil.example",
		"evil.example:" + port,
		"127.0.0.1.evil.example:" + port,
		"localhost.evil.example:" + port,
		"0.0.0.0:" + port,
		"127.0.0.1:" + port + "@evil.example",
	}
}

// foreignOrigins are origins of pages that are not ours.
func foreignOrigins(port string) []string {
	return []string{"http://evil.example", "null", "http://127.0.0.1.evil.example:" + port, "http://localhost:1"}
}

func (p *prober) getRoutes() []route {
	var out []route
	for _, r := range p.opt.Routes {
		if r.Method == http.MethodGet {
			out = append(out, r)
		}
	}
	return out
}

func (p *prober) mutatingRoutes() []route {
	var out []route
	for _, r := range p.opt.Routes {
		if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions {
			out = append(out, r)
		}
	}
	return out
}

// checkHost sends rebinding Host headers to the page, /health, every GET
// route and every mutating route (with a valid token).
func (p *prober) checkHost(ctx context.Context) {
	port := p.opt.Base.Port()
	targets := append([]route{{"GET", "/"}, {"GET", "/health"}}, p.getRoutes()...)
	for _, h := range rebindHosts(port) {
		for _, rt := range targets {
			r := p.do(ctx, request{Method: rt.Method, Path: rt.url(), Host: h})
			name := fmt.Sprintf("%s (Host %q)", rt, h)
			switch {
			case r.Err != nil:
				p.checked("host", name, r.String())
			case r.Status < 400:
				extra := ""
				if p.opt.Token != "" && strings.Contains(string(r.Body), p.opt.Token) {
					extra = "; the reply carries the CSRF token"
				}
				p.find("host", name, "answered %d: a DNS-rebinding page can read this%s", r.Status, extra)
			default:
				p.checked("host", name, r.String())
			}
		}
	}
	h := "evil.example:" + port
	for _, rt := range p.mutatingRoutes() {
		r := p.do(ctx, request{Method: rt.Method, Path: rt.url(), Host: h, Header: p.authed(), Body: []byte("{}")})
		name := fmt.Sprintf("%s (Host %q)", rt, h)
		if r.Err == nil && !refused(r.Status) {
			p.find("host", name, "answered %d: a DNS-rebinding page can call this", r.Status)
		} else {
			p.checked("host", name, r.String())
		}
	}
}

// checkOrigin sends foreign Origins (and, without Origin, foreign Referer
// and cross-site fetch metadata) with an otherwise valid request.
func (p *prober) checkOrigin(ctx context.Context) {
	port := p.opt.Base.Port()
	for _, o := range foreignOrigins(port) {
		for _, rt := range append([]route{{"GET", "/"}}, p.getRoutes()...) {
			r := p.do(ctx, request{Method: "GET", Path: rt.url(), Header: map[string]string{"Origin": o}})
			name := fmt.Sprintf("%s (Origin %q)", rt, o)
			if r.Err == nil && r.Status < 400 {
				acao := r.Header.Get("Access-Control-Allow-Origin")
				sev := "the browser hides the reply, but the request ran"
				if acao == "*" || acao == o {
					sev = "and CORS lets that page read the reply (Access-Control-Allow-Origin: " + acao + ")"
				}
				p.find("origin", name, "answered %d to a foreign page, %s", r.Status, sev)
			} else {
				p.checked("origin", name, r.String())
			}
		}
		for _, rt := range p.mutatingRoutes() {
			h := p.authed()
			h["Origin"] = o
			r := p.do(ctx, request{Method: rt.Method, Path: rt.url(), Header: h, Body: []byte("{}")})
			name := fmt.Sprintf("%s (Origin %q, valid token)", rt, o)
			if r.Err == nil && !refused(r.Status) {
				p.find("origin", name, "answered %d: a foreign page holding the token can call this", r.Status)
			} else {
				p.checked("origin", name, r.String())
			}
		}
	}
	for _, rt := range p.mutatingRoutes() {
		for _, hv := range [][2]string{{"Referer", "http://evil.example/page"}, {"Sec-Fetch-Site", "cross-site"}} {
			h := p.authed()
			delete(h, "Origin")
			h[hv[0]] = hv[1]
			r := p.do(ctx, request{Method: rt.Method, Path: rt.url(), Header: h, Body: []byte("{}")})
			name := fmt.Sprintf("%s (no Origin, %s: %s)", rt, hv[0], hv[1])
			if r.Err == nil && !refused(r.Status) {
				p.find("origin", name, "answered %d to a cross-site request without Origin", r.Status)
			} else {
				p.checked("origin", name, r.String())
			}
		}
	}
}

// checkToken calls every mutating route without and with a wrong token.
func (p *prober) checkToken(ctx context.Context) {
	for _, rt := range p.mutatingRoutes() {
		for _, tok := range []string{"", "nekoprobe-wrong-token-0000000000000000000000"} {
			h := map[string]string{"Origin": p.ownOrigin(), "Content-Type": "application/json"}
			label := "no token"
			if tok != "" {
				h["X-Neko-Token"] = tok
				label = "wrong token"
			}
			r := p.do(ctx, request{Method: rt.Method, Path: rt.url(), Header: h, Body: []byte("{}")})
			name := fmt.Sprintf("%s (%s)", rt, label)
			if r.Err == nil && !refused(r.Status) {
				p.find("token", name, "answered %d: the request reached the handler", r.Status)
			} else {
				p.checked("token", name, r.String())
			}
		}
	}
}

// wsURL is the WebSocket URL of the conversation socket with an optional
// token query.
func (p *prober) wsURL(token string) string {
	u := *p.opt.Base
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	u.Path = p.opt.WSPath
	if token != "" {
		u.RawQuery = "token=" + url.QueryEscape(token)
	}
	return u.String()
}

func (p *prober) dialWS(ctx context.Context, token, origin, host string) (*websocket.Conn, int, error) {
	d := websocket.Dialer{HandshakeTimeout: p.opt.Timeout, Proxy: nil}
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	if host != "" {
		h.Set("Host", host)
	}
	c, resp, err := d.DialContext(ctx, p.wsURL(token), h)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	return c, status, err
}

// checkWebSocket tries the conversation socket without a token, with a
// wrong one, from a foreign page and under a rebinding Host.
func (p *prober) checkWebSocket(ctx context.Context) {
	if p.opt.WSPath == "" {
		return
	}
	port := p.opt.Base.Port()
	tries := []struct{ label, token, origin, host string }{
		{"no token", "", p.ownOrigin(), ""},
		{"wrong token", "nekoprobe-wrong-token-0000000000000000000000", p.ownOrigin(), ""},
	}
	if p.opt.Token != "" {
		for _, o := range foreignOrigins(port) {
			tries = append(tries, struct{ label, token, origin, host string }{"valid token, Origin " + o, p.opt.Token, o, ""})
		}
		tries = append(tries, struct{ label, token, origin, host string }{"valid token, Host evil.example", p.opt.Token, "", "evil.example:" + port})
	}
	for _, t := range tries {
		c, status, err := p.dialWS(ctx, t.token, t.origin, t.host)
		name := fmt.Sprintf("WS %s (%s)", p.opt.WSPath, t.label)
		if c != nil {
			_ = c.Close()
			p.find("ws", name, "upgrade accepted (%d)", status)
			continue
		}
		p.checked("ws", name, fmt.Sprintf("%d %v", status, err))
	}
}

// checkInstance calls the memory and agent servers without the instance
// token.
func (p *prober) checkInstance(ctx context.Context) {
	for _, srv := range []struct {
		name   string
		base   *url.URL
		routes []route
	}{{"memory", p.opt.MemoryURL, p.opt.MemoryRoutes}, {"agent", p.opt.AgentURL, p.opt.AgentRoutes}} {
		if srv.base == nil {
			continue
		}
		hc := p.do(ctx, request{Method: "GET", Base: srv.base, Path: "/health"})
		if hc.Err != nil || hc.Status != 200 {
			p.skip(fmt.Sprintf("%s server at %s: /health did not answer 200 (%s)", srv.name, srv.base, hc))
			continue
		}
		for _, h := range rebindHosts(srv.base.Port()) {
			r := p.do(ctx, request{Method: "GET", Base: srv.base, Path: "/health", Host: h})
			name := fmt.Sprintf("%s GET /health (Host %q)", srv.name, h)
			if r.Err == nil && r.Status < 400 {
				p.find("host", name, "answered %d", r.Status)
			} else {
				p.checked("host", name, r.String())
			}
		}
		for _, rt := range srv.routes {
			// The page's CSRF token must not open them either: any page of
			// ours is handed that one.
			for _, tok := range []string{"", "nekoprobe-wrong-instance", p.opt.Token} {
				h := map[string]string{"Content-Type": "application/json"}
				label := "no instance token"
				switch {
				case tok == p.opt.Token && tok != "":
					h["X-Neko-Instance"] = tok
					label = "the page's CSRF token as instance token"
				case tok != "":
					h["X-Neko-Instance"] = tok
					label = "wrong instance token"
				}
				r := p.do(ctx, request{Method: rt.Method, Base: srv.base, Path: rt.url(), Header: h, Body: bodyFor(rt.Method)})
				name := fmt.Sprintf("%s %s (%s)", srv.name, rt, label)
				if r.Err == nil && !refused(r.Status) {
					p.find("instance", name, "answered %d: any local process can call it", r.Status)
				} else {
					p.checked("instance", name, r.String())
				}
			}
		}
	}
}

func bodyFor(method string) []byte {
	if method == http.MethodGet || method == http.MethodHead {
		return nil
	}
	return []byte(`{"input_history":"[]"}`)
}
