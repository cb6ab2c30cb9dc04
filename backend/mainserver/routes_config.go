package mainserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"neko/backend/atomicfile"
	"neko/backend/config"
	"neko/backend/httpjson"
)

func (s *Server) configRoutes() {
	m := s.mux
	m.HandleFunc("GET /api/config/character_reserved_fields", func(w http.ResponseWriter, r *http.Request) {
		all := append(append([]string{}, config.SystemReservedFields...), config.WorkshopReservedFields...)
		httpjson.Write(w, 200, map[string]any{"success": true, "system_reserved_fields": config.SystemReservedFields,
			"workshop_reserved_fields": config.WorkshopReservedFields, "all_reserved_fields": all})
	})
	m.HandleFunc("GET /api/config/page_config", s.pageConfig)
	m.HandleFunc("GET /api/config/preferences", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, 200, s.deps.Store.Preferences())
	})
	m.HandleFunc("POST /api/config/preferences", func(w http.ResponseWriter, r *http.Request) {
		entry := config.NewObject()
		if !httpjson.DecodeOrError(w, r, entry, 0) {
			return
		}
		err := s.deps.Store.UpdatePreferences(func(p config.Preferences) (config.Preferences, error) { return p.Upsert(entry) })
		s.reply(w, err, map[string]any{"success": true})
	})
	m.HandleFunc("POST /api/config/preferences/set-preferred", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			ModelPath string `json:"model_path"`
		}
		if !httpjson.DecodeOrError(w, r, &body, 0) {
			return
		}
		if body.ModelPath == "" {
			httpjson.Error(w, 400, "invalid", "model_path is required")
			return
		}
		err := s.deps.Store.UpdatePreferences(func(p config.Preferences) (config.Preferences, error) { return p.SetPreferred(body.ModelPath), nil })
		s.reply(w, err, map[string]any{"success": true})
	})
	m.HandleFunc("GET /api/config/steam_language", func(w http.ResponseWriter, r *http.Request) {
		lang := userLanguage(r)
		httpjson.Write(w, 200, map[string]any{"success": true, "steam_language": nil, "i18n_language": fullLanguage(lang),
			"ip_country": nil, "is_mainland_china": false})
	})
	m.HandleFunc("GET /api/config/user_language", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, 200, map[string]any{"success": true, "language": userLanguage(r)})
	})
	m.HandleFunc("GET /api/config/core_api", func(w http.ResponseWriter, r *http.Request) {
		core := s.deps.Store.Core()
		out := core.Masked()
		out["api_key"] = config.MaskSecret(core.String("coreApiKey"))
		out["success"] = true
		httpjson.Write(w, 200, out)
	})
	m.HandleFunc("POST /api/config/core_api", s.postCoreAPI)
	m.HandleFunc("GET /api/config/api_providers", func(w http.ResponseWriter, r *http.Request) {
		p := s.deps.Store.Providers
		httpjson.Write(w, 200, map[string]any{"success": true, "core_api_providers": p.Core, "assist_api_providers": p.Assist})
	})
	m.HandleFunc("POST /api/config/gptsovits/list_voices", s.gptSovitsVoices)
	m.HandleFunc("POST /api/config/set_proxy_mode", s.setProxyMode)
}

// reply writes ok, or the error as a 400 (validation), 507 (disk full) or
// 500 (other I/O).
func (s *Server) reply(w http.ResponseWriter, err error, ok any) {
	if err != nil {
		status, code := http.StatusBadRequest, "invalid"
		var pe *os.PathError
		switch {
		case atomicfile.IsDiskFull(err):
			status, code = http.StatusInsufficientStorage, "disk_full"
			s.log.Error("config write failed", "err", err)
		case errors.As(err, &pe):
			status, code = http.StatusInternalServerError, "write_failed"
			s.log.Error("config write failed", "err", err)
		}
		httpjson.Error(w, status, code, err.Error())
		return
	}
	httpjson.Write(w, 200, ok)
}

func (s *Server) pageConfig(w http.ResponseWriter, r *http.Request) {
	chars := s.deps.Store.Characters()
	name := r.URL.Query().Get("lanlan_name")
	if name == "" {
		name = chars.Current
	}
	ch, ok := chars.Get(name)
	if !ok {
		httpjson.Error(w, 404, "not_found", fmt.Sprintf("character %q does not exist", name))
		return
	}
	av := ch.Reserved.Avatar
	if av.ModelType == "vrm" {
		httpjson.Write(w, 200, map[string]any{"success": true, "lanlan_name": name, "model_type": "vrm",
			"model_path": s.resolveVRM(av.VRM.ModelPath)})
		return
	}
	httpjson.Write(w, 200, map[string]any{"success": true, "lanlan_name": name, "model_type": "live2d",
		"model_path": s.resolveLive2D(av)})
}

