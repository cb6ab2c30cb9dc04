package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// route is one "METHOD /path" entry; {param} segments are filled with a
// harmless name that no user data uses.
type route struct {
	Method, Path string
}

func (r route) String() string { return r.Method + " " + r.Path }

// probeName fills path parameters, so a request that gets through by
// mistake touches nothing that exists.
const probeName = "nekoprobe-nonexistent"

func (r route) url() string {
	var b strings.Builder
	for p := r.Path; p != ""; {
		i := strings.IndexByte(p, '{')
		if i < 0 {
			b.WriteString(p)
			break
		}
		j := strings.IndexByte(p[i:], '}')
		if j < 0 {
			b.WriteString(p)
			break
		}
		b.WriteString(p[:i])
		b.WriteString(probeName)
		p = p[i+j+1:]
	}
	return b.String()
}

func parseRoute(line string) (route, error) {
	method, path, ok := strings.Cut(strings.TrimSpace(line), " ")
	path = strings.TrimSpace(path)
	if !ok || method == "" || !strings.HasPrefix(path, "/") {
		return route{}, fmt.Errorf("route %q: want \"METHOD /path\"", line)
	}
	return route{Method: strings.ToUpper(method), Path: path}, nil
}

// readRoutes reads one route per line; blank lines and # comments are
// skipped.
func readRoutes(r io.Reader) ([]route, error) {
	var out []route
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rt, err := parseRoute(line)
		if err != nil {
			return nil, err
		}
		out = append(out, rt)
	}
	return out, sc.Err()
}

func readRoutesFile(path string) ([]route, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("routes file: %w", err)
	}
	defer f.Close()
	return readRoutes(f)
}

func mustRoutes(s string) []route {
	rs, err := readRoutes(strings.NewReader(s))
	if err != nil {
		panic(err)
	}
	return rs
}

// defaultMainRoutes are the main server's routes from the N.E.K.O. API
// (reference §4). Routes that end the session or the process come last.
var defaultMainRoutes = mustRoutes(`
GET /api/config/character_reserved_fields
GET /api/config/page_config
GET /api/config/preferences
GET /api/config/steam_language
GET /api/config/user_language
GET /api/config/core_api
GET /api/config/api_providers
GET /api/characters/
GET /api/characters/current_live2d_model
GET /api/characters/current_catgirl
GET /api/characters/get_microphone
GET /api/characters/custom_tts_voices
GET /api/characters/voices
GET /api/characters/character-card/list
GET /api/characters/catgirl/{name}/voice_mode_status
GET /api/live2d/models
GET /api/live2d/user_models
GET /api/live2d/emotion_mapping/{name}
GET /api/model/vrm/models
GET /api/model/vrm/animations
GET /api/model/vrm/config
GET /api/memory/recent_files
GET /api/memory/review_config
GET /api/agent/flags
GET /api/agent/state
GET /api/agent/health
GET /api/agent/tasks
GET /api/pending-notices
GET /api/steam/workshop/subscribed-items
GET /api/steam/workshop/config
GET /api/music/search
GET /api/auth/platforms
GET /api/auth/cookies/status
POST /api/config/preferences
POST /api/config/preferences/set-preferred
POST /api/config/core_api
POST /api/config/gptsovits/list_voices
POST /api/config/set_proxy_mode
PUT /api/characters/catgirl/l2d/{name}
PUT /api/characters/catgirl/{name}/lighting
PUT /api/characters/catgirl/voice_id/{name}
POST /api/characters/catgirl/{name}/rename
POST /api/characters/catgirl/{name}/unregister_voice
POST /api/characters/current_catgirl
POST /api/characters/reload
POST /api/characters/master
POST /api/characters/catgirl
PUT /api/characters/catgirl/{name}
DELETE /api/characters/catgirl/{name}
POST /api/characters/clear_voice_ids
POST /api/characters/set_microphone
POST /api/characters/voices
DELETE /api/characters/voices/{id}
POST /api/characters/voice_clone
POST /api/characters/character-card/save
POST /api/characters/catgirl/save-to-model-folder
POST /api/live2d/model_config/{name}
POST /api/live2d/emotion_mapping/{name}
POST /api/live2d/save_model_parameters/{name}
POST /api/live2d/upload_model
POST /api/live2d/upload_file/{name}
DELETE /api/live2d/model/{name}
POST /api/model/vrm/upload
POST /api/model/vrm/upload_animation
POST /api/model/vrm/emotion_mapping/{name}
POST /api/memory/recent_file/save
POST /api/memory/update_catgirl_name
POST /api/memory/review_config
POST /api/agent/flags
POST /api/agent/command
POST /api/agent/internal/analyze_request
POST /api/agent/tasks/{id}/cancel
POST /api/agent/admin/control
POST /api/pending-notices/ack
POST /api/emotion/analysis
POST /api/proactive_chat
POST /api/translate
POST /api/steam/workshop/unsubscribe
POST /api/steam/workshop/config
POST /api/steam/workshop/publish
POST /api/steam/workshop/sync-characters
POST /api/auth/cookies/save
DELETE /api/auth/cookies/{platform}
POST /api/beacon/shutdown
`)

// defaultUploadRoutes take multipart bodies far larger than the JSON limit.
var defaultUploadRoutes = mustRoutes(`
POST /api/model/vrm/upload
POST /api/model/vrm/upload_animation
POST /api/live2d/upload_model
POST /api/live2d/upload_file/{name}
POST /api/characters/voice_clone
`)

// defaultMounts are the static folders the main server serves.
var defaultMounts = []string{"/static", "/user_live2d", "/user_vrm", "/workshop"}

// fileEndpoint takes a path or name in a query parameter or path segment.
type fileEndpoint struct {
	Path  string // with {name} for a path-segment parameter
	Param string // query parameter, "" for a path segment
}

var defaultFileEndpoints = []fileEndpoint{
	{"/api/file-exists", "path"},
	{"/api/find-first-image", "folder"},
	{"/api/steam/proxy-image", "image_path"},
	{"/api/memory/recent_file", "filename"},
	{"/api/steam/workshop/read-file", "path"},
	{"/api/steam/workshop/list-chara-files", "directory"},
	{"/api/steam/workshop/list-audio-files", "directory"},
	{"/api/steam/workshop/check-upload-status", "item_path"},
	{"/api/live2d/model_config/{name}", ""},
	{"/api/live2d/model_files/{name}", ""},
	{"/api/live2d/load_model_parameters/{name}", ""},
	{"/api/model/vrm/emotion_mapping/{name}", ""},
}

// defaultMemoryRoutes and defaultAgentRoutes must refuse callers without
// the instance token.
var defaultMemoryRoutes = mustRoutes(`
GET /new_dialog/{name}
GET /get_recent_history/{name}
GET /get_settings/{name}
GET /search_for_memory/{name}/{name}
POST /cache/{name}
POST /process/{name}
POST /renew/{name}
POST /cancel_correction/{name}
POST /reload
`)

var defaultAgentRoutes = mustRoutes(`
GET /agent/flags
GET /agent/state
GET /tasks
GET /capabilities
POST /agent/flags
POST /agent/command
POST /computer_use/run
POST /browser_use/run
POST /plugin/execute
POST /admin/control
`)
