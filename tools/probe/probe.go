package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// Finding is one weakness the probe demonstrated.
type Finding struct {
	Category string // host, origin, token, traversal, body, leak, instance
	Target   string // what was attacked ("GET /api/config/core_api")
	Detail   string
}

// options configure one probe run (see main.go for the flags).
type options struct {
	Base          *url.URL
	MemoryURL     *url.URL
	AgentURL      *url.URL
	Token         string
	InstanceToken string // only for the positive control on memory/agent
	Routes        []route
	UploadRoutes  []route
	Mounts        []string
	FileEndpoints []fileEndpoint
	MemoryRoutes  []route
	AgentRoutes   []route
	WSPath        string
	PlantRoute    *route
	PlantBody     string
	Symlinks      map[string]string // mount → folder it serves
	MaxBody       int64
	Timeout       time.Duration
	UploadWait    time.Duration
	Verbose       bool
	Out           io.Writer
}

// prober runs the checks and collects findings.
type prober struct {
	opt      options
	client   *http.Client
	mu       sync.Mutex
	findings []Finding
	checks   int
	skipped  []string
	marker   string
	canary   canary
}

func newProber(opt options) *prober {
	tr := &http.Transport{
		Proxy:               nil,
		MaxIdleConnsPerHost: 4,
		DisableCompression:  true,
	}
	return &prober{
		opt: opt,
		client: &http.Client{
			Transport:     tr,
			Timeout:       opt.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

func (p *prober) find(category, target, format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := Finding{Category: category, Target: target, Detail: fmt.Sprintf(format, args...)}
	p.findings = append(p.findings, f)
	fmt.Fprintf(p.opt.Out, "FINDING %-9s %s: %s\n", f.Category, f.Target, f.Detail)
}

func (p *prober) checked(category, target, result string) {
	p.mu.Lock()
	p.checks++
	p.mu.Unlock()
	if p.opt.Verbose {
		fmt.Fprintf(p.opt.Out, "ok      %-9s %s: %s\n", category, target, result)
	}
}

func (p *prober) skip(what string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.skipped = append(p.skipped, what)
	fmt.Fprintf(p.opt.Out, "skip    %s\n", what)
}

// reply is what came back from one request.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
	Err    error
}

func (r reply) String() string {
	if r.Err != nil {
		return "error: " + r.Err.Error()
	}
	return fmt.Sprintf("%d", r.Status)
}

// request describes one HTTP request.
type request struct {
	Method string
	Base   *url.URL
	Path   string // path and query, sent as given
	Host   string // Host header; "" = the base's host
	Header map[string]string
	Body   []byte
	// Stream, when set, replaces Body and is sent with ContentLength.
	Stream        io.Reader
	ContentLength int64
}

// maxReply caps how much of a reply body the probe keeps.
const maxReply = 4 << 20

func (p *prober) do(ctx context.Context, rq request) reply {
	base := rq.Base
	if base == nil {
		base = p.opt.Base
	}
	var body io.Reader
	cl := int64(len(rq.Body))
	if rq.Stream != nil {
		body, cl = rq.Stream, rq.ContentLength
	} else if rq.Body != nil {
		body = strings.NewReader(string(rq.Body))
	}
	req, err := http.NewRequestWithContext(ctx, rq.Method, base.Scheme+"://"+base.Host+"/", body)
	if err != nil {
		return reply{Err: err}
	}
	req.URL.Opaque = rq.Path // the request-target goes out byte for byte
	req.URL.Path, req.URL.RawPath, req.URL.RawQuery = "", "", ""
	req.ContentLength = cl
	if rq.Host != "" {
		req.Host = rq.Host
	}
	for k, v := range rq.Header {
		req.Header.Set(k, v)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return reply{Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: b, Err: err}
}

// raw sends a request line and headers exactly as written (the path is not
// cleaned or re-encoded by any client library) and reads the reply.
func (p *prober) raw(ctx context.Context, base *url.URL, method, target string, headers map[string]string) reply {
	d := net.Dialer{Timeout: p.opt.Timeout}
	c, err := d.DialContext(ctx, "tcp", base.Host)
	if err != nil {
		return reply{Err: err}
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(p.opt.Timeout))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, target, base.Host)
	keys := make([]string, 0, len(headers))
	for k := range headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\r\n", k, headers[k])
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(c, b.String()); err != nil {
		return reply{Err: err}
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return reply{Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: body, Err: err}
}

// ownOrigin is the Origin our own page sends.
func (p *prober) ownOrigin() string { return p.opt.Base.Scheme + "://" + p.opt.Base.Host }

// authed returns the headers of a legitimate request from our own page.
func (p *prober) authed() map[string]string {
	h := map[string]string{"Origin": p.ownOrigin(), "Content-Type": "application/json"}
	if p.opt.Token != "" {
		h["X-Neko-Token"] = p.opt.Token
	}
	return h
}

var metaToken = regexp.MustCompile(`<meta\s+name="neko-token"\s+content="([^"]+)"`)

// tokenFromPage reads the CSRF token from the index page, as our frontend
// does.
func (p *prober) tokenFromPage(ctx context.Context) string {
	r := p.do(ctx, request{Method: "GET", Path: "/"})
	if r.Err != nil {
		return ""
	}
	if m := metaToken.FindSubmatch(r.Body); m != nil {
		return string(m[1])
	}
	return ""
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// refused reports whether a status means the request was turned away
// before it did anything.
func refused(status int) bool {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusMisdirectedRequest,
		http.StatusNotFound, http.StatusMethodNotAllowed:
		return true
	}
	return false
}
