package tts_test

import (
	"testing"

	"neko/backend/tts"
)

func TestChoose(t *testing.T) {
	free := map[string]bool{"voice-tone-PGLiTXeJCS": true}
	cases := []struct {
		name string
		sel  tts.Selection
		want string
	}{
		{"custom http → GPT-SoVITS", tts.Selection{CoreAPI: "qwen", CoreKey: "k", CustomEnabled: true, CustomURL: "http://127.0.0.1:9881", VoiceID: "gsv:alice"}, "gptsovits"},
		{"custom ws → local CosyVoice", tts.Selection{CoreAPI: "qwen", CoreKey: "k", CustomEnabled: true, CustomURL: "ws://127.0.0.1:50000"}, "local_cosyvoice"},
		{"custom OpenAI-compatible", tts.Selection{CustomEnabled: true, CustomURL: "http://127.0.0.1:8880/v1", CustomVoice: "af_heart"}, "openai"},
		{"custom URL but disabled", tts.Selection{CoreAPI: "glm", CoreKey: "k", CustomURL: "http://x"}, "cogtts"},
		{"cloned voice → CosyVoice", tts.Selection{CoreAPI: "openai", CoreKey: "k", CustomKey: "ck", VoiceID: "cosyvoice-v3.5-plus-neko-1"}, "cosyvoice"},
		{"free preset voice is not a clone", tts.Selection{CoreAPI: "free", CustomKey: "ck", VoiceID: "voice-tone-PGLiTXeJCS", FreeVoices: free}, "step"},
		{"qwen", tts.Selection{CoreAPI: "qwen", CoreKey: "k"}, "qwen"},
		{"free", tts.Selection{CoreAPI: "free"}, "step"},
		{"step", tts.Selection{CoreAPI: "step", CoreKey: "k"}, "step"},
		{"glm", tts.Selection{CoreAPI: "glm", CoreKey: "k"}, "cogtts"},
		{"gemini", tts.Selection{CoreAPI: "gemini", CoreKey: "k"}, "gemini"},
		{"openai", tts.Selection{CoreAPI: "openai", CoreKey: "k"}, "openai"},
		{"unknown provider → offline", tts.Selection{CoreAPI: "local", CoreKey: "k"}, "offline"},
		{"no key → offline", tts.Selection{CoreAPI: "qwen"}, "offline"},
		{"nothing configured → offline", tts.Selection{}, "offline"},
	}
	for _, c := range cases {
		e := tts.Choose(c.sel)
		if e.Name() != c.want {
			t.Errorf("%s: got %s, want %s", c.name, e.Name(), c.want)
		}
		e.Close()
	}
}
