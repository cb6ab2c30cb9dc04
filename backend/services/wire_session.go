package services

import (
	"strings"

	"neko/backend/config"
	"neko/backend/desktopctl"
	"neko/backend/llm"
	"neko/backend/session"
	"neko/backend/tts"
)

// newHub builds the conversation engine of the main server.
// The desktop controls (tray switches) own the speech fan-out and its
// local player, opened only when voice-only mode first needs it.
func (s *Services) newHub(analyze func() *analyzer) *session.Hub {
	ctl := desktopctl.New(desktopctl.Config{Log: s.opts.Log})
	return session.NewHub(session.Deps{
		Characters:   s.Store.Characters,
		Endpoint:     s.roleEndpoint,
		Memory:       memoryClient{s.memoryClient()},
		Analyze:      analyze().send,
		AgentEnabled: analyze().enabled,
		AgentTasks:   s.agentTasks,
		TTS:          ctl.TTS(s.ttsEngine),
		Fanout:       ctl.Fanout(),
		Desktop:      ctl,
		Transcriber:  s.transcriber,
		TextGuardMax: func() int { return s.Store.Core().Int("textGuardMaxLength", 300) },
		Log:          s.opts.Log,
	})
}

// ttsEngine picks a character's voice by the original's rules (reference
// §7.4), with the offline OS voice where the original had none.
func (s *Services) ttsEngine(character string) (tts.Engine, error) {
	core := s.Store.Core()
	chars := s.Store.Characters()
	voice := ""
	if ch, ok := chars.Get(character); ok {
		voice = ch.Reserved.VoiceID
	}
	custom := core.String("assistApiKeyQwen")
	if custom == "" {
		custom = assistKey(core)
	}
	free := map[string]bool{}
	for _, id := range s.Store.Providers.FreeVoices {
		free[id] = true
	}
	return tts.Choose(tts.Selection{
		CoreAPI:       core.String("coreApi"),
		CoreKey:       core.String("coreApiKey"),
		CustomKey:     custom,
		CustomEnabled: core.Bool("enableCustomApi", false),
		CustomURL:     core.String("ttsModelUrl"),
		CustomModel:   core.String("ttsModelId"),
		CustomVoice:   core.String("ttsVoiceId"),
		VoiceID:       voice,
		FreeVoices:    free,
		Logger:        s.opts.Log,
	}), nil
}

// assistKey is the key of the selected assist provider, falling back to the
// core key.
func assistKey(core config.CoreConfig) string {
	p := core.String("assistApi")
	if p != "" {
		if k := core.String("assistApiKey" + strings.ToUpper(p[:1]) + p[1:]); k != "" {
			return k
		}
	}
	return core.String("coreApiKey")
}

// transcriber is speech recognition for voice without a realtime model: the
// provider's /audio/transcriptions where the assist provider has one (OpenAI
// or a custom OpenAI-compatible server), else offline pocketsphinx when it
// is installed.
func (s *Services) transcriber() llm.Transcriber {
	core := s.Store.Core()
	ep := s.roleEndpoint(llm.RoleConversation)
	if ep.BaseURL != "" && (ep.Provider == "openai" || ep.Custom) {
		model := core.String("transcriptionModelId")
		if model == "" {
			model = "whisper-1"
		}
		return llm.NewTranscriptionClient(llm.Endpoint{BaseURL: ep.BaseURL, APIKey: ep.APIKey, Model: model})
	}
	ps, err := llm.NewPocketSphinx(llm.DefaultSphinxModelDir, "")
	if err != nil {
		return nil
	}
	return ps
}
