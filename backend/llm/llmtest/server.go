// Package llmtest is a local model provider for tests and manual runs. One
// loopback server speaks the exact wire protocols neko's clients use: the
// OpenAI chat completions SSE stream, /v1/embeddings,
// /v1/audio/transcriptions, /v1/audio/speech, /v1/models, a local
// CosyVoice server's /v1/speakers/register, the OpenAI-Realtime WebSocket
// event stream (OpenAI, Qwen-Omni, GLM and StepFun flavours) and Gemini
// Live (BidiGenerateContent). Each behaviour is scriptable per test: text and
// audio deltas with timing, VAD events, transcripts, HTTP errors, close
// codes, malformed JSON, slow first tokens and abrupt disconnects.
package llmtest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a running test provider. Its methods are safe for concurrent
// use.
type Server struct {
	ln  net.Listener
	srv *http.Server

	mu          sync.Mutex
	apiKey      string
	models      []string
	chatScript  func(ChatRequest) ChatReply
	requests    []ChatRequest
	rt          *realtimeState
	transcribe  func(TranscriptionRequest) TranscriptionReply
	transReqs   []TranscriptionRequest
	embeds      []EmbeddingRequest
	speechTexts []string
	speakers    []string
}

// New starts a server on 127.0.0.1:0 that is closed at tb.Cleanup.
func New(tb testing.TB) *Server {
	tb.Helper()
	s, err := Start("127.0.0.1:0")
	if err != nil {
		tb.Fatalf("llmtest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Start listens on addr (host:port) and serves in the background until
// Close.
func Start(addr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	s := &Server{ln: ln, rt: newRealtimeState()}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.handleChat)
	mux.HandleFunc("POST /v1/embeddings", s.handleEmbeddings)
	mux.HandleFunc("POST /v1/audio/transcriptions", s.handleTranscription)
	mux.HandleFunc("GET /v1/models", s.handleModels)
	mux.HandleFunc("POST /v1/audio/speech", s.handleSpeech)
	mux.HandleFunc("POST /v1/speakers/register", s.handleRegisterSpeaker)
	mux.HandleFunc("GET /v1/realtime", s.handleRealtime)
	mux.HandleFunc("GET /api-ws/v1/realtime", s.handleRealtime)
	mux.HandleFunc("GET /api/paas/v4/realtime", s.handleRealtime)
	mux.HandleFunc("GET /ws/", s.handleGemini)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// ListenAndServe runs a test provider on addr until ctx ends (the
// `neko testprovider --port N` subcommand).
func ListenAndServe(ctx context.Context, addr string) error {
	s, err := Start(addr)
	if err != nil {
		return err
	}
	<-ctx.Done()
	s.Close()
	return nil
}

// Close stops the server and drops open connections (WebSockets included).
func (s *Server) Close() {
	_ = s.srv.Close()
	s.rt.closeAll()
}

// Addr is the host:port the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// BaseURL is the OpenAI-compatible base, "http://127.0.0.1:PORT/v1".
func (s *Server) BaseURL() string { return "http://" + s.Addr() + "/v1" }

// RealtimeURL is the OpenAI-Realtime WebSocket URL, "ws://127.0.0.1:PORT/v1/realtime".
func (s *Server) RealtimeURL() string { return "ws://" + s.Addr() + "/v1/realtime" }

// GeminiURL is the Gemini Live host base "ws://127.0.0.1:PORT"; the client
// appends the BidiGenerateContent path.
func (s *Server) GeminiURL() string { return "ws://" + s.Addr() }

// SetAPIKey makes every endpoint require "Authorization: Bearer key" (or
// the Gemini "key" query parameter); "" accepts anything (default).
func (s *Server) SetAPIKey(key string) {
	s.mu.Lock()
	s.apiKey = key
	s.mu.Unlock()
}

// SetModels sets what /v1/models lists; when non-empty, chat and embedding
// requests for other models get 404 model_not_found.
func (s *Server) SetModels(models ...string) {
	s.mu.Lock()
	s.models = append([]string(nil), models...)
	s.mu.Unlock()
}

// authorized checks the bearer key; on failure it writes the 401 answer.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	key := s.apiKey
	s.mu.Unlock()
	if key == "" {
		return true
	}
	got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if got == "" {
		got = r.URL.Query().Get("key")
	}
	if got == "" {
		got = r.Header.Get("x-goog-api-key")
	}
	if got == key {
		return true
	}
	writeError(w, http.StatusUnauthorized, "invalid_api_key", "invalid_request_error",
		"Incorrect API key provided: "+mask(got)+".")
	return false
}

// knownModel reports whether model is served; on failure it writes the 404.
func (s *Server) knownModel(w http.ResponseWriter, model string) bool {
	s.mu.Lock()
	models := s.models
	s.mu.Unlock()
	if len(models) == 0 {
		return true
	}
	for _, m := range models {
		if m == model {
			return true
		}
	}
	writeError(w, http.StatusNotFound, "model_not_found", "invalid_request_error",
		fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", model))
	return false
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	s.mu.Lock()
	models := append([]string(nil), s.models...)
	s.mu.Unlock()
	if len(models) == 0 {
		models = []string{"test-model"}
	}
	data := make([]map[string]any, 0, len(models))
	for _, m := range models {
		data = append(data, map[string]any{"id": m, "object": "model", "created": 1700000000, "owned_by": "llmtest"})
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
}

func mask(k string) string {
	if len(k) <= 4 {
		return "****"
	}
	return k[:2] + "****" + k[len(k)-2:]
}

// sleepCtx waits d or until ctx ends; it reports whether the wait completed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
