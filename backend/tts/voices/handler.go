package voices

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"neko/backend/httpjson"
	"neko/backend/tts"
)

// Current says which voices are in use: those of the current TTS key, or
// those of the local TTS server when a ws(s) custom TTS URL is active.
type Current struct {
	Key      string // custom TTS key, else AUDIO_API_KEY
	LocalURL string // ws:// or wss:// custom TTS URL when local TTS is on
	GSVURL   string // http(s) custom TTS URL when GPT-SoVITS is on
}

// Config wires the voice API to the rest of the main server. Only Store
// and Current are required.
type Config struct {
	Store   *Store
	Current func() Current
	// FreeVoices returns the free preset voices (display name → id).
	FreeVoices func() map[string]string
	// VoiceOwners returns voice id → names of the characters using it.
	VoiceOwners func() map[string][]string
	// OnVoiceRemoved runs after a voice was deleted, so the characters using
	// it get reload_page and a session end.
	OnVoiceRemoved func(voiceID string)
	// ClearCharacterVoice clears a character's voice_id (unregister_voice);
	// it returns an error wrapping ErrUnknownCharacter for a bad name.
	ClearCharacterVoice func(name string) error

	DashScopeURL string // enrollment REST base; default DefaultDashScopeURL
	DashScopeWS  string // inference WebSocket for previews; "" is DashScope's
	UploadURL    string // sample host; default DefaultUploadURL
	MaxUpload    int64  // clone sample cap; default 100 MB
	TempDir      string // where uploads are spooled; "" is os.TempDir
	HTTPClient   *http.Client
	Logger       *slog.Logger
}

// ErrUnknownCharacter is what ClearCharacterVoice wraps for a missing name.
var ErrUnknownCharacter = errors.New("unknown character")

// Handler serves the voice routes.
type Handler struct {
	cfg   Config
	log   *slog.Logger
	mux   *http.ServeMux
	trims trimTasks
}

// Routes are the patterns Register mounts.
var Routes = []string{
	"GET /api/characters/voices",
	"POST /api/characters/voices",
	"DELETE /api/characters/voices/{voice_id}",
	"GET /api/characters/voice_preview",
	"POST /api/characters/voice_clone",
	"POST /api/characters/catgirl/{name}/unregister_voice",
	"GET /api/characters/custom_tts_voices",
	"POST /api/characters/audio/analyze_silence",
	"POST /api/characters/audio/trim_silence",
	"GET /api/characters/audio/trim_progress/{task_id}",
	"POST /api/characters/audio/trim_cancel/{task_id}",
}

// NewHandler returns the voice API handler.
func NewHandler(cfg Config) *Handler {
	if cfg.DashScopeURL == "" {
		cfg.DashScopeURL = DefaultDashScopeURL
	}
	if cfg.UploadURL == "" {
		cfg.UploadURL = DefaultUploadURL
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = 100 << 20
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 2 * time.Minute}
	}
	if cfg.Current == nil {
		cfg.Current = func() Current { return Current{} }
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	h := &Handler{cfg: cfg, log: log.With("component", "voices"), mux: http.NewServeMux()}
	h.Register(h.mux)
	return h
}

// Register mounts the routes on mux (the main server's mux).
func (h *Handler) Register(mux *http.ServeMux) {
	hs := []http.HandlerFunc{h.list, h.add, h.remove, h.preview, h.clone, h.unregister, h.customVoices,
		h.analyzeSilence, h.trimSilenceHandler, h.trimProgress, h.trimCancel}
	for i, p := range Routes {
		mux.HandleFunc(p, hs[i])
	}
}

// ServeHTTP serves the routes on their full paths.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// storageKey is the voice_storage group now in use.
func (h *Handler) storageKey() string {
	c := h.cfg.Current()
	if c.LocalURL != "" {
		return LocalKey
	}
	return c.Key
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{"voices": h.cfg.Store.Voices(h.storageKey())}
	if h.cfg.FreeVoices != nil {
		out["free_voices"] = h.cfg.FreeVoices()
	}
	owners := map[string][]string{}
	if h.cfg.VoiceOwners != nil {
		owners = h.cfg.VoiceOwners()
	}
	out["voice_owners"] = owners
	httpjson.Write(w, http.StatusOK, out)
}

