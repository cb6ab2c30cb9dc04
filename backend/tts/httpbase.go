package tts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"neko/backend/clientpool"
)

// DefaultIdleTimeout ends a provider response that stops sending data.
const DefaultIdleTimeout = 30 * time.Second

// sharedClients holds one client per header timeout: every chat builds its
// own engine, and the shared transport lets a new chat's first sentence
// reuse a warm connection to the TTS provider.
var sharedClients = clientpool.New(newHTTPClient)

// httpClient returns the shared client whose response-header wait is
// bounded by headerTimeout (the "ready" bound of an HTTP provider).
func httpClient(headerTimeout time.Duration) *http.Client {
	if headerTimeout <= 0 {
		headerTimeout = DefaultHandshakeTimeout
	}
	return sharedClients.Get(headerTimeout)
}

func newHTTPClient(headerTimeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: headerTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   headerTimeout,
		ResponseHeaderTimeout: headerTimeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: tr}
}

// postJSON sends body and returns a 2xx response whose body reads are
// guarded by an idle timeout; other statuses become ProviderErrors.
func postJSON(ctx context.Context, engine string, client *http.Client, url string, header http.Header, body any) (io.ReadCloser, *http.Response, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: encode request: %w", engine, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		cancel()
		return nil, nil, fmt.Errorf("%s: %w", engine, err)
	}
	req.Header = header.Clone()
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return nil, nil, context.Canceled
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, nil, fmt.Errorf("%s: %w: %w", engine, ErrReadyTimeout, err)
		}
		return nil, nil, fmt.Errorf("%s: request %s: %w", engine, redactURL(url), err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 8192))
		resp.Body.Close()
		cancel()
		return nil, nil, providerHTTPError(engine, resp.StatusCode, data)
	}
	return newIdleBody(resp.Body, cancel, DefaultIdleTimeout), resp, nil
}

// idleBody cancels the request when no data arrives for the idle timeout.
type idleBody struct {
	rc     io.ReadCloser
	cancel context.CancelFunc
	timer  *time.Timer
	idle   time.Duration
	mu     sync.Mutex
	fired  bool
}

func newIdleBody(rc io.ReadCloser, cancel context.CancelFunc, idle time.Duration) *idleBody {
	b := &idleBody{rc: rc, cancel: cancel, idle: idle}
	b.timer = time.AfterFunc(idle, func() {
		b.mu.Lock()
		b.fired = true
		b.mu.Unlock()
		cancel()
	})
	return b
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.timer.Reset(b.idle)
	}
	if err != nil && err != io.EOF {
		b.mu.Lock()
		fired := b.fired
		b.mu.Unlock()
		if fired {
			return n, fmt.Errorf("%w: provider sent nothing for %s", ErrReadyTimeout, b.idle)
		}
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	err := b.rc.Close()
	b.cancel()
	return err
}
