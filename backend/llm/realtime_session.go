package llm

// sessionConfig builds the "session" object of session.update for the
// family, as the original's OmniRealtimeClient does.
func sessionConfig(cfg RealtimeConfig, instructions string) map[string]any {
	modalities := []string{"text", "audio"}
	if cfg.TextOnly {
		modalities = []string{"text"}
	}
	voice := func(def string) string {
		if cfg.Voice != "" {
			return cfg.Voice
		}
		return def
	}
	switch cfg.Family {
	case FamilyGLM:
		return map[string]any{
			"instructions":                instructions,
			"modalities":                  modalities,
			"voice":                       voice("tongtong"),
			"input_audio_format":          "pcm16",
			"output_audio_format":         "pcm",
			"turn_detection":              map[string]any{"type": "server_vad"},
			"input_audio_noise_reduction": map[string]any{"type": "far_field"},
			"beta_fields":                 map[string]any{"chat_mode": "video_passive", "auto_search": true},
			"temperature":                 1.0,
		}
	case FamilyQwen:
		return map[string]any{
			"instructions":              instructions,
			"modalities":                modalities,
			"voice":                     voice("Momo"),
			"input_audio_format":        "pcm16",
			"output_audio_format":       "pcm16",
			"input_audio_transcription": map[string]any{"model": "gummy-realtime-v1"},
			"turn_detection": map[string]any{"type": "server_vad", "threshold": 0.5,
				"prefix_padding_ms": 300, "silence_duration_ms": 500},
			"turn_detection_threshold": 0.2,
			"smooth_output":            false,
			"repetition_penalty":       1.2,
			"temperature":              0.7,
		}
	case FamilyOpenAI:
		out := []string{"audio"}
		if cfg.TextOnly {
			out = []string{"text"}
		}
		return map[string]any{
			"type":              "realtime",
			"model":             cfg.Model,
			"instructions":      instructions + "\nSpeak in a cute, lively voice.",
			"output_modalities": out,
			"audio": map[string]any{
				"input": map[string]any{
					"format":        map[string]any{"type": "audio/pcm", "rate": 24000},
					"transcription": map[string]any{"model": "gpt-4o-mini-transcribe"},
					"turn_detection": map[string]any{"type": "semantic_vad", "eagerness": "auto",
						"create_response": true, "interrupt_response": true},
				},
				"output": map[string]any{
					"format": map[string]any{"type": "audio/pcm", "rate": 24000},
					"voice":  voice("marin"),
					"speed":  1.0,
				},
			},
		}
	case FamilyStep, FamilyFree:
		return map[string]any{
			"instructions":        instructions,
			"modalities":          []string{"text", "audio"},
			"voice":               voice("qingchunshaonv"),
			"input_audio_format":  "pcm16",
			"output_audio_format": "pcm16",
			"turn_detection":      map[string]any{"type": "server_vad"},
			"tools":               []any{map[string]any{"type": "web_search"}},
		}
	}
	s := map[string]any{
		"instructions":        instructions,
		"modalities":          modalities,
		"input_audio_format":  "pcm16",
		"output_audio_format": "pcm16",
		"turn_detection":      map[string]any{"type": "server_vad"},
	}
	if cfg.Voice != "" {
		s["voice"] = cfg.Voice
	}
	return s
}
