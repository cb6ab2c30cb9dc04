package voices

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"neko/backend/httpjson"
	"neko/backend/tts"
)

// Voice id errors returned by ValidateVoiceID.
var (
	ErrLegacyVoice  = errors.New("legacy CosyVoice v2/v3 voice ids are no longer supported; clone the voice again")
	ErrGSVNotActive = errors.New("gsv: voice ids need a GPT-SoVITS (http) custom TTS URL")
	ErrUnknownVoice = errors.New("voice id is not registered for the current TTS key")
)

// ValidateVoiceID applies the original's voice id rules for the current
// TTS key: "" clears the voice; cosyvoice-v2*/cosyvoice-v3-* ids are
// legacy; gsv: ids need a GPT-SoVITS URL; any other id must be stored
// for the current key or be a free preset.
func (h *Handler) ValidateVoiceID(id string) error {
	id = strings.TrimSpace(id)
	switch {
	case id == "":
		return nil
	case strings.HasPrefix(id, "cosyvoice-v2") || strings.HasPrefix(id, "cosyvoice-v3-"):
		return ErrLegacyVoice
	case strings.HasPrefix(id, tts.GSVVoicePrefix):
		if h.cfg.Current().GSVURL == "" {
			return ErrGSVNotActive
		}
		return nil
	}
	if _, ok := h.cfg.Store.Get(h.storageKey(), id); ok {
		return nil
	}
	if h.cfg.FreeVoices != nil {
		for _, v := range h.cfg.FreeVoices() {
			if v == id {
				return nil
			}
		}
	}
	return ErrUnknownVoice
}

// isLoopbackURL reports whether u points at this machine; GPT-SoVITS is a
// local server and neko never fetches other hosts on its behalf.
func isLoopbackURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") {
		return false
	}
	host := p.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// customVoices lists GPT-SoVITS voices as gsv: ids.
func (h *Handler) customVoices(w http.ResponseWriter, r *http.Request) {
	base := strings.TrimRight(h.cfg.Current().GSVURL, "/")
	if base == "" {
		httpjson.Error(w, http.StatusBadRequest, "no_custom_tts", "no GPT-SoVITS custom TTS URL is configured")
		return
	}
	if !isLoopbackURL(base) {
		httpjson.Error(w, http.StatusBadRequest, "not_loopback", "the GPT-SoVITS URL must be on this machine (localhost)")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v3/voices", nil)
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, "bad_url", err.Error())
		return
	}
	resp, err := h.cfg.HTTPClient.Do(req)
	if err != nil {
		h.providerError(w, "list GPT-SoVITS voices", fmt.Errorf("gptsovits: %w", err))
		return
	}
	var raw json.RawMessage
	if err := readJSON(resp, "gptsovits", &raw); err != nil {
		h.providerError(w, "list GPT-SoVITS voices", err)
		return
	}
	list, err := gsvVoiceList(raw)
	if err != nil {
		h.providerError(w, "list GPT-SoVITS voices", err)
		return
	}
	out := make([]map[string]any, 0, len(list))
	for _, v := range list {
		id := fmt.Sprint(firstNonNil(v["id"], v["voice_id"], v["name"], ""))
		if id == "" {
			continue
		}
		out = append(out, map[string]any{
			"voice_id": tts.GSVVoicePrefix + id, "raw_id": id,
			"name": firstNonNil(v["name"], id), "description": firstNonNil(v["description"], ""),
			"version": firstNonNil(v["version"], ""),
		})
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true, "voices": out})
}

// gsvVoiceList accepts a bare list or {"voices"|"data": [...]}.
func gsvVoiceList(raw json.RawMessage) ([]map[string]any, error) {
	var list []map[string]any
	if json.Unmarshal(raw, &list) == nil {
		return list, nil
	}
	var wrap struct {
		Voices []map[string]any `json:"voices"`
		Data   []map[string]any `json:"data"`
	}
	if err := json.Unmarshal(raw, &wrap); err != nil {
		return nil, fmt.Errorf("gptsovits: bad voice list: %w", err)
	}
	if wrap.Voices != nil {
		return wrap.Voices, nil
	}
	return wrap.Data, nil
}
