package workshop

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"neko/backend/httpjson"
)

// Prefix is where Handler's routes live.
const Prefix = "/api/steam/workshop"

// Handler serves the Steam-less /api/steam/workshop/* routes. Mount it with
// mux.Handle(workshop.Prefix+"/", svc.Handler()). Routes that need the Steam
// client (publish, unsubscribe, upload preparation) answer 503 like the
// original does without Steamworks.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Prefix+"/config", s.handleGetConfig)
	mux.HandleFunc("POST "+Prefix+"/config", s.handlePostConfig)
	mux.HandleFunc("POST "+Prefix+"/local-items/scan", s.handleLocalScan)
	mux.HandleFunc("GET "+Prefix+"/local-items/{id}", s.handleLocalItem)
	mux.HandleFunc("POST "+Prefix+"/sync-characters", s.handleSync)
	mux.HandleFunc("GET "+Prefix+"/subscribed-items", s.handleSubscribed)
	mux.HandleFunc("GET "+Prefix+"/item/{id}", s.handleItem)
	mux.HandleFunc("GET "+Prefix+"/item/{id}/path", s.handleItemPath)
	mux.HandleFunc("GET "+Prefix+"/items", s.handleItems)
	mux.HandleFunc("GET "+Prefix+"/read-file", s.handleReadFile)
	mux.HandleFunc("GET "+Prefix+"/list-chara-files", s.handleListChara)
	mux.HandleFunc("GET "+Prefix+"/list-audio-files", s.handleListAudio)
	for _, p := range []string{"POST /unsubscribe", "POST /publish", "POST /prepare-upload",
		"POST /upload-preview-image", "POST /cleanup-temp-folder"} {
		m, route, _ := strings.Cut(p, " ")
		mux.HandleFunc(m+" "+Prefix+route, steamOnly)
	}
	return mux
}

func steamOnly(w http.ResponseWriter, _ *http.Request) {
	httpjson.Write(w, http.StatusServiceUnavailable, map[string]any{
		"success": false, "code": "steam_unavailable",
		"error":   "Steamworks未初始化",
		"message": "This needs the Steam client; neko reads workshop content without it.",
	})
}

// fail maps an error to a status and a stable code; unexpected errors are
// logged and shown as "internal error".
func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrOutside), errors.Is(err, ErrSymlinkOut):
		httpjson.Error(w, http.StatusForbidden, "forbidden", "path is outside the workshop folders")
	case errors.Is(err, ErrBadPath), errors.Is(err, ErrNotRegular):
		httpjson.Error(w, http.StatusBadRequest, "invalid_path", err.Error())
	case errors.Is(err, ErrNotFound), errors.Is(err, fs.ErrNotExist):
		httpjson.Error(w, http.StatusNotFound, "not_found", "not found")
	case errors.Is(err, ErrTooLarge):
		httpjson.Error(w, http.StatusRequestEntityTooLarge, "too_large", err.Error())
	case errors.Is(err, ErrNoCharacters):
		httpjson.Error(w, http.StatusServiceUnavailable, "unavailable", err.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		httpjson.Error(w, http.StatusServiceUnavailable, "cancelled", "request cancelled")
	default:
		s.log.Error("workshop request failed", "route", r.URL.Path, "err", err)
		httpjson.Error(w, http.StatusInternalServerError, "internal", "internal error")
	}
}

func (s *Service) handleGetConfig(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	c, _, err := loadFolderConfig(s.configPath())
	s.mu.Unlock()
	out := map[string]any{"success": true, "config": c}
	if err != nil {
		out["warning"] = err.Error()
	}
	if root, src, err := s.Root(); err == nil {
		out["workshop_path"] = root
		out["workshop_path_source"] = src
	}
	out["steam_content_folders"] = nonNil(s.SteamContentDirs())
	httpjson.Write(w, http.StatusOK, out)
}

func (s *Service) handlePostConfig(w http.ResponseWriter, r *http.Request) {
	var body map[string]json.RawMessage
	if !httpjson.DecodeOrError(w, r, &body, 64<<10) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, parsed, loadErr := loadFolderConfig(s.configPath())
	if loadErr != nil && parsed {
		s.fail(w, r, loadErr)
		return
	}
	for _, key := range []string{"default_workshop_folder", "user_mod_folder"} {
		raw, ok := body[key]
		if !ok {
			continue
		}
		var v string
		if string(raw) != "null" {
			if err := json.Unmarshal(raw, &v); err != nil {
				httpjson.Error(w, http.StatusBadRequest, "invalid_field", key+" must be a string")
				return
			}
		}
		p, err := checkFolderSetting(key, v)
		if err != nil {
			httpjson.Error(w, http.StatusBadRequest, "invalid_path", err.Error())
			return
		}
		if key == "user_mod_folder" {
			c.UserModFolder = p
		} else {
			c.DefaultWorkshopFolder = p
		}
	}
	if raw, ok := body["auto_create_folder"]; ok {
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			httpjson.Error(w, http.StatusBadRequest, "invalid_field", "auto_create_folder must be true or false")
			return
		}
		c.AutoCreateFolder = &b
	}
	if err := saveFolderConfig(s.configPath(), c, loadErr != nil); err != nil {
		s.fail(w, r, err)
		return
	}
	s.rootGen.Add(1)
	if c.AutoCreate() {
		folder := c.UserModFolder
		if folder == "" {
			folder = c.DefaultWorkshopFolder
		}
		if folder != "" {
			if err := os.MkdirAll(folder, 0o755); err != nil {
				s.log.Warn("create workshop folder", "path", folder, "err", err)
			}
		}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true, "config": c})
}

