// Package models serves the Live2D (/api/live2d) and VRM (/api/model/vrm)
// routers of the main server: listing the bundled, user and workshop
// models, uploads (confined, size-capped, all-or-nothing), deletion, model
// configuration and emotion mappings (reference §4.4, §4.5).
package models

import (
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"neko/backend/httpjson"
)

// Config locates the model folders.
type Config struct {
	Assets       fs.FS  // the built frontend; bundled models under static/live2d and static/vrm
	Live2DDir    string // <data>/live2d, served at /user_live2d
	VRMDir       string // <data>/vrm, served at /user_vrm
	VRMAnimDir   string // <data>/vrm/animation
	ConfigDir    string // <data>/config (vrm_emotion_mapping.json)
	WorkshopRoot func() string
	MaxUpload    int64 // per request; default 200 MiB
	Logger       *slog.Logger
}

// Handler serves both routers on their full paths.
type Handler struct {
	mappingMu sync.Mutex // vrm_emotion_mapping.json
	cfg       Config
	log       *slog.Logger
	mux       *http.ServeMux
}

// New builds the handler.
func New(cfg Config) *Handler {
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = 200 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	h := &Handler{cfg: cfg, log: cfg.Logger.With("component", "models"), mux: http.NewServeMux()}
	h.live2dRoutes()
	h.vrmRoutes()
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Live2DModel is one entry of GET /api/live2d/models.
type Live2DModel struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Path        string `json:"path"`
	Source      string `json:"source"`
	ItemID      string `json:"item_id,omitempty"`
}

func isModelFile(name string) bool {
	return strings.HasSuffix(name, ".model3.json") || strings.HasSuffix(name, ".model.json")
}

// live2DModels finds one model per folder in the bundled, user and workshop
// locations, in that order; a name seen first wins.
func (h *Handler) live2DModels() []Live2DModel {
	var out []Live2DModel
	seen := map[string]bool{}
	add := func(m Live2DModel) {
		if !seen[m.Name] {
			seen[m.Name] = true
			out = append(out, m)
		}
	}
	if h.cfg.Assets != nil {
		dirs, _ := fs.ReadDir(h.cfg.Assets, "static/live2d")
		for _, d := range dirs {
			if !d.IsDir() {
				continue
			}
			if f := findModelFS(h.cfg.Assets, "static/live2d/"+d.Name()); f != "" {
				add(Live2DModel{Name: d.Name(), DisplayName: d.Name(), Path: "/" + f, Source: "static"})
			}
		}
	}
	for _, m := range scanDir(h.cfg.Live2DDir, "/user_live2d", 1) {
		m.Source = "documents"
		add(m)
	}
	if h.cfg.WorkshopRoot != nil {
		if root := h.cfg.WorkshopRoot(); root != "" {
			for _, m := range scanDir(root, "/workshop", 2) {
				m.Source = "workshop"
				m.ItemID = strings.SplitN(strings.TrimPrefix(m.Path, "/workshop/"), "/", 2)[0]
				add(m)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Source == "static" && out[j].Source != "static" })
	return out
}

func findModelFS(fsys fs.FS, dir string) string {
	entries, _ := fs.ReadDir(fsys, dir)
	for _, e := range entries {
		if !e.IsDir() && isModelFile(e.Name()) {
			return dir + "/" + e.Name()
		}
	}
	return ""
}

// scanDir finds model files up to depth folders below root (no symlinks
// followed), returning URLs under prefix.
func scanDir(root, prefix string, depth int) []Live2DModel {
	var out []Live2DModel
	var walk func(dir, rel string, left int)
	walk = func(dir, rel string, left int) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		for _, e := range entries {
			if e.Type()&os.ModeSymlink != 0 || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			if e.IsDir() && left > 0 {
				walk(filepath.Join(dir, e.Name()), path.Join(rel, e.Name()), left-1)
				continue
			}
			if !e.IsDir() && isModelFile(e.Name()) && rel != "" {
				name := path.Base(rel)
				out = append(out, Live2DModel{Name: name, DisplayName: name, Path: prefix + "/" + path.Join(rel, e.Name())})
				return // one model per folder
			}
		}
	}
	walk(root, "", depth)
	return out
}

// resolveLive2D finds a model's folder on disk (user or workshop) or in
// the bundle; writable reports whether it may be changed.
func (h *Handler) resolveLive2D(name string) (m Live2DModel, dir string, ok bool) {
	for _, mm := range h.live2DModels() {
		if mm.Name != name {
			continue
		}
		switch mm.Source {
		case "documents":
			return mm, filepath.Join(h.cfg.Live2DDir, name), true
		case "workshop":
			rel := strings.TrimPrefix(path.Dir(mm.Path), "/workshop/")
			return mm, filepath.Join(h.cfg.WorkshopRoot(), filepath.FromSlash(rel)), true
		default:
			return mm, "", true
		}
	}
	return Live2DModel{}, "", false
}

func notFound(w http.ResponseWriter, what string) {
	httpjson.Error(w, http.StatusNotFound, "not_found", what+" does not exist")
}
