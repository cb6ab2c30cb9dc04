// Package clientpool keeps one HTTP client per key for code that builds a
// provider client per call or per session (memory summaries, emotion
// checks, each chat's TTS engine). Sharing the client shares its transport,
// so a new call reuses a warm keep-alive (and TLS) connection to the
// provider instead of dialling again, and the idle sockets the process
// keeps are bounded by the transport's MaxIdleConnsPerHost, not by how many
// clients were built.
package clientpool

import (
	"net/http"
	"sync"
)

// Pool builds each key's client once, on first use.
type Pool[K comparable] struct {
	build func(K) *http.Client
	mu    sync.Mutex
	m     map[K]*http.Client
}

// New returns a pool whose clients come from build.
func New[K comparable](build func(K) *http.Client) *Pool[K] {
	return &Pool[K]{build: build, m: make(map[K]*http.Client)}
}

// Get returns the client for k, building it the first time.
func (p *Pool[K]) Get(k K) *http.Client {
	p.mu.Lock()
	defer p.mu.Unlock()
	hc, ok := p.m[k]
	if !ok {
		hc = p.build(k)
		p.m[k] = hc
	}
	return hc
}
