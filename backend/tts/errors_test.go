package tts_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"neko/backend/tts"
)

func TestStatusCode(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{context.Canceled, ""},
		{&tts.ProviderError{Engine: "x", Status: 401}, tts.CodeKeyRejected},
		{&tts.ProviderError{Engine: "x", Status: 403}, tts.CodeKeyRejected},
		{&tts.ProviderError{Engine: "x", Status: 429}, tts.CodeRateLimit},
		{&tts.ProviderError{Engine: "x", Status: 402}, tts.CodeArrears},
		{&tts.ProviderError{Engine: "x", Status: 400, Code: "Arrearage", Msg: "account in arrears"}, tts.CodeArrears},
		{&tts.ProviderError{Engine: "x", Code: "InvalidApiKey", Msg: "Invalid API-key provided."}, tts.CodeKeyRejected},
		{&tts.ProviderError{Engine: "x", Status: 500, Msg: "boom"}, tts.CodeServerError},
		{&tts.ProviderError{Engine: "x", Status: 400, Msg: "bad voice"}, tts.CodeResponseInvalid},
		{&tts.ProviderError{Engine: "x", Msg: "data_inspection_failed"}, tts.CodePolicy},
		{fmt.Errorf("qwen: %w", tts.ErrReadyTimeout), tts.CodeConnTimeout},
		{fmt.Errorf("x: %w", tts.ErrNoAudio), tts.CodeResponseInvalid},
		{errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), tts.CodeConnRefused},
		{errors.New("websocket: close 1006 (abnormal closure)"), tts.CodeTTSConnection},
	}
	for _, c := range cases {
		if got := tts.StatusCode(c.err); got != c.want {
			t.Errorf("StatusCode(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestProviderHTTPErrorShapes(t *testing.T) {
	cases := []struct {
		body       string
		code, msg  string
		wantStatus string
	}{
		{`{"error":{"message":"Incorrect API key","type":"invalid_request_error","code":"invalid_api_key"}}`, "invalid_api_key", "Incorrect API key", tts.CodeKeyRejected},
		{`{"code":"Arrearage","message":"account overdue","request_id":"r"}`, "Arrearage", "account overdue", tts.CodeArrears},
		{`{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT"}}`, "400", "API key not valid.", tts.CodeKeyRejected},
		{`{"error":"plain text error"}`, "", "plain text error", tts.CodeResponseInvalid},
		{`<html>Bad Gateway</html>`, "", "<html>Bad Gateway</html>", tts.CodeResponseInvalid},
	}
	for _, c := range cases {
		pe := tts.ProviderHTTPError("x", 400, []byte(c.body))
		if pe.Code != c.code || pe.Msg != c.msg {
			t.Errorf("%s: code %q msg %q", c.body, pe.Code, pe.Msg)
		}
		if got := tts.StatusCode(pe); got != c.wantStatus {
			t.Errorf("%s: status code %s, want %s", c.body, got, c.wantStatus)
		}
	}
}

func FuzzProviderHTTPError(f *testing.F) {
	f.Add(400, []byte(`{"error":{"code":"x","message":"y"}}`))
	f.Add(500, []byte(`{"code":1113,"msg":"余额不足"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		pe := tts.ProviderHTTPError("x", status, body)
		if len(pe.Msg) > len(body)+16 && len(body) < 300 {
			t.Fatalf("message longer than the body: %q", pe.Msg)
		}
		_ = tts.StatusCode(pe)
		_ = pe.Error()
	})
}
