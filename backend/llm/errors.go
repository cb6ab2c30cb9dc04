package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
)

// Status codes an *Error carries. They are the codes of the WebSocket
// "status" message the frontend translates.
const (
	CodeKeyRejected       = "API_KEY_REJECTED"
	CodeRateLimit         = "API_RATE_LIMIT"
	CodeQuotaTime         = "API_QUOTA_TIME"
	CodeArrears           = "API_ARREARS"
	CodePolicyViolation   = "API_POLICY_VIOLATION"
	CodeUnknown           = "API_UNKNOWN_ERROR"
	CodeConnectionRefused = "CONNECTION_REFUSED"
	CodeConnectionTimeout = "CONNECTION_TIMEOUT"
	CodeConnectionClosed  = "CONNECTION_CLOSED_ABNORMAL"
	CodeConnectionFailed  = "LLM_CONNECTION_FAILED"
	CodeResponseTimeout   = "RESPONSE_TIMEOUT"
	CodeResponseInvalid   = "RESPONSE_INVALID"
	CodeServerError       = "SERVER_ERROR"
	CodeServerBusy        = "SERVER_BUSY_THROTTLE"
	// CodeModelNotFound is a neko extension: the endpoint answered 404 or
	// named an unknown model (used by the settings connectivity check).
	CodeModelNotFound = "MODEL_NOT_FOUND"
)

// Error is a classified provider failure.
type Error struct {
	Code    string // one of the Code* constants
	Status  int    // HTTP status or WebSocket close code; 0 when none
	Message string // provider's message or a short description
	Err     error  // underlying transport error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("llm: ")
	b.WriteString(e.Code)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (%d)", e.Status)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil && (e.Message == "" || !strings.Contains(e.Message, e.Err.Error())) {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the Code of the *Error in err's chain, or "" when there
// is none (for example a cancelled context).
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// classifyMessage maps provider wording to a code; "" when nothing matches.
// Providers put the reason in free text (DashScope "Arrearage", OpenAI
// "insufficient_quota", GLM "余额不足", content filters, ...).
func classifyMessage(msg string) string {
	m := strings.ToLower(msg)
	switch {
	case containsAny(m, "arrear", "insufficient_quota", "insufficient balance", "insufficient_balance",
		"余额不足", "欠费", "billing", "payment required"):
		return CodeArrears
	case containsAny(m, "quota", "free tier", "time limit exceeded", "额度"):
		return CodeQuotaTime
	case containsAny(m, "policy", "data_inspection", "inappropriate", "content_filter", "content filter",
		"safety", "moderation", "敏感", "1008"):
		return CodePolicyViolation
	case containsAny(m, "rate limit", "rate_limit", "too many requests", "ratelimit", "429"):
		return CodeRateLimit
	case containsAny(m, "overloaded", "server is busy", "503"):
		return CodeServerBusy
	case containsAny(m, "invalid api key", "invalid_api_key", "incorrect api key", "unauthorized",
		"authentication", "api key not valid", "invalidapikey"):
		return CodeKeyRejected
	case containsAny(m, "model_not_found", "model not found", "does not exist", "no such model", "unknown model"):
		return CodeModelNotFound
	}
	return ""
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// classifyHTTP builds the *Error for a non-2xx HTTP answer.
func classifyHTTP(status int, msg string) *Error {
	code := ""
	switch m := classifyMessage(msg); {
	case status == 403 && (m == CodeArrears || m == CodeQuotaTime || m == CodePolicyViolation):
		code = m // DashScope and others answer 403 for arrears and refusals too
	case status == 401 || status == 403:
		code = CodeKeyRejected
	case status == 402:
		code = CodeArrears
	}
	if code == "" {
		code = classifyMessage(msg)
	}
	if code == "" || (status == 429 && code != CodeArrears && code != CodeQuotaTime) {
		switch {
		case status == 429:
			code = CodeRateLimit
		case status == 404:
			code = CodeModelNotFound
		case status == 503 || status == 529:
			code = CodeServerBusy
		case status >= 500:
			code = CodeServerError
		case code == "":
			code = CodeUnknown
		}
	}
	return &Error{Code: code, Status: status, Message: msg}
}

// classifyTransport wraps a transport error (dial, read, TLS) into *Error.
// Context cancellation is returned unchanged.
func classifyTransport(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	code := CodeConnectionFailed
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), strings.Contains(err.Error(), "connection refused"),
		strings.Contains(err.Error(), "actively refused"):
		code = CodeConnectionRefused
	case errors.As(err, &ne) && ne.Timeout():
		code = CodeConnectionTimeout
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		code = CodeConnectionClosed
	}
	return &Error{Code: code, Message: err.Error(), Err: err}
}
