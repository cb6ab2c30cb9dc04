package models

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"neko/backend/atomicfile"
	"neko/backend/guard"
	"neko/backend/httpjson"
)

// defaultMoods maps emotions to candidate VRM expression names (reference §4.5).
var defaultMoods = map[string][]string{
	"neutral": {"neutral"}, "happy": {"happy", "joy", "fun", "smile", "joy_01"},
	"relaxed": {"relaxed", "joy", "fun", "content"}, "sad": {"sad", "sorrow", "grief"},
	"angry": {"angry", "anger"}, "surprised": {"surprised", "surprise", "shock", "e", "o"},
}

func (h *Handler) vrmRoutes() {
	m := h.mux
	const p = "/api/model/vrm"
	m.HandleFunc("GET "+p+"/models", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, 200, map[string]any{"success": true, "models": h.vrmFiles(".vrm", "static/vrm", h.cfg.VRMDir, "/user_vrm")})
	})
	m.HandleFunc("GET "+p+"/animations", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, 200, map[string]any{"success": true, "animations": h.vrmFiles(".vrma", "static/vrm/animation", h.cfg.VRMAnimDir, "/user_vrm/animation")})
	})
	m.HandleFunc("GET "+p+"/config", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, 200, map[string]any{"success": true, "paths": map[string]string{"user_vrm": "/user_vrm",
			"static_vrm": "/static/vrm", "static_animation": "/static/vrm/animation", "user_animation": "/user_vrm/animation"}})
	})
	m.HandleFunc("POST "+p+"/upload", func(w http.ResponseWriter, r *http.Request) { h.uploadVRM(w, r, ".vrm", h.cfg.VRMDir, "/user_vrm/") })
	m.HandleFunc("POST "+p+"/upload_animation", func(w http.ResponseWriter, r *http.Request) {
		h.uploadVRM(w, r, ".vrma", h.cfg.VRMAnimDir, "/user_vrm/animation/")
	})
	m.HandleFunc("DELETE "+p+"/model/{name}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if !strings.HasSuffix(name, ".vrm") {
			name += ".vrm"
		}
		if err := guard.SafeName(name); err != nil {
			httpjson.Error(w, 400, "invalid_path", err.Error())
			return
		}
		if err := os.Remove(filepath.Join(h.cfg.VRMDir, name)); err != nil {
			notFound(w, "a user VRM named "+name)
			return
		}
		httpjson.Write(w, 200, map[string]any{"success": true})
	})
	m.HandleFunc("GET "+p+"/emotion_mapping/{name}", func(w http.ResponseWriter, r *http.Request) {
		all := h.readVRMMappings()
		if cfg, ok := all[r.PathValue("name")]; ok {
			httpjson.Write(w, 200, map[string]any{"success": true, "config": cfg})
			return
		}
		httpjson.Write(w, 200, map[string]any{"success": true, "config": defaultMoods})
	})
	m.HandleFunc("POST "+p+"/emotion_mapping/{name}", h.postVRMEmotions)
	m.HandleFunc("GET "+p+"/expressions/{name}", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, 200, map[string]any{"success": true, "expressions": []string{"happy", "angry", "sad", "relaxed",
			"surprised", "neutral", "aa", "ih", "ou", "ee", "oh", "blink", "blinkLeft", "blinkRight"}})
	})
}

// VRMFile is one model or animation.
type VRMFile struct {
	Name     string `json:"name"`
	Filename string `json:"filename"`
	URL      string `json:"url"`
	Type     string `json:"type"`
	Size     int64  `json:"size"`
	Location string `json:"location"`
}

func (h *Handler) vrmFiles(ext, staticDir, userDir, userURL string) []VRMFile {
	out := []VRMFile{}
	if h.cfg.Assets != nil {
		entries, _ := fs.ReadDir(h.cfg.Assets, staticDir)
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ext) {
				continue
			}
			info, _ := e.Info()
			out = append(out, VRMFile{Name: strings.TrimSuffix(e.Name(), ext), Filename: e.Name(),
				URL: "/" + staticDir + "/" + url.PathEscape(e.Name()), Type: strings.TrimPrefix(ext, "."), Size: info.Size(), Location: "project"})
		}
	}
	entries, _ := os.ReadDir(userDir)
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ext) {
			continue
		}
		info, _ := e.Info()
		out = append(out, VRMFile{Name: strings.TrimSuffix(e.Name(), ext), Filename: e.Name(),
			URL: userURL + "/" + url.PathEscape(e.Name()), Type: strings.TrimPrefix(ext, "."), Size: info.Size(), Location: "user"})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Location == "project" && out[j].Location != "project" })
	return out
}

