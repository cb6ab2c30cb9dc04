package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"neko/backend/clientpool"
)

// Endpoint is one OpenAI-compatible endpoint: BaseURL like
// "http://127.0.0.1:1234/v1" (the path below it is appended), the bearer key
// (may be empty for local servers) and the model name.
type Endpoint struct {
	BaseURL, APIKey, Model string
}

// url joins the base URL and a path such as "/chat/completions".
func (ep Endpoint) url(path string) string {
	return strings.TrimRight(ep.BaseURL, "/") + path
}

// Message is one chat turn. Images are data: URLs or http(s) URLs sent as
// image_url parts (vision turns).
type Message struct {
	Role, Content string
	Images        []string
}

// ChatRequest is one completion request. Extra is merged over the body
// last, after the per-model extras of ExtraBody (a nil value deletes a key).
type ChatRequest struct {
	Messages    []Message
	Temperature *float64
	MaxTokens   int
	JSONMode    bool
	Extra       map[string]any
}

// ChatResponse is the assembled answer.
type ChatResponse struct {
	Text         string
	Usage        Usage
	FinishReason string
}

// Usage is the provider's token count, zero when it reports none.
type Usage struct {
	PromptTokens, CompletionTokens, TotalTokens int
}

// Timeouts bound each phase of a request. Zero fields take the defaults of
// DefaultTimeouts.
type Timeouts struct {
	Connect    time.Duration // TCP+TLS connect
	FirstToken time.Duration // request sent → first streamed delta (or whole non-stream answer)
	Idle       time.Duration // between two streamed events
	Complete   time.Duration // request sent → whole non-streamed answer (Complete, embeddings, transcription)
}

// DefaultTimeouts are used for zero fields of Timeouts.
var DefaultTimeouts = Timeouts{Connect: 10 * time.Second, FirstToken: 60 * time.Second, Idle: 30 * time.Second,
	Complete: 180 * time.Second}

// ChatClient talks to one endpoint's /chat/completions. It is safe for
// concurrent use.
type ChatClient struct {
	ep        Endpoint
	hc        *http.Client
	timeouts  Timeouts
	retries   int
	backoff   time.Duration
	autoExtra bool
	log       *slog.Logger
}

// ChatOption configures a ChatClient.
type ChatOption func(*ChatClient)

// WithTimeouts sets the phase timeouts (zero fields keep their defaults).
func WithTimeouts(t Timeouts) ChatOption {
	return func(c *ChatClient) {
		if t.Connect > 0 {
			c.timeouts.Connect = t.Connect
		}
		if t.FirstToken > 0 {
			c.timeouts.FirstToken = t.FirstToken
		}
		if t.Idle > 0 {
			c.timeouts.Idle = t.Idle
		}
		if t.Complete > 0 {
			c.timeouts.Complete = t.Complete
		}
	}
}

// WithRetries sets how often a request is retried after a transport error
// that happened before any answer arrived, and the first backoff (doubled
// each attempt). Default: 2 retries, 300 ms.
func WithRetries(n int, backoff time.Duration) ChatOption {
	return func(c *ChatClient) { c.retries, c.backoff = max(n, 0), backoff }
}

// WithHTTPClient replaces the HTTP client (its Timeout should be 0: the
// client enforces its own phase timeouts).
func WithHTTPClient(hc *http.Client) ChatOption { return func(c *ChatClient) { c.hc = hc } }

// WithLogger sets the logger (nil discards).
func WithLogger(l *slog.Logger) ChatOption { return func(c *ChatClient) { c.log = l } }

// WithoutModelExtras stops the client from adding ExtraBody(model).
func WithoutModelExtras() ChatOption { return func(c *ChatClient) { c.autoExtra = false } }

