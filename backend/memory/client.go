package memory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"neko/backend/memory/msg"
)

// Client calls a memory server over HTTP; the main server and the sessions
// use it. It is safe for concurrent use.
type Client struct {
	base   string
	hc     *http.Client
	header http.Header
}

// ClientOption configures a Client.
type ClientOption func(*Client)

// WithHTTPClient replaces the default client (no proxy, 60 s timeout).
func WithHTTPClient(hc *http.Client) ClientOption { return func(c *Client) { c.hc = hc } }

// WithHeader adds a header to every request (e.g. the instance token).
func WithHeader(key, value string) ClientOption { return func(c *Client) { c.header.Set(key, value) } }

// NewClient returns a client for the memory server at baseURL
// ("http://127.0.0.1:48912"). Loopback traffic never goes through a proxy.
func NewClient(baseURL string, opts ...ClientOption) *Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	c := &Client{base: strings.TrimRight(baseURL, "/"), header: http.Header{},
		hc: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// StatusError is a non-2xx reply.
type StatusError struct {
	Status int
	Body   string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("memory server: HTTP %d: %s", e.Status, truncate(e.Body, 200))
}

// Do sends a request with an optional JSON body and returns the reply body.
func (c *Client) Do(ctx context.Context, method, path string, body any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("memory server %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("memory server %s %s: read: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return out, &StatusError{Status: resp.StatusCode, Body: string(out)}
	}
	return out, nil
}

func p(name string) string { return url.PathEscape(name) }

func historyBodyOf(msgs []msg.Message) (map[string]string, error) {
	s, err := msg.InputHistory(msgs)
	if err != nil {
		return nil, err
	}
	return map[string]string{"input_history": s}, nil
}

// Cache appends turns (POST /cache/{name}).
func (c *Client) Cache(ctx context.Context, name string, msgs []msg.Message) (int, error) {
	body, err := historyBodyOf(msgs)
	if err != nil {
		return 0, err
	}
	out, err := c.Do(ctx, "POST", "/cache/"+p(name), body)
	if err != nil {
		return 0, err
	}
	var r struct {
		Count int `json:"count"`
	}
	err = json.Unmarshal(out, &r)
	return r.Count, err
}

// Process settles the session at session end (POST /process/{name}).
func (c *Client) Process(ctx context.Context, name string, msgs []msg.Message) error {
	return c.settle(ctx, "/process/", name, msgs)
}

// Renew settles with the detailed summary at a hot swap (POST /renew/{name}).
func (c *Client) Renew(ctx context.Context, name string, msgs []msg.Message) error {
	return c.settle(ctx, "/renew/", name, msgs)
}

// Settle settles already cached turns (POST /settle/{name}).
func (c *Client) Settle(ctx context.Context, name string) error {
	return c.settle(ctx, "/settle/", name, nil)
}

func (c *Client) settle(ctx context.Context, path, name string, msgs []msg.Message) error {
	if msgs == nil {
		msgs = []msg.Message{}
	}
	body, err := historyBodyOf(msgs)
	if err != nil {
		return err
	}
	_, err = c.Do(ctx, "POST", path+p(name), body)
	return err
}

func (c *Client) text(ctx context.Context, path string) (string, error) {
	out, err := c.Do(ctx, "GET", path, nil)
	return string(out), err
}

// NewDialog returns the memory context for a new session.
func (c *Client) NewDialog(ctx context.Context, name string) (string, error) {
	return c.text(ctx, "/new_dialog/"+p(name))
}

// RecentHistory is GET /get_recent_history/{name}.
func (c *Client) RecentHistory(ctx context.Context, name string) (string, error) {
	return c.text(ctx, "/get_recent_history/"+p(name))
}

// SearchForMemory is GET /search_for_memory/{name}/{query}.
func (c *Client) SearchForMemory(ctx context.Context, name, query string) (string, error) {
	return c.text(ctx, "/search_for_memory/"+p(name)+"/"+p(query))
}

// Settings is GET /get_settings/{name}.
func (c *Client) Settings(ctx context.Context, name string) (string, error) {
	return c.text(ctx, "/get_settings/"+p(name))
}

// Reload is POST /reload.
func (c *Client) Reload(ctx context.Context) error {
	_, err := c.Do(ctx, "POST", "/reload", nil)
	return err
}

// CancelCorrection stops a running review; true when one was running.
func (c *Client) CancelCorrection(ctx context.Context, name string) (bool, error) {
	out, err := c.Do(ctx, "POST", "/cancel_correction/"+p(name), nil)
	if err != nil {
		return false, err
	}
	var r struct {
		Status string `json:"status"`
	}
	err = json.Unmarshal(out, &r)
	return r.Status == "cancelled", err
}

// ChatLine is one message of a recent-memory rewrite.
type ChatLine struct {
	Role string `json:"role"` // human, ai or system
	Text string `json:"text"`
}

// ReplaceRecent rewrites recent memory (cancels a running review).
func (c *Client) ReplaceRecent(ctx context.Context, name string, chat []ChatLine) error {
	if chat == nil {
		chat = []ChatLine{}
	}
	_, err := c.Do(ctx, "PUT", "/memory/"+p(name)+"/recent", map[string]any{"chat": chat})
	return err
}

// RecentRaw returns recent_<name>.json as stored.
func (c *Client) RecentRaw(ctx context.Context, name string) (string, error) {
	return c.text(ctx, "/memory/"+p(name)+"/recent/raw")
}

// Rename moves a character's memory to a new name.
func (c *Client) Rename(ctx context.Context, oldName, newName string) error {
	_, err := c.Do(ctx, "POST", "/memory/rename", map[string]string{"old_name": oldName, "new_name": newName})
	return err
}

// Characters lists the names that have memory files.
func (c *Client) Characters(ctx context.Context) ([]string, error) {
	out, err := c.Do(ctx, "GET", "/memory/characters", nil)
	if err != nil {
		return nil, err
	}
	var r struct {
		Characters []string `json:"characters"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return nil, err
	}
	return r.Characters, nil
}

// IsStatus reports whether err is a StatusError with the given status.
func IsStatus(err error, status int) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Status == status
}
