package session

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"neko/backend/httpjson"
	"neko/backend/llm"
)

// Emotions the avatar knows (VRM also has relaxed).
var emotions = map[string]bool{"happy": true, "sad": true, "angry": true, "neutral": true, "surprised": true}

const emotionPrompt = `Classify the emotion of the character's line. Answer with JSON only: {"emotion": "happy"|"sad"|"angry"|"neutral"|"surprised", "confidence": 0.0-1.0}`

// EmotionHandler serves POST /api/emotion/analysis (reference §4.8): the
// emotion model classifies a finished turn so the avatar can show it.
func (h *Hub) EmotionHandler() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Text       string `json:"text"`
			LanlanName string `json:"lanlan_name"`
		}
		if !httpjson.DecodeOrError(w, r, &body, 64<<10) {
			return
		}
		if strings.TrimSpace(body.Text) == "" {
			httpjson.Error(w, http.StatusBadRequest, "invalid", "text is required")
			return
		}
		emotion, conf, err := h.classifyEmotion(r.Context(), body.Text)
		if err != nil {
			httpjson.Write(w, http.StatusOK, map[string]any{"error": err.Error(), "emotion": "neutral", "confidence": 0})
			return
		}
		httpjson.Write(w, http.StatusOK, map[string]any{"emotion": emotion, "confidence": conf})
	}
}

func (h *Hub) classifyEmotion(ctx context.Context, text string) (string, float64, error) {
	ep := h.deps.Endpoint(llm.RoleEmotion)
	if ep.BaseURL == "" || ep.Model == "" {
		return "", 0, &llm.Error{Code: llm.CodeKeyRejected, Message: "no emotion model is configured"}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	temp := 0.3
	resp, err := llm.NewChatClient(ep.Endpoint).Complete(ctx, llm.ChatRequest{
		Messages:    []llm.Message{{Role: "system", Content: emotionPrompt}, {Role: "user", Content: text}},
		Temperature: &temp, MaxTokens: 40, JSONMode: true,
	})
	if err != nil {
		return "", 0, err
	}
	var out struct {
		Emotion    string  `json:"emotion"`
		Confidence float64 `json:"confidence"`
	}
	if err := json.Unmarshal([]byte(stripFences(resp.Text)), &out); err != nil {
		return "", 0, &llm.Error{Code: "RESPONSE_INVALID", Message: "the emotion model did not answer JSON"}
	}
	e := strings.ToLower(strings.TrimSpace(out.Emotion))
	if !emotions[e] || out.Confidence < 0.3 {
		return "neutral", out.Confidence, nil
	}
	return e, out.Confidence, nil
}

// stripFences removes a ```json … ``` wrapper.
func stripFences(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "```") {
		s = strings.TrimPrefix(s, "```")
		s = strings.TrimPrefix(s, "json")
		s = strings.TrimSuffix(strings.TrimSpace(s), "```")
	}
	if i, j := strings.Index(s, "{"), strings.LastIndex(s, "}"); i >= 0 && j > i {
		s = s[i : j+1]
	}
	return s
}