// NewChatClient returns a client for ep.
func NewChatClient(ep Endpoint, opts ...ChatOption) *ChatClient {
	c := &ChatClient{ep: ep, timeouts: DefaultTimeouts, retries: 2, backoff: 300 * time.Millisecond, autoExtra: true}
	for _, o := range opts {
		o(c)
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.hc == nil {
		c.hc = sharedClients.Get(c.timeouts.Connect)
	}
	return c
}

// Endpoint reports the endpoint the client talks to.
func (c *ChatClient) Endpoint() Endpoint { return c.ep }

// sharedClients holds one HTTP client per connect timeout for every
// ChatClient built without WithHTTPClient: callers build clients per call
// or per session, and a shared transport reuses connections across them.
var sharedClients = clientpool.New(newHTTPClient)

func newHTTPClient(connect time.Duration) *http.Client {
	d := &net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         d.DialContext,
		TLSHandshakeTimeout: connect,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	return &http.Client{Transport: tr}
}

// Complete sends a non-streaming request and returns the whole answer.
func (c *ChatClient) Complete(ctx context.Context, req ChatRequest) (ChatResponse, error) {
	body, err := c.body(req, false)
	if err != nil {
		return ChatResponse{}, err
	}
	var out ChatResponse
	err = c.do(ctx, "/chat/completions", body, func(ctx context.Context, resp *http.Response, w *watchdog) error {
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
		if err != nil {
			return w.wrapReadErr(ctx, err)
		}
		var wire chatCompletion
		if err := json.Unmarshal(data, &wire); err != nil {
			return &Error{Code: CodeResponseInvalid, Status: resp.StatusCode, Message: "malformed completion JSON: " + err.Error(), Err: err}
		}
		if wire.Error != nil {
			return wire.Error.toError(resp.StatusCode)
		}
		if len(wire.Choices) == 0 {
			return &Error{Code: CodeResponseInvalid, Status: resp.StatusCode, Message: "completion has no choices"}
		}
		out.Text = wire.Choices[0].Message.Content
		out.FinishReason = wire.Choices[0].FinishReason
		out.Usage = wire.Usage.usage()
		return nil
	})
	return out, err
}

// Stream sends a streaming request and calls onDelta for each piece of
// text in order. An error from onDelta stops the stream and is returned.
// The returned ChatResponse holds the whole text even on error (what was
// received so far).
func (c *ChatClient) Stream(ctx context.Context, req ChatRequest, onDelta func(text string) error) (ChatResponse, error) {
	body, err := c.body(req, true)
	if err != nil {
		return ChatResponse{}, err
	}
	var out ChatResponse
	err = c.doContent(ctx, "/chat/completions", body, "application/json", c.timeouts.FirstToken,
		func(ctx context.Context, resp *http.Response, w *watchdog) error {
			return readChatStream(ctx, resp.Body, w, &out, onDelta)
		})
	return out, err
}

const maxAnswerBytes = 32 << 20

// do posts body to path with retries on early transport errors and hands
// a 2xx response to handle. The watchdog enforces the first-token and idle
// timeouts through the request's context.
func (c *ChatClient) do(parent context.Context, path string, body []byte,
	handle func(ctx context.Context, resp *http.Response, w *watchdog) error) error {
	return c.doContent(parent, path, body, "application/json", c.timeouts.Complete, handle)
}

// doContent is do with an explicit request content type.
func (c *ChatClient) doContent(parent context.Context, path string, body []byte, contentType string, first time.Duration,
	handle func(ctx context.Context, resp *http.Response, w *watchdog) error) error {
	var lastErr error
	for attempt := 0; attempt <= c.retries; attempt++ {
		if attempt > 0 {
			wait := c.backoff << (attempt - 1)
			c.log.Debug("retrying chat request", "attempt", attempt, "wait", wait, "err", lastErr)
			t := time.NewTimer(wait)
			select {
			case <-parent.Done():
				t.Stop()
				return parent.Err()
			case <-t.C:
			}
		}
		retry, err := c.once(parent, path, body, contentType, first, handle)
		if err == nil || !retry {
			return err
		}
		lastErr = err
	}
	return lastErr
}

func (c *ChatClient) once(parent context.Context, path string, body []byte, contentType string, first time.Duration,
	handle func(ctx context.Context, resp *http.Response, w *watchdog) error) (retry bool, err error) {
	ctx, w := newWatchdog(parent, first, c.timeouts.Idle)
	defer w.stop()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.ep.url(path), bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("llm: build request: %w", err)
	}
	hreq.Header.Set("Content-Type", contentType)
	hreq.Header.Set("Accept", "application/json, text/event-stream")
	if c.ep.APIKey != "" {
		hreq.Header.Set("Authorization", "Bearer "+c.ep.APIKey)
	}
	resp, err := c.hc.Do(hreq)
	if err != nil {
		if werr := w.cause(ctx); werr != nil {
			return false, werr
		}
		if perr := parent.Err(); perr != nil {
			return false, perr
		}
		cerr := classifyTransport(err)
		return isRetryable(cerr), cerr
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return false, classifyHTTP(resp.StatusCode, errorMessage(data))
	}
	return false, handle(ctx, resp, w)
}

func isRetryable(err error) bool {
	switch ErrorCode(err) {
	case CodeConnectionRefused, CodeConnectionClosed, CodeConnectionFailed, CodeConnectionTimeout:
		return true
	}
	return false
}

// errorMessage extracts the message from an OpenAI-style error body
// ({"error":{"message":...}}, {"error":"..."}, {"message":...}) or returns
// the trimmed text.
func errorMessage(data []byte) string {
	var wire struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Code    any             `json:"code"`
	}
	if json.Unmarshal(data, &wire) == nil {
		var obj wireError
		if len(wire.Error) > 0 && json.Unmarshal(wire.Error, &obj) == nil && obj.Message != "" {
			return obj.text()
		}
		var s string
		if len(wire.Error) > 0 && json.Unmarshal(wire.Error, &s) == nil && s != "" {
			return s
		}
		if wire.Message != "" {
			if wire.Code != nil {
				return fmt.Sprintf("%v: %s", wire.Code, wire.Message)
			}
			return wire.Message
		}
	}
	s := strings.TrimSpace(string(data))
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}

type wireError struct {
	Message string `json:"message"`
	Type    string `json:"type"`
	Code    any    `json:"code"`
}

func (e *wireError) text() string {
	parts := []string{}
	if e.Code != nil && fmt.Sprint(e.Code) != "" {
		parts = append(parts, fmt.Sprint(e.Code))
	}
	if e.Type != "" {
		parts = append(parts, e.Type)
	}
	if len(parts) == 0 {
		return e.Message
	}
	return strings.Join(parts, "/") + ": " + e.Message
}

func (e *wireError) toError(status int) *Error {
	msg := e.text()
	code := classifyMessage(msg)
	if code == "" {
		code = CodeUnknown
	}
	return &Error{Code: code, Status: status, Message: msg}
}

var errNoMessages = errors.New("llm: chat request has no messages")