// uploadVRM streams one .vrm/.vrma (multipart "file", ≤ MaxUpload) into
// dir; the file must be a well-formed binary glTF 2 using the VRM (or VRMA)
// extension (header, JSON chunk and length are checked as it streams) and
// appears only when complete.
func (h *Handler) uploadVRM(w http.ResponseWriter, r *http.Request, ext, dir, urlPrefix string) {
	mr, err := r.MultipartReader()
	if err != nil {
		httpjson.Error(w, 400, "invalid_upload", "expected a multipart upload with a file field")
		return
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			httpjson.Error(w, 400, "invalid_upload", "no file in the upload")
			return
		}
		if err != nil {
			httpjson.Error(w, guard.BodyErrorStatus(err), "invalid_upload", "upload interrupted: "+err.Error())
			return
		}
		if part.FormName() != "file" {
			part.Close()
			continue
		}
		name := filepath.Base(strings.ReplaceAll(part.FileName(), "\\", "/"))
		if !strings.EqualFold(filepath.Ext(name), ext) {
			httpjson.Error(w, 400, "invalid_type", "only "+ext+" files are accepted")
			return
		}
		if err := guard.SafeName(name); err != nil {
			httpjson.Error(w, 400, "invalid_path", err.Error())
			return
		}
		head := make([]byte, 12)
		n, _ := io.ReadFull(part, head)
		if n < 12 || string(head[:4]) != "glTF" || head[4] != 2 {
			httpjson.Error(w, 400, "invalid_model", name+" is not a binary glTF 2 (VRM) file")
			return
		}
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			httpjson.Error(w, 409, "exists", "a file named "+name+" already exists; delete it first")
			return
		}
		want := []string{"VRM", "VRMC_vrm"}
		if ext == ".vrma" {
			want = []string{"VRMC_vrm_animation"}
		}
		size, err := guard.SaveStream(dir, name, newGLBCheck(io.MultiReader(strings.NewReader(string(head)), part), want...), h.cfg.MaxUpload)
		if errors.Is(err, errBrokenGLB) {
			httpjson.Error(w, 400, "invalid_model", name+": "+strings.TrimPrefix(err.Error(), "write upload: "))
			return
		}
		if err != nil {
			status := guard.BodyErrorStatus(err)
			if errors.Is(err, guard.ErrTooLarge) {
				status = http.StatusRequestEntityTooLarge
			}
			httpjson.Error(w, status, "invalid_upload", err.Error())
			return
		}
		httpjson.Write(w, 200, map[string]any{"success": true, "filename": name, "url": urlPrefix + url.PathEscape(name), "size": size})
		return
	}
}

func (h *Handler) mappingFile() string {
	return filepath.Join(h.cfg.ConfigDir, "vrm_emotion_mapping.json")
}

func (h *Handler) readVRMMappings() map[string]map[string][]string {
	all := map[string]map[string][]string{}
	b, err := os.ReadFile(h.mappingFile())
	if err == nil {
		_ = json.Unmarshal(b, &all)
	}
	return all
}

// postVRMEmotions saves {emotion: name | [names]} normalised to arrays.
func (h *Handler) postVRMEmotions(w http.ResponseWriter, r *http.Request) {
	var body map[string]json.RawMessage
	if !httpjson.DecodeOrError(w, r, &body, 256<<10) {
		return
	}
	cfg := map[string][]string{}
	for emo, raw := range body {
		var one string
		var many []string
		switch {
		case json.Unmarshal(raw, &one) == nil:
			cfg[emo] = []string{one}
		case json.Unmarshal(raw, &many) == nil:
			cfg[emo] = many
		default:
			httpjson.Error(w, 400, "invalid", "each emotion maps to an expression name or a list of names: "+emo)
			return
		}
	}
	h.mappingMu.Lock()
	defer h.mappingMu.Unlock()
	all := h.readVRMMappings()
	all[r.PathValue("name")] = cfg
	b, _ := json.MarshalIndent(all, "", "  ")
	if err := atomicfile.Write(h.mappingFile(), b, 0o644); err != nil {
		httpjson.Error(w, 500, "write_failed", err.Error())
		return
	}
	httpjson.Write(w, 200, map[string]any{"success": true, "config": cfg})
}
