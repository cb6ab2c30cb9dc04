package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"
)

// LocalCandidate is a loopback port where a local OpenAI-compatible server
// usually listens.
type LocalCandidate struct {
	Name string // "Ollama"
	Port int
}

// DefaultLocalCandidates are the default ports of Ollama, LM Studio,
// llama.cpp's llama-server and vLLM.
var DefaultLocalCandidates = []LocalCandidate{
	{Name: "Ollama", Port: 11434},
	{Name: "LM Studio", Port: 1234},
	{Name: "llama.cpp", Port: 8080},
	{Name: "vLLM", Port: 8000},
}

// LocalServer is a discovered local server.
type LocalServer struct {
	Name      string   `json:"name"`
	BaseURL   string   `json:"base_url"` // "http://127.0.0.1:11434/v1"
	Models    []string `json:"models"`
	LatencyMS int64    `json:"latency_ms"`
}

// Discoverer probes loopback for OpenAI-compatible servers.
type Discoverer struct {
	Candidates []LocalCandidate // nil → DefaultLocalCandidates
	Timeout    time.Duration    // per probe; 0 → 800 ms
	Host       string           // "" → 127.0.0.1
	Client     *http.Client     // nil → a plain client
}

// Discover probes every candidate concurrently through GET /v1/models and
// returns those that answered with an OpenAI model list, in candidate
// order. A port that is closed or answers something else is left out.
func (d *Discoverer) Discover(ctx context.Context) []LocalServer {
	cands := d.Candidates
	if cands == nil {
		cands = DefaultLocalCandidates
	}
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = 800 * time.Millisecond
	}
	host := d.Host
	if host == "" {
		host = "127.0.0.1"
	}
	hc := d.Client
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	}
	type found struct {
		i int
		s LocalServer
	}
	var (
		mu  sync.Mutex
		out []found
		wg  sync.WaitGroup
	)
	for i, c := range cands {
		wg.Add(1)
		go func() {
			defer wg.Done()
			base := fmt.Sprintf("http://%s:%d/v1", host, c.Port)
			models, lat, err := probeModels(ctx, hc, base, "", timeout)
			if err != nil {
				return
			}
			mu.Lock()
			out = append(out, found{i, LocalServer{Name: c.Name, BaseURL: base, Models: models, LatencyMS: lat.Milliseconds()}})
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Slice(out, func(a, b int) bool { return out[a].i < out[b].i })
	servers := make([]LocalServer, 0, len(out))
	for _, f := range out {
		servers = append(servers, f.s)
	}
	return servers
}

// probeModels GETs base/models and parses an OpenAI model list.
func probeModels(ctx context.Context, hc *http.Client, base, key string, timeout time.Duration) ([]string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/models", nil)
	if err != nil {
		return nil, 0, err
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return nil, 0, classifyTransport(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	lat := time.Since(start)
	if err != nil {
		return nil, lat, classifyTransport(err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, lat, classifyHTTP(resp.StatusCode, errorMessage(data))
	}
	var list struct {
		Object string `json:"object"`
		Data   []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &list); err != nil || list.Data == nil {
		return nil, lat, &Error{Code: CodeResponseInvalid, Message: "not an OpenAI model list"}
	}
	models := make([]string, 0, len(list.Data))
	for _, m := range list.Data {
		if m.ID != "" {
			models = append(models, m.ID)
		}
	}
	return models, lat, nil
}

// First returns the first discovered server that lists at least one model,
// or nil: the automatic choice when no provider key is configured (pass it
// as ResolveOptions.Local).
func (d *Discoverer) First(ctx context.Context) *LocalServer {
	for _, s := range d.Discover(ctx) {
		if len(s.Models) > 0 {
			return &s
		}
	}
	return nil
}
