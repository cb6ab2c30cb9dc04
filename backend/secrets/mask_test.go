package secrets_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"neko/backend/secrets"
)

func TestIsSecretKey(t *testing.T) {
	for _, k := range []string{"coreApiKey", "api_key", "assistApiKeyQwen", "conversationModelApiKey", "mcpToken",
		"SESSDATA", "access_token", "client_secret", "password", "cookies", "Authorization", "X-Neko-Token"} {
		if !secrets.IsSecretKey(k) {
			t.Errorf("%q not treated as secret", k)
		}
	}
	for _, k := range []string{"max_tokens", "keyword", "ttsVoiceId", "coreApi", "enableCustomApi", "model", "key", "tokens", ""} {
		if secrets.IsSecretKey(k) {
			t.Errorf("%q treated as secret", k)
		}
	}
}

func TestMaskValue(t *testing.T) {
	if got := secrets.MaskValue(""); got != "" {
		t.Errorf("empty: %q", got)
	}
	if got := secrets.MaskValue("short"); got != "********" {
		t.Errorf("short: %q", got)
	}
	if got := secrets.MaskValue("sk-abcdefghijklmnop1234"); got != "********1234" {
		t.Errorf("long: %q", got)
	}
	for _, m := range []string{secrets.MaskValue("sk-abcdefghijklmnop1234"), "••••abff", "****", "**••x"} {
		if !secrets.IsMasked(m) {
			t.Errorf("IsMasked(%q) = false", m)
		}
	}
	for _, m := range []string{"sk-1", "***x", "", "a****", "•••"} {
		if secrets.IsMasked(m) {
			t.Errorf("IsMasked(%q) = true", m)
		}
	}
}

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMaskJSON(t *testing.T) {
	in := decode(t, `{"coreApiKey":"sk-abcdefghijklmnop1234","coreApi":"qwen","max_tokens":10,
		"nested":{"list":[{"api_key":"k"}]},"cookies":{"bili":{"SESSDATA":"x","other":"y"}},"empty_token":"",
		"prompt":"my api key is secret"}`)
	orig := decode(t, `{"coreApiKey":"sk-abcdefghijklmnop1234","coreApi":"qwen","max_tokens":10,
		"nested":{"list":[{"api_key":"k"}]},"cookies":{"bili":{"SESSDATA":"x","other":"y"}},"empty_token":"",
		"prompt":"my api key is secret"}`)
	out, changed := secrets.MaskJSON(in)
	if !changed {
		t.Fatal("nothing masked")
	}
	want := decode(t, `{"coreApiKey":"********1234","coreApi":"qwen","max_tokens":10,
		"nested":{"list":[{"api_key":"********"}]},"cookies":{"bili":{"SESSDATA":"********","other":"********"}},"empty_token":"",
		"prompt":"my api key is secret"}`)
	if !reflect.DeepEqual(out, want) {
		t.Errorf("got %v\nwant %v", out, want)
	}
	if !reflect.DeepEqual(in, orig) {
		t.Error("input modified")
	}
	if _, changed := secrets.MaskJSON(decode(t, `{"a":[1,"b"]}`)); changed {
		t.Error("changed without secrets")
	}
}

func TestMergeMasked(t *testing.T) {
	stored := decode(t, `{"coreApiKey":"sk-real-key-000000001234","assistApiKeyQwen":"qk","prompt":"old","cookies":{"a":"c1"}}`)
	incoming := decode(t, `{"coreApiKey":"********1234","assistApiKeyQwen":"new-key","prompt":"**** bold ****",
		"mcpToken":"********","cookies":{"a":"********"}}`)
	got := secrets.MergeMasked(incoming, stored)
	want := decode(t, `{"coreApiKey":"sk-real-key-000000001234","assistApiKeyQwen":"new-key","prompt":"**** bold ****",
		"mcpToken":"","cookies":{"a":"c1"}}`)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if secrets.KeepStored("********", "old") != "old" || secrets.KeepStored("new", "old") != "new" || secrets.KeepStored("", "old") != "" {
		t.Error("KeepStored")
	}
}

func FuzzMaskJSONBytes(f *testing.F) {
	f.Add([]byte(`{"coreApiKey":"sk-abcdefghijklmnop1234","x":[{"token":"t"}]}`))
	f.Add([]byte(`[{"password":{"a":["b"]}}]`))
	f.Add([]byte(`"plain"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := secrets.MaskJSONBytes(b)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("masked output is not JSON: %q", out)
		}
		// Numbers beyond float64 are valid JSON: decode them as json.Number.
		var v any
		dec := json.NewDecoder(bytes.NewReader(out))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("masked output does not decode: %v", err)
		}
		// Masking is idempotent and leaves no secret string unmasked.
		if _, changed := secrets.MaskJSON(v); changed {
			t.Fatalf("second pass still masked something in %s", out)
		}
	})
}