func (h *Handler) add(w http.ResponseWriter, r *http.Request) {
	var req struct {
		VoiceID   string         `json:"voice_id"`
		VoiceData map[string]any `json:"voice_data"`
	}
	if !httpjson.DecodeOrError(w, r, &req, 64<<10) {
		return
	}
	id := strings.TrimSpace(req.VoiceID)
	if id == "" || len(id) > 200 || req.VoiceData == nil {
		httpjson.Error(w, http.StatusBadRequest, "invalid_voice", "voice_id and voice_data are required")
		return
	}
	key := h.storageKey()
	if key == "" {
		httpjson.Error(w, http.StatusBadRequest, "no_api_key", "no TTS API key is configured")
		return
	}
	v := Voice(req.VoiceData)
	v["voice_id"] = id
	v["created_at"] = time.Now().Format(time.RFC3339)
	if err := h.cfg.Store.Put(key, v); err != nil {
		h.log.Error("save voice", "err", err)
		httpjson.Error(w, http.StatusInternalServerError, "internal", "could not save the voice")
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true, "voice_id": id})
}

func (h *Handler) remove(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("voice_id")
	ok, err := h.cfg.Store.Delete(h.storageKey(), id)
	if err != nil {
		h.log.Error("delete voice", "err", err)
		httpjson.Error(w, http.StatusInternalServerError, "internal", "could not save the voice storage")
		return
	}
	if !ok {
		httpjson.Error(w, http.StatusNotFound, "not_found", "no such voice")
		return
	}
	if h.cfg.OnVoiceRemoved != nil {
		h.cfg.OnVoiceRemoved(id)
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true, "message": "voice deleted"})
}

func (h *Handler) unregister(w http.ResponseWriter, r *http.Request) {
	if h.cfg.ClearCharacterVoice == nil {
		httpjson.Error(w, http.StatusNotImplemented, "unsupported", "characters are not wired")
		return
	}
	if err := h.cfg.ClearCharacterVoice(r.PathValue("name")); err != nil {
		if errors.Is(err, ErrUnknownCharacter) {
			httpjson.Error(w, http.StatusNotFound, "not_found", "no such character")
			return
		}
		h.log.Error("unregister voice", "err", err)
		httpjson.Error(w, http.StatusInternalServerError, "internal", "could not save the character")
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true, "message": "voice unregistered"})
}

// previewLines are the fixed lines the preview speaks, by ref_language.
var previewLines = map[string]string{
	"ch": "你好呀，很高兴认识你！这就是我的声音，喜欢吗？",
	"en": "Hi there, it's nice to meet you! This is my voice. Do you like it?",
	"ja": "こんにちは、はじめまして！これが私の声です。気に入ってくれた？",
	"ko": "안녕하세요, 만나서 반가워요! 이게 제 목소리예요.",
	"fr": "Bonjour, ravie de te rencontrer ! Voici ma voix.",
	"de": "Hallo, schön dich kennenzulernen! Das ist meine Stimme.",
	"ru": "Привет, рада познакомиться! Это мой голос.",
}

func (h *Handler) preview(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSpace(r.URL.Query().Get("voice_id"))
	if id == "" {
		httpjson.Error(w, http.StatusBadRequest, "invalid_voice", "voice_id is required")
		return
	}
	key := h.storageKey()
	if key == LocalKey {
		httpjson.Error(w, http.StatusBadRequest, "unsupported", "preview is for cloud (DashScope) voices")
		return
	}
	v, ok := h.cfg.Store.Get(key, id)
	if !ok {
		httpjson.Error(w, http.StatusNotFound, "not_found", "no such voice for the current API key")
		return
	}
	line := previewLines[v.str("ref_language")]
	if line == "" {
		line = previewLines["ch"]
	}
	ctx, cancel := context.WithTimeout(r.Context(), 60*time.Second)
	defer cancel()
	e := tts.NewCosyVoice(tts.CosyVoiceConfig{URL: h.cfg.DashScopeWS, APIKey: key, Voice: id, Logger: h.log})
	defer e.Close()
	audio, err := e.SynthesizeOnce(ctx, line, "mp3", 22050)
	if err != nil {
		h.providerError(w, "preview", err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true, "audio": base64.StdEncoding.EncodeToString(audio), "mime_type": "audio/mpeg"})
}

// providerError answers a failed provider call: 401 for a rejected key,
// 504 for a timeout, 502 otherwise, with the status code for the UI.
func (h *Handler) providerError(w http.ResponseWriter, what string, err error) {
	code := tts.StatusCode(err)
	status := http.StatusBadGateway
	switch code {
	case tts.CodeKeyRejected:
		status = http.StatusUnauthorized
	case tts.CodeConnTimeout:
		status = http.StatusGatewayTimeout
	case tts.CodeRateLimit:
		status = http.StatusTooManyRequests
	}
	h.log.Warn(what+" failed", "err", err, "code", code)
	httpjson.Error(w, status, code, what+" failed: "+err.Error())
}
