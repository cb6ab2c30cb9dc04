package llm

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultGeminiURL is the Gemini Live host.
const DefaultGeminiURL = "wss://generativelanguage.googleapis.com"

const geminiPath = "/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContent"

// geminiLive speaks Gemini Live (BidiGenerateContent) behind Realtime.
type geminiLive struct {
	*wsSession
	cfg   RealtimeConfig
	setup chan struct{}

	mu        sync.Mutex
	suppress  bool // skipped or cancelled turn: drop deltas until turnComplete
	inTurn    bool
	inputText strings.Builder
	outText   strings.Builder
}

func dialGemini(ctx context.Context, cfg RealtimeConfig) (*geminiLive, error) {
	base := cfg.URL
	if base == "" {
		base = DefaultGeminiURL
	}
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") {
		return nil, &Error{Code: CodeConnectionFailed, Message: fmt.Sprintf("gemini URL %q is not ws:// or wss://", base)}
	}
	if !strings.Contains(u.Path, "BidiGenerateContent") {
		u.Path += geminiPath
	}
	q := u.Query()
	if cfg.APIKey != "" {
		q.Set("key", cfg.APIKey)
	}
	u.RawQuery = q.Encode()
	conn, err := dialWS(ctx, u.String(), http.Header{}, cfg.HandshakeTimeout)
	if err != nil {
		return nil, err
	}
	g := &geminiLive{cfg: cfg, wsSession: newWSSession(conn, cfg.MaxInFlight, cfg.Logger), setup: make(chan struct{})}
	g.reasonFirst = true
	g.start(g.handle)
	if err := g.sendJSON(ctx, map[string]any{"setup": geminiSetup(cfg)}); err != nil {
		_ = g.Close()
		return nil, err
	}
	t := time.NewTimer(cfg.HandshakeTimeout)
	defer t.Stop()
	select {
	case <-g.setup:
		return g, nil
	case <-g.done:
		err := g.closedErr()
		_ = g.Close()
		if e := g.Err(); e != nil {
			return nil, e
		}
		return nil, err
	case <-t.C:
		_ = g.Close()
		return nil, &Error{Code: CodeConnectionTimeout, Message: "gemini: no setupComplete"}
	case <-ctx.Done():
		_ = g.Close()
		return nil, ctx.Err()
	}
}

func geminiSetup(cfg RealtimeConfig) map[string]any {
	model := cfg.Model
	if !strings.HasPrefix(model, "models/") {
		model = "models/" + model
	}
	gen := map[string]any{"temperature": 1.1, "mediaResolution": "MEDIA_RESOLUTION_LOW"}
	setup := map[string]any{
		"model":                   model,
		"generationConfig":        gen,
		"systemInstruction":       map[string]any{"parts": []any{map[string]any{"text": cfg.Instructions}}},
		"tools":                   []any{map[string]any{"googleSearch": map[string]any{}}},
		"inputAudioTranscription": map[string]any{},
	}
	if cfg.TextOnly {
		gen["responseModalities"] = []string{"TEXT"}
		return setup
	}
	voice := cfg.Voice
	if voice == "" {
		voice = "Leda"
	}
	gen["responseModalities"] = []string{"AUDIO"}
	gen["speechConfig"] = map[string]any{"voiceConfig": map[string]any{"prebuiltVoiceConfig": map[string]any{"voiceName": voice}}}
	setup["outputAudioTranscription"] = map[string]any{}
	return setup
}

func (g *geminiLive) SendAudio(ctx context.Context, pcm []byte) error {
	return g.sendJSON(ctx, map[string]any{"realtimeInput": map[string]any{"audio": map[string]any{
		"data": base64.StdEncoding.EncodeToString(pcm), "mimeType": "audio/pcm;rate=16000"}}})
}

func (g *geminiLive) SendImage(ctx context.Context, jpeg []byte) error {
	return g.sendJSON(ctx, map[string]any{"realtimeInput": map[string]any{"video": map[string]any{
		"data": base64.StdEncoding.EncodeToString(jpeg), "mimeType": "image/jpeg"}}})
}

func (g *geminiLive) CreateResponse(ctx context.Context, text string, skipped bool) error {
	if skipped {
		g.mu.Lock()
		g.suppress = true
		g.mu.Unlock()
	}
	return g.sendJSON(ctx, map[string]any{"clientContent": map[string]any{
		"turns":        []any{map[string]any{"role": "user", "parts": []any{map[string]any{"text": text}}}},
		"turnComplete": true}})
}

// CancelResponse drops the rest of the current turn locally: Gemini Live
// has no cancel event (its own VAD interrupts on user speech).
func (g *geminiLive) CancelResponse(context.Context) error {
	g.mu.Lock()
	if g.inTurn {
		g.suppress = true
	}
	g.mu.Unlock()
	return nil
}

