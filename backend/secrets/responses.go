package secrets

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// MaskResponses wraps next so that every JSON reply to a GET request
// has its secret fields masked (see MaskJSON) before it leaves the process.
// It is the safety net behind handlers that already mask: a handler that
// forgets still cannot hand a key to a page. Replies that are not JSON
// (pages, files, event streams) and WebSocket upgrades pass through
// untouched. JSON replies are buffered, so they should stay small.
func MaskResponses(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || isUpgrade(r) {
			next.ServeHTTP(w, r)
			return
		}
		mw := &maskWriter{w: w}
		next.ServeHTTP(mw, r)
		mw.finish()
	})
}

func isUpgrade(r *http.Request) bool {
	return strings.Contains(strings.ToLower(r.Header.Get("Connection")), "upgrade") ||
		r.Header.Get("Upgrade") != ""
}

// maskWriter decides at WriteHeader time: JSON replies are buffered and
// masked in finish, anything else is streamed straight through.
type maskWriter struct {
	w       http.ResponseWriter
	status  int
	decided bool
	buffer  bool
	buf     bytes.Buffer
}

func (m *maskWriter) Header() http.Header { return m.w.Header() }

func (m *maskWriter) WriteHeader(status int) {
	if m.decided {
		return
	}
	m.decided = true
	m.status = status
	mt, _, _ := mime.ParseMediaType(m.w.Header().Get("Content-Type"))
	m.buffer = status >= 200 && isJSONType(mt)
	if !m.buffer {
		m.w.WriteHeader(status)
	}
}

func isJSONType(mt string) bool {
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

func (m *maskWriter) Write(p []byte) (int, error) {
	if !m.decided {
		if m.w.Header().Get("Content-Type") == "" {
			m.w.Header().Set("Content-Type", http.DetectContentType(p))
		}
		m.WriteHeader(http.StatusOK)
	}
	if m.buffer {
		return m.buf.Write(p)
	}
	return m.w.Write(p)
}

// Flush forwards to the underlying writer unless the reply is being
// buffered for masking.
func (m *maskWriter) Flush() {
	if m.decided && !m.buffer {
		if f, ok := m.w.(http.Flusher); ok {
			f.Flush()
		}
	}
}

// Hijack lets a handler that is not detected as an upgrade still take over
// the connection.
func (m *maskWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := m.w.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("hijack not supported")
	}
	m.decided = true
	return h.Hijack()
}

// Unwrap lets http.ResponseController reach the real writer.
func (m *maskWriter) Unwrap() http.ResponseWriter { return m.w }

func (m *maskWriter) finish() {
	if !m.decided || !m.buffer {
		return
	}
	body := m.buf.Bytes()
	if out, ok := maskJSONBytes(body); ok {
		body = out
	}
	m.w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	m.w.WriteHeader(m.status)
	_, _ = m.w.Write(body)
}

// MaskJSONBytes masks the secret fields of a JSON document. A document with
// nothing to mask is returned unchanged (same bytes); one that does not parse
// as JSON is returned with an error.
func MaskJSONBytes(b []byte) ([]byte, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if len(bytes.Trim(b[dec.InputOffset():], " \t\r\n")) != 0 {
		return nil, errors.New("trailing data after JSON value")
	}
	mv, changed := MaskJSON(v)
	if !changed {
		return b, nil
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(mv); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// maskJSONBytes masks b; for a body that does not parse (a JSON stream of
// several values) every string that sits under a secret key is masked value
// by value instead, so a malformed reply still leaks nothing.
func maskJSONBytes(b []byte) ([]byte, bool) {
	if out, err := MaskJSONBytes(b); err == nil {
		return out, true
	}
	var out bytes.Buffer
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	for {
		var v any
		if err := dec.Decode(&v); err != nil {
			break
		}
		mv, _ := MaskJSON(v)
		enc := json.NewEncoder(&out)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(mv); err != nil {
			return []byte(`{"success":false,"error":"reply withheld: could not mask secrets"}`), true
		}
	}
	if out.Len() == 0 {
		return []byte(`{"success":false,"error":"reply withheld: not valid JSON"}`), true
	}
	return out.Bytes(), true
}
