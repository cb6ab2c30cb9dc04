package secrets_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"neko/backend/httpjson"
	"neko/backend/secrets"
)

// BenchmarkMaskResponses is the safety net's cost on a settings read of
// the size of core_config.json.
func BenchmarkMaskResponses(b *testing.B) {
	cfg := map[string]any{"success": true, "coreApi": "qwen", "assistApi": "qwen", "enableCustomApi": false}
	for _, k := range []string{"api_key", "assistApiKeyQwen", "assistApiKeyOpenai", "assistApiKeyGlm", "mcpToken",
		"conversationModelApiKey", "summaryModelApiKey", "ttsModelApiKey"} {
		cfg[k] = "sk-abcdefghijklmnopqrstuvwxyz012345"
	}
	for _, k := range []string{"conversationModelUrl", "summaryModelUrl", "conversationModelId", "ttsVoiceId"} {
		cfg[k] = "https://example.invalid/v1"
	}
	h := secrets.MaskResponses(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, 200, cfg)
	}))
	r := httptest.NewRequest("GET", "/api/config/core_api", nil)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
}