// resolveVRM maps a stored VRM path to a URL: URLs stay, bare file names are
// looked up in the user folder, else the bundled /static/vrm.
func (s *Server) resolveVRM(p string) string {
	if p == "" {
		return "/static/vrm/default.vrm"
	}
	if strings.HasPrefix(p, "/") || strings.Contains(p, "://") {
		return p
	}
	base := p[strings.LastIndexAny(p, `/\`)+1:]
	if _, err := os.Stat(s.deps.Store.Paths.VRM + "/" + base); err == nil {
		return "/user_vrm/" + url.PathEscape(base)
	}
	return "/static/vrm/" + url.PathEscape(base)
}

// resolveLive2D maps a Live2D binding to a URL: workshop items under
// /workshop/<id>/, user models under /user_live2d/, else /static/live2d/.
func (s *Server) resolveLive2D(av config.Avatar) string {
	mp := av.Live2D.ModelPath
	if mp == "" {
		return ""
	}
	if strings.HasPrefix(mp, "/") || strings.Contains(mp, "://") {
		return mp
	}
	if av.AssetSource == "steam_workshop" && av.AssetSourceID != "" {
		return "/workshop/" + av.AssetSourceID + "/" + mp
	}
	if _, err := os.Stat(s.deps.Store.Paths.Live2D + "/" + mp); err == nil {
		return "/user_live2d/" + mp
	}
	return "/static/live2d/" + mp
}

func (s *Server) postCoreAPI(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if !httpjson.DecodeOrError(w, r, &body, 0) {
		return
	}
	// The original's UI posts the key as "coreApiKey" or "api_key".
	if v, ok := body["api_key"]; ok {
		if _, has := body["coreApiKey"]; !has {
			body["coreApiKey"] = v
		}
		delete(body, "api_key")
	}
	delete(body, "success")
	next := s.deps.Store.Core()
	merged, err := next.Merge(body)
	if err != nil {
		httpjson.Error(w, 400, "invalid", err.Error())
		return
	}
	custom := merged.Bool("enableCustomApi", false)
	if !custom && merged.String("coreApi") != "free" && merged.String("coreApiKey") == "" {
		httpjson.Error(w, 400, "API_KEY_REQUIRED", "coreApiKey is required unless enableCustomApi is on or the free tier is chosen")
		return
	}
	if _, err := s.deps.Store.UpdateCore(body); err != nil {
		s.reply(w, err, nil)
		return
	}
	// Running sessions use the old keys: ask pages to reload and end them.
	s.deps.Sessions.Send("", map[string]any{"type": "reload_page", "message": "API settings changed; reloading"})
	ended := 0
	for _, n := range s.deps.Store.Characters().Names() {
		if s.deps.Sessions.Active(n) {
			ended++
		}
	}
	s.deps.Sessions.End("", true)
	httpjson.Write(w, 200, map[string]any{"success": true, "message": "saved", "sessions_ended": ended})
}

// gptSovitsVoices proxies GET {api_url}/api/v3/voices; only loopback URLs
// are allowed (SSRF guard).
func (s *Server) gptSovitsVoices(w http.ResponseWriter, r *http.Request) {
	var body struct {
		APIURL string `json:"api_url"`
	}
	if !httpjson.DecodeOrError(w, r, &body, 0) {
		return
	}
	if body.APIURL == "" {
		httpjson.Error(w, 400, "TTS_GPT_SOVITS_URL_REQUIRED", "api_url is required")
		return
	}
	u, err := url.Parse(body.APIURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		httpjson.Error(w, 400, "TTS_GPT_SOVITS_URL_INVALID", "api_url must be an http(s) URL")
		return
	}
	if !isLoopbackHost(u.Hostname()) {
		httpjson.Error(w, 400, "TTS_CUSTOM_URL_LOCALHOST_ONLY", "only a GPT-SoVITS server on this computer (127.0.0.1/localhost) is allowed")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(u.String(), "/")+"/api/v3/voices", nil)
	resp, err := localClient.Do(req)
	if err != nil {
		httpjson.Error(w, 502, "TTS_CONNECTION_FAILED", "cannot reach the GPT-SoVITS server: "+err.Error())
		return
	}
	defer resp.Body.Close()
	var voices any
	if resp.StatusCode != 200 || json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 4<<20)).Decode(&voices) != nil {
		httpjson.Error(w, 502, "TTS_CONNECTION_FAILED", fmt.Sprintf("GPT-SoVITS answered %s", resp.Status))
		return
	}
	httpjson.Write(w, 200, map[string]any{"success": true, "voices": voices})
}

// localClient talks to loopback services only; it ignores proxy settings so
// a system proxy never intercepts local traffic.
var localClient = &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second}

func isLoopbackHost(h string) bool {
	return h == "localhost" || h == "127.0.0.1" || h == "::1" || strings.HasPrefix(h, "127.")
}

var proxyVars = []string{"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy", "NO_PROXY", "no_proxy"}

func (s *Server) setProxyMode(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Direct *bool `json:"direct"`
	}
	if !httpjson.DecodeOrError(w, r, &body, 0) {
		return
	}
	if body.Direct == nil {
		httpjson.Error(w, 400, "invalid", "direct (true or false) is required")
		return
	}
	s.proxyMu.Lock()
	defer s.proxyMu.Unlock()
	if *body.Direct {
		if s.proxySnapshot == nil {
			s.proxySnapshot = map[string]string{}
			for _, k := range proxyVars {
				if v, ok := os.LookupEnv(k); ok {
					s.proxySnapshot[k] = v
				}
			}
		}
		for _, k := range proxyVars {
			os.Unsetenv(k)
		}
		os.Setenv("NO_PROXY", "*")
	} else if s.proxySnapshot != nil {
		for _, k := range proxyVars {
			os.Unsetenv(k)
		}
		for k, v := range s.proxySnapshot {
			os.Setenv(k, v)
		}
		s.proxySnapshot = nil
	}
	after := map[string]string{}
	for _, k := range proxyVars {
		if v, ok := os.LookupEnv(k); ok {
			after[k] = stripCredentials(v)
		}
	}
	httpjson.Write(w, 200, map[string]any{"success": true, "direct": *body.Direct, "proxies_after": after})
}

func stripCredentials(v string) string {
	u, err := url.Parse(v)
	if err != nil || u.User == nil {
		return v
	}
	u.User = nil
	return u.String()
}
