package tts

import (
	"log/slog"
	"strings"
	"time"
)

// Selection is what chooses the TTS engine of a character (reference §7.4).
type Selection struct {
	// CoreAPI is core_config's coreApi: qwen, free, step, glm, gemini, openai, …
	CoreAPI string
	// CoreKey is the core provider's key (tts_default).
	CoreKey string
	// CustomKey is the key for cloned voices (tts_custom: the Qwen assist
	// key if set, otherwise the assist key).
	CustomKey string
	// CustomEnabled and CustomURL are the custom TTS (enableCustomApi with a
	// ttsModelUrl): http(s) → GPT-SoVITS v3, ws(s) → local CosyVoice.
	CustomEnabled bool
	CustomURL     string
	// CustomModel and CustomVoice are ttsModelId and ttsVoiceId; an
	// OpenAI-compatible custom URL (path ending in /v1) uses them.
	CustomModel, CustomVoice string
	// VoiceID is the character's voice id.
	VoiceID string
	// FreeVoices are the free preset voice ids (api_providers.json).
	FreeVoices map[string]bool
	// Overseas selects lanlan.app for the free tier (voice Leda + language).
	Overseas bool
	// Language is the user's language code, sent to the free tier abroad.
	Language string
	// Offline configures the embedded OS voice used when nothing else applies.
	Offline OfflineConfig
	// HandshakeTimeout is passed to the engine; zero keeps its default.
	HandshakeTimeout time.Duration
	Logger           *slog.Logger
}

// Choose returns the engine for s following the original's order: custom
// TTS URL, then a cloned voice, then the core provider's own TTS. Where the
// original had a silent dummy worker (an unsupported provider or a missing
// key), neko speaks with the offline voice instead.
func Choose(s Selection) Engine {
	to := s.HandshakeTimeout
	if s.CustomEnabled && s.CustomURL != "" {
		u := strings.ToLower(strings.TrimSpace(s.CustomURL))
		switch {
		case strings.HasPrefix(u, "ws://") || strings.HasPrefix(u, "wss://"):
			voice := s.VoiceID
			if voice == "" {
				voice = s.CustomVoice
			}
			return NewLocalCosyVoice(LocalCosyVoiceConfig{BaseURL: s.CustomURL, Voice: voice, HandshakeTimeout: to, Logger: s.Logger})
		case strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://"):
			if strings.HasSuffix(strings.TrimRight(u, "/"), "/v1") {
				// An OpenAI-compatible speech server (Kokoro, vLLM-omni, …).
				return NewOpenAI(OpenAIConfig{BaseURL: s.CustomURL, Model: s.CustomModel, APIKey: s.CustomKey, Voice: s.CustomVoice, HandshakeTimeout: to, Logger: s.Logger})
			}
			voice := s.VoiceID
			if !strings.HasPrefix(voice, GSVVoicePrefix) {
				voice = s.CustomVoice
			}
			return NewGPTSoVITS(GPTSoVITSConfig{BaseURL: s.CustomURL, Voice: voice, HandshakeTimeout: to, Logger: s.Logger})
		}
	}
	if s.VoiceID != "" && !s.FreeVoices[s.VoiceID] && !strings.HasPrefix(s.VoiceID, GSVVoicePrefix) && s.CustomKey != "" {
		return NewCosyVoice(CosyVoiceConfig{APIKey: s.CustomKey, Voice: s.VoiceID, HandshakeTimeout: to, Logger: s.Logger})
	}
	if s.CoreKey == "" && s.CoreAPI != "free" {
		return NewOffline(s.Offline)
	}
	switch s.CoreAPI {
	case "qwen":
		return NewQwen(QwenConfig{APIKey: s.CoreKey, HandshakeTimeout: to, Logger: s.Logger})
	case "free":
		cfg := StepConfig{URL: "wss://lanlan.tech/tts", APIKey: s.CoreKey, HandshakeTimeout: to, Logger: s.Logger}
		if cfg.APIKey == "" {
			cfg.APIKey = "free-access"
		}
		if s.FreeVoices[s.VoiceID] {
			cfg.Voice = s.VoiceID
		}
		if s.Overseas {
			cfg.URL, cfg.Voice, cfg.LanguageCode = "wss://lanlan.app/tts", "Leda", s.Language
		}
		return NewStep(cfg)
	case "step":
		return NewStep(StepConfig{APIKey: s.CoreKey, HandshakeTimeout: to, Logger: s.Logger})
	case "glm":
		return NewCogTTS(CogTTSConfig{APIKey: s.CoreKey, HandshakeTimeout: to, Logger: s.Logger})
	case "gemini":
		return NewGemini(GeminiConfig{APIKey: s.CoreKey, HandshakeTimeout: to, Logger: s.Logger})
	case "openai":
		return NewOpenAI(OpenAIConfig{APIKey: s.CoreKey, HandshakeTimeout: to, Logger: s.Logger})
	}
	return NewOffline(s.Offline)
}
