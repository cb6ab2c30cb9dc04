package config

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

//go:embed api_providers.json
var apiProvidersJSON []byte

// CoreProvider is a realtime (core) provider profile.
type CoreProvider struct {
	Key           string `json:"key"`
	Name          string `json:"name"`
	Description   string `json:"description"`
	CoreURL       string `json:"core_url"`
	CoreModel     string `json:"core_model"`
	CoreAPIKey    string `json:"core_api_key,omitempty"`
	IsFreeVersion bool   `json:"is_free_version,omitempty"`
}

// AssistProvider is an OpenAI-compatible (assist) provider profile.
type AssistProvider struct {
	Key               string `json:"key"`
	Name              string `json:"name"`
	Description       string `json:"description"`
	OpenRouterURL     string `json:"openrouter_url"`
	ConversationModel string `json:"conversation_model"`
	SummaryModel      string `json:"summary_model"`
	CorrectionModel   string `json:"correction_model"`
	EmotionModel      string `json:"emotion_model"`
	VisionModel       string `json:"vision_model"`
	AgentModel        string `json:"agent_model"`
	AudioAPIKey       string `json:"audio_api_key,omitempty"`
	OpenRouterAPIKey  string `json:"openrouter_api_key,omitempty"`
	IsFreeVersion     bool   `json:"is_free_version,omitempty"`
}

// Providers is the shipped provider catalog (config/api_providers.json).
type Providers struct {
	Core              []CoreProvider    `json:"core_api_providers"`
	Assist            []AssistProvider  `json:"assist_api_providers"`
	DefaultModels     map[string]string `json:"default_models"`
	AssistAPIKeyField map[string]string `json:"assist_api_key_fields"`
	FreeVoices        map[string]string `json:"free_voices"`
}

// LoadProviders parses the embedded catalog.
func LoadProviders() (*Providers, error) {
	var p Providers
	if err := json.Unmarshal(apiProvidersJSON, &p); err != nil {
		return nil, fmt.Errorf("api_providers.json: %w", err)
	}
	return &p, nil
}

// ProvidersJSON is the embedded catalog as shipped.
func ProvidersJSON() []byte { return append([]byte(nil), apiProvidersJSON...) }

// CoreByKey finds a core provider.
func (p *Providers) CoreByKey(key string) (CoreProvider, bool) {
	for _, c := range p.Core {
		if c.Key == key {
			return c, true
		}
	}
	return CoreProvider{}, false
}

// AssistByKey finds an assist provider.
func (p *Providers) AssistByKey(key string) (AssistProvider, bool) {
	for _, a := range p.Assist {
		if a.Key == key {
			return a, true
		}
	}
	return AssistProvider{}, false
}
