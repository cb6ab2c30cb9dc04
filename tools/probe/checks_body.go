package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// isUpload reports whether rt is one of the upload routes.
func (p *prober) isUpload(rt route) bool {
	for _, u := range p.opt.UploadRoutes {
		if u.Method == rt.Method && u.Path == rt.Path {
			return true
		}
	}
	return false
}

// badReply reports whether a reply to an abusive body shows the server
// accepted it (2xx/3xx) or broke (5xx).
func badReply(r reply) bool {
	return r.Err == nil && (r.Status < 400 || r.Status >= 500)
}

// checkBodies sends oversized, unbounded and deeply nested bodies to every
// mutating route with a valid token.
func (p *prober) checkBodies(ctx context.Context) {
	if p.opt.Token == "" {
		p.skip("body limits: no CSRF token (give -token or serve it in the page), so bodies never reach the limits")
		return
	}
	big := `{"x":"` + strings.Repeat("a", int(p.opt.MaxBody)+64<<10) + `"}`
	deep := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	for _, rt := range p.mutatingRoutes() {
		if p.isUpload(rt) {
			continue
		}
		for _, c := range []struct {
			label string
			body  string
			chunk bool
		}{
			{fmt.Sprintf("%d-byte body", len(big)), big, false},
			{fmt.Sprintf("%d-byte chunked body", len(big)), big, true},
			{"JSON nested 5000 deep", deep, false},
		} {
			rq := request{Method: rt.Method, Path: rt.url(), Header: p.authed()}
			if c.chunk {
				rq.Stream, rq.ContentLength = io.MultiReader(strings.NewReader(c.body)), -1
			} else {
				rq.Body = []byte(c.body)
			}
			r := p.do(ctx, rq)
			name := fmt.Sprintf("%s (%s)", rt, c.label)
			if badReply(r) {
				p.find("body", name, "answered %d", r.Status)
			} else {
				p.checked("body", name, r.String())
			}
		}
	}
	for _, rt := range p.opt.UploadRoutes {
		p.checkHugeUpload(ctx, rt)
	}
}

// blockingBody yields a little data and then blocks until done closes, as
// a client in the middle of a 300 MB upload would. done must be the
// request's context: the transport waits for Read to return when it gives
// up on the request.
type blockingBody struct {
	first []byte
	done  <-chan struct{}
}

func (b *blockingBody) Read(p []byte) (int, error) {
	if len(b.first) > 0 {
		n := copy(p, b.first)
		b.first = b.first[n:]
		return n, nil
	}
	<-b.done
	return 0, io.ErrUnexpectedEOF
}

// checkHugeUpload announces a 300 MiB upload: the server must refuse it
// from the Content-Length alone instead of waiting for (or storing) it.
func (p *prober) checkHugeUpload(ctx context.Context, rt route) {
	const size = 300 << 20
	cctx, cancel := context.WithTimeout(ctx, p.opt.UploadWait)
	defer cancel()
	h := p.authed()
	h["Content-Type"] = "multipart/form-data; boundary=nekoprobe"
	head := "--nekoprobe\r\nContent-Disposition: form-data; name=\"file\"; filename=\"nekoprobe.vrm\"\r\n" +
		"Content-Type: application/octet-stream\r\n\r\n" + strings.Repeat("\x00", 64<<10)
	start := time.Now()
	r := p.do(cctx, request{Method: rt.Method, Path: rt.url(), Header: h,
		Stream: &blockingBody{first: []byte(head), done: cctx.Done()}, ContentLength: size})
	name := fmt.Sprintf("%s (300 MiB upload announced)", rt)
	switch {
	case r.Err != nil && cctx.Err() != nil:
		p.find("body", name, "no answer after %s: the server waits for a body it should refuse", time.Since(start).Round(time.Millisecond))
	case badReply(r):
		p.find("body", name, "answered %d", r.Status)
	default:
		p.checked("body", name, r.String())
	}
}