// localItem is the original's local item shape.
type localItem struct {
	ID           string   `json:"id"`
	Source       string   `json:"source,omitempty"`
	Name         string   `json:"name"`
	Path         string   `json:"path"`
	LastModified float64  `json:"lastModified"`
	Size         int64    `json:"size"`
	Tags         []string `json:"tags"`
	PreviewImage *string  `json:"previewImage"`
}

func (s *Service) localItemAt(id, dir string, tags []string) localItem {
	it := localItem{ID: id, Name: filepath.Base(dir), Path: dir, Tags: tags}
	if fi, err := os.Stat(dir); err == nil {
		it.LastModified = float64(fi.ModTime().UnixNano()) / 1e9
	}
	it.Size = s.dirSize(dir)
	for _, n := range previewNames {
		if real, _, err := confinedFile(dir, n); err == nil {
			it.PreviewImage = &real
			break
		}
	}
	return it
}

// dirSize adds up regular file sizes without following symlinks, bounded by
// MaxEntries.
func (s *Service) dirSize(dir string) int64 {
	var total int64
	n := 0
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if n++; n > s.lim.MaxEntries {
			return fs.SkipAll
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				total += fi.Size()
			}
		}
		return nil
	})
	return total
}

func (s *Service) handleLocalScan(w http.ResponseWriter, r *http.Request) {
	var body struct {
		FolderPath string `json:"folder_path"`
	}
	if r.ContentLength != 0 {
		if !httpjson.DecodeOrError(w, r, &body, 64<<10) {
			return
		}
	}
	root, _, err := s.Root()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	folder, defaultUsed := root, body.FolderPath == ""
	if !defaultUsed {
		if folder, err = resolveUnder(body.FolderPath, []string{root}); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if folder, err = filepath.EvalSymlinks(folder); err != nil {
		s.fail(w, r, err)
		return
	}
	entries, err := os.ReadDir(folder)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := []localItem{}
	for _, e := range entries {
		if !e.IsDir() || e.Type()&fs.ModeSymlink != 0 || !safeItemName(e.Name()) || len(items) >= s.lim.MaxItems {
			continue
		}
		it := s.localItemAt("local_"+itoa(len(items)+1), filepath.Join(folder, e.Name()), []string{"本地文件"})
		it.Source = "N.E.K.O./workshop"
		items = append(items, it)
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true, "local_items": items,
		"published_items": []any{}, "folder_path": folder, "default_path_used": defaultUsed})
}

func (s *Service) handleLocalItem(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !strings.HasPrefix(id, "local_") || !isDigits(strings.TrimPrefix(id, "local_")) {
		httpjson.Error(w, http.StatusBadRequest, "invalid_id", "item id must look like local_<n>")
		return
	}
	fp := r.URL.Query().Get("folder_path")
	if fp == "" {
		httpjson.Error(w, http.StatusBadRequest, "missing_folder_path", "folder_path is required")
		return
	}
	root, _, err := s.Root()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	dir, err := resolveUnder(fp, []string{root})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !isDir(dir) {
		s.fail(w, r, ErrNotFound)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true, "item": s.localItemAt(id, dir, []string{"模组"})})
}

func (s *Service) handleSync(w http.ResponseWriter, r *http.Request) {
	res, err := s.SyncCharacters(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true, "added": res.Added, "skipped": res.Skipped,
		"errors": res.Errors, "added_names": res.AddedNames, "skipped_names": res.SkippedNames, "error_details": nonNil(res.ErrorDetails)})
}

var binaryExts = map[string]bool{".mp3": true, ".wav": true, ".ogg": true, ".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".webp": true}

func (s *Service) handleReadFile(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Query().Get("path")
	if p == "" {
		httpjson.Error(w, http.StatusBadRequest, "missing_path", "path is required")
		return
	}
	real, err := resolveUnder(p, s.bases())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data, err := readLimited(real, s.lim.MaxReadBytes)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	binary := binaryExts[strings.ToLower(filepath.Ext(real))] || !utf8.Valid(data)
	content := string(data)
	if binary {
		content = base64.StdEncoding.EncodeToString(data)
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true, "content": content, "is_binary": binary})
}

func (s *Service) listFiles(w http.ResponseWriter, r *http.Request, match func(name string) bool, extra func(name string) map[string]any) {
	d := r.URL.Query().Get("directory")
	if d == "" {
		httpjson.Error(w, http.StatusBadRequest, "missing_directory", "directory is required")
		return
	}
	dir, err := resolveUnder(d, s.bases())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	files := []map[string]any{}
	for _, e := range entries {
		if !match(e.Name()) || len(files) >= s.lim.MaxEntries {
			continue
		}
		real, _, err := confinedFile(dir, e.Name())
		if err != nil {
			continue
		}
		f := map[string]any{"name": e.Name(), "path": real}
		for k, v := range extra(e.Name()) {
			f[k] = v
		}
		files = append(files, f)
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true, "files": files})
}

func (s *Service) handleListChara(w http.ResponseWriter, r *http.Request) {
	s.listFiles(w, r, func(n string) bool { return strings.HasSuffix(n, ".chara.json") },
		func(string) map[string]any { return nil })
}

func (s *Service) handleListAudio(w http.ResponseWriter, r *http.Request) {
	s.listFiles(w, r, func(n string) bool {
		l := strings.ToLower(n)
		return strings.HasSuffix(l, ".mp3") || strings.HasSuffix(l, ".wav")
	}, func(n string) map[string]any {
		return map[string]any{"prefix": strings.TrimSuffix(n, filepath.Ext(n))}
	})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
