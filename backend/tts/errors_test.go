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
