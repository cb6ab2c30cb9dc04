package tts

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
)

// Status codes reported to the client (reference §5.3). The frontend
// translates them, so the strings are part of the wire format.
const (
	CodeKeyRejected      = "API_KEY_REJECTED"
	CodeRateLimit        = "API_RATE_LIMIT"
	CodeArrears          = "API_ARREARS"
	CodeQuota            = "API_QUOTA_TIME"
	CodePolicy           = "API_POLICY_VIOLATION"
	CodeConnTimeout      = "CONNECTION_TIMEOUT"
	CodeConnRefused      = "CONNECTION_REFUSED"
	CodeConnAbnormal     = "CONNECTION_CLOSED_ABNORMAL"
	CodeTTSConnection    = "TTS_CONNECTION_FAILED"
	CodeServerError      = "SERVER_ERROR"
	CodeUnknown          = "API_UNKNOWN_ERROR"
	CodeResponseInvalid  = "RESPONSE_INVALID"
	CodeResponseTimeout  = "RESPONSE_TIMEOUT"
	CodeInternalFailure  = "INTERNAL_UPDATE_FAILED"
	codeCanceledInternal = ""
)

// ErrReadyTimeout is wrapped by errors from an engine whose server did not
// finish its handshake (session created, connection done, ready) in time.
var ErrReadyTimeout = errors.New("tts engine not ready in time")

// ErrNoAudio is wrapped when a provider answered without any audio.
var ErrNoAudio = errors.New("tts provider returned no audio")

// ProviderError is an error reported by a TTS provider: an HTTP status, a
// WebSocket error event, or a close frame.
type ProviderError struct {
	Engine string // engine name, e.g. "qwen"
	Status int    // HTTP status or 0
	Code   string // the provider's own error code, if any
	Msg    string
}

func (e *ProviderError) Error() string {
	var b strings.Builder
	b.WriteString(e.Engine)
	b.WriteString(" tts")
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(e.Code)
	}
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	return b.String()
}

// StatusCode maps an engine error to the client status code, first by its
// HTTP status, then by keywords of the provider's message (as the original
// does), then by the network failure kind. A nil or cancelled error maps to "".
func StatusCode(err error) string {
	if err == nil || errors.Is(err, context.Canceled) {
		return codeCanceledInternal
	}
	var pe *ProviderError
	if errors.As(err, &pe) {
		switch {
		case pe.Status == http.StatusUnauthorized || pe.Status == http.StatusForbidden:
			return CodeKeyRejected
		case pe.Status == http.StatusTooManyRequests:
			return CodeRateLimit
		case pe.Status == http.StatusPaymentRequired:
			return CodeArrears
		}
		if c, ok := providerCodes[pe.Code]; ok {
			return c
		}
		if c := codeByKeyword(pe.Code); c != "" {
			return c
		}
		if c := codeByKeyword(pe.Msg); c != "" {
			return c
		}
		if pe.Status >= 500 {
			return CodeServerError
		}
		if pe.Status >= 400 {
			return CodeResponseInvalid
		}
		return CodeUnknown
	}
	if errors.Is(err, ErrReadyTimeout) || errors.Is(err, context.DeadlineExceeded) {
		return CodeConnTimeout
	}
	if errors.Is(err, ErrNoAudio) {
		return CodeResponseInvalid
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return CodeConnRefused
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return CodeConnTimeout
	}
	if c := codeByKeyword(err.Error()); c != "" {
		return c
	}
	return CodeTTSConnection
}

// providerCodes maps numeric provider codes (Zhipu GLM) to status codes.
var providerCodes = map[string]string{
	"1000": CodeKeyRejected, "1001": CodeKeyRejected, "1002": CodeKeyRejected, "1003": CodeKeyRejected, "1004": CodeKeyRejected,
	"1113": CodeArrears, "1301": CodePolicy, "1261": CodePolicy,
	"1302": CodeRateLimit, "1303": CodeRateLimit, "1305": CodeRateLimit,
}

func codeByKeyword(s string) string {
	s = strings.ToLower(s)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(s, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("invalid api", "api key", "apikey", "unauthorized", "authentication", "access denied", "invalidapikey", "forbidden"):
		return CodeKeyRejected
	case has("arrear", "insufficient balance", "欠费", "余额不足", "billing"):
		return CodeArrears
	case has("quota", "额度"):
		return CodeQuota
	case has("rate limit", "ratelimit", "too many requests", "throttl"):
		return CodeRateLimit
	case has("policy", "inappropriate", "data_inspection", "content filter", "safety"):
		return CodePolicy
	case has("timeout", "timed out", "deadline"):
		return CodeConnTimeout
	case has("connection refused"):
		return CodeConnRefused
	}
	return ""
}