func (g *geminiLive) ClearInput(ctx context.Context) error {
	return g.sendJSON(ctx, map[string]any{"realtimeInput": map[string]any{"audioStreamEnd": true}})
}

// Warmup is a no-op: Gemini caches the system instruction itself.
func (g *geminiLive) Warmup(context.Context) error { return nil }

type geminiMsg struct {
	SetupComplete *struct{} `json:"setupComplete"`
	ServerContent *struct {
		ModelTurn *struct {
			Parts []struct {
				Text       string `json:"text"`
				InlineData *struct {
					MimeType string `json:"mimeType"`
					Data     string `json:"data"`
				} `json:"inlineData"`
			} `json:"parts"`
		} `json:"modelTurn"`
		InputTranscription  *struct{ Text string } `json:"inputTranscription"`
		OutputTranscription *struct{ Text string } `json:"outputTranscription"`
		Interrupted         bool                   `json:"interrupted"`
		TurnComplete        bool                   `json:"turnComplete"`
	} `json:"serverContent"`
	GoAway *struct {
		TimeLeft string `json:"timeLeft"`
	} `json:"goAway"`
}

func (g *geminiLive) handle(data []byte) error {
	var m geminiMsg
	if err := json.Unmarshal(data, &m); err != nil {
		g.emit(RealtimeEvent{Kind: EventStatus, Code: CodeResponseInvalid,
			Err: &Error{Code: CodeResponseInvalid, Message: "malformed gemini message: " + err.Error(), Err: err}})
		return nil
	}
	if m.SetupComplete != nil {
		select {
		case <-g.setup:
		default:
			close(g.setup)
		}
	}
	if m.GoAway != nil {
		g.log.Info("gemini: server will close soon", "time_left", m.GoAway.TimeLeft)
	}
	sc := m.ServerContent
	if sc == nil {
		return nil
	}
	if sc.InputTranscription != nil {
		g.mu.Lock()
		g.inputText.WriteString(sc.InputTranscription.Text)
		g.mu.Unlock()
	}
	if sc.Interrupted {
		// The user barged in: Gemini drops the rest of the turn without a
		// turnComplete, so the turn ends here.
		g.flushInput()
		g.emit(RealtimeEvent{Kind: EventSpeechStarted})
		g.mu.Lock()
		was, quiet := g.inTurn, g.suppress
		g.inTurn, g.suppress = false, false
		g.outText.Reset()
		g.mu.Unlock()
		if was && !quiet {
			g.emit(RealtimeEvent{Kind: EventResponseDone})
		}
		if sc.ModelTurn == nil && sc.OutputTranscription == nil && !sc.TurnComplete {
			return nil
		}
	}
	g.mu.Lock()
	suppress := g.suppress
	g.mu.Unlock()
	if sc.ModelTurn != nil || sc.OutputTranscription != nil {
		g.startTurn(suppress)
	}
	if !suppress {
		if sc.ModelTurn != nil {
			for _, p := range sc.ModelTurn.Parts {
				if p.InlineData != nil && strings.HasPrefix(p.InlineData.MimeType, "audio/") {
					pcm, err := base64.StdEncoding.DecodeString(p.InlineData.Data)
					if err == nil {
						g.emit(RealtimeEvent{Kind: EventAudio, Audio: pcm})
					}
				}
				if p.Text != "" && g.cfg.TextOnly {
					g.text(p.Text)
				}
			}
		}
		if sc.OutputTranscription != nil && sc.OutputTranscription.Text != "" {
			g.text(sc.OutputTranscription.Text)
		}
	}
	if sc.TurnComplete {
		g.flushInput()
		g.mu.Lock()
		was, full := g.inTurn, g.outText.String()
		g.inTurn, g.suppress = false, false
		g.outText.Reset()
		g.mu.Unlock()
		if was && !suppress {
			g.emit(RealtimeEvent{Kind: EventTextDone, Text: full})
			g.emit(RealtimeEvent{Kind: EventResponseDone})
		}
	}
	return nil
}

func (g *geminiLive) startTurn(suppress bool) {
	g.mu.Lock()
	first := !g.inTurn
	g.inTurn = true
	g.mu.Unlock()
	if first {
		g.flushInput()
		if !suppress {
			g.emit(RealtimeEvent{Kind: EventResponseCreated})
		}
	}
}

func (g *geminiLive) text(t string) {
	g.mu.Lock()
	g.outText.WriteString(t)
	g.mu.Unlock()
	g.emit(RealtimeEvent{Kind: EventText, Text: t})
}

// flushInput emits the user's accumulated transcript (Gemini streams it in
// fragments) once the model starts answering.
func (g *geminiLive) flushInput() {
	g.mu.Lock()
	t := strings.TrimSpace(g.inputText.String())
	g.inputText.Reset()
	g.mu.Unlock()
	if t != "" {
		g.emit(RealtimeEvent{Kind: EventInputTranscript, Text: t})
	}
}
