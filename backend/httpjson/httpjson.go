// Package httpjson holds the small JSON helpers every neko HTTP server shares:
// writing replies, decoding bounded request bodies, and the /health fingerprint.
package httpjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// DefaultMaxBody is the request body limit used when a handler passes 0.
const DefaultMaxBody = 1 << 20

// Write sends v as JSON with the given status.
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// Error sends {"success":false,"error":msg,"code":code}. code is a stable
// machine-readable string (e.g. "invalid_json", "not_found").
func Error(w http.ResponseWriter, status int, code, msg string) {
	Write(w, status, map[string]any{"success": false, "error": msg, "code": code})
}

// ErrBodyTooLarge is returned by Decode when the body exceeds the limit.
var ErrBodyTooLarge = errors.New("request body too large")

// Decode reads at most maxBytes (DefaultMaxBody when 0) of the body and
// unmarshals it into v. It rejects trailing data after the JSON value.
func Decode(r *http.Request, v any, maxBytes int64) error {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBody
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBytes+1))
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > maxBytes {
		return ErrBodyTooLarge
	}
	if len(body) == 0 {
		return errors.New("empty body: a JSON object is required")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("malformed JSON: %w", err)
	}
	return nil
}

// DecodeOrError decodes like Decode and, on failure, writes a 400 (or 413)
// reply. It reports whether decoding succeeded.
func DecodeOrError(w http.ResponseWriter, r *http.Request, v any, maxBytes int64) bool {
	err := Decode(r, v, maxBytes)
	switch {
	case err == nil:
		return true
	case errors.Is(err, ErrBodyTooLarge):
		Error(w, http.StatusRequestEntityTooLarge, "body_too_large", err.Error())
	default:
		Error(w, http.StatusBadRequest, "invalid_json", err.Error())
	}
	return false
}

// Health is the fingerprint every neko server answers on GET /health; the
// launcher uses it to tell a running neko apart from a foreign process.
type Health struct {
	App        string         `json:"app"`
	Service    string         `json:"service"`
	Status     string         `json:"status"`
	InstanceID string         `json:"instance_id"`
	Extra      map[string]any `json:"-"`
}

// AppName is the fixed "app" value of the health fingerprint.
const AppName = "N.E.K.O"

// HealthHandler answers GET /health for service. extra, when non-nil, adds
// fields (the agent adds "agent_flags").
func HealthHandler(service, instanceID string, extra func() map[string]any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		out := map[string]any{"app": AppName, "service": service, "status": "ok", "instance_id": instanceID}
		if extra != nil {
			for k, v := range extra() {
				out[k] = v
			}
		}
		Write(w, http.StatusOK, out)
	}
}
