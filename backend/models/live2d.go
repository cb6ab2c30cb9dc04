package models

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"

	"neko/backend/atomicfile"
	"neko/backend/config"
	"neko/backend/guard"
	"neko/backend/httpjson"
)

func (h *Handler) live2dRoutes() {
	m := h.mux
	const p = "/api/live2d"
	m.HandleFunc("GET "+p+"/models", func(w http.ResponseWriter, r *http.Request) {
		models := h.live2DModels()
		if r.URL.Query().Get("simple") == "true" {
			names := make([]string, len(models))
			for i, mm := range models {
				names[i] = mm.Name
			}
			httpjson.Write(w, 200, map[string]any{"success": true, "models": names})
			return
		}
		httpjson.Write(w, 200, models)
	})
	m.HandleFunc("GET "+p+"/user_models", func(w http.ResponseWriter, r *http.Request) {
		var out []Live2DModel
		for _, mm := range h.live2DModels() {
			if mm.Source == "documents" {
				out = append(out, mm)
			}
		}
		httpjson.Write(w, 200, map[string]any{"success": true, "models": out})
	})
	m.HandleFunc("GET "+p+"/model_config/{name}", h.getModelConfig)
	m.HandleFunc("POST "+p+"/model_config/{name}", h.postModelConfig)
	m.HandleFunc("GET "+p+"/emotion_mapping/{name}", h.getLive2DEmotions)
	m.HandleFunc("POST "+p+"/emotion_mapping/{name}", h.postLive2DEmotions)
	m.HandleFunc("GET "+p+"/model_files/{name}", h.modelFiles)
	m.HandleFunc("POST "+p+"/upload_model", h.uploadLive2D)
	m.HandleFunc("DELETE "+p+"/model/{name}", h.deleteLive2D)
}

// readModelJSON reads a model's model3.json as an ordered object.
func (h *Handler) readModelJSON(mm Live2DModel, dir string) (*config.Object, string, error) {
	var data []byte
	var err error
	file := ""
	if dir == "" {
		file = strings.TrimPrefix(mm.Path, "/")
		data, err = fs.ReadFile(h.cfg.Assets, file)
	} else {
		file = filepath.Join(dir, path.Base(mm.Path))
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, "", err
	}
	o := config.NewObject()
	if err := json.Unmarshal(data, o); err != nil {
		return nil, "", fmt.Errorf("%s is not valid JSON: %w", path.Base(mm.Path), err)
	}
	return o, file, nil
}

// modelJSON reads the model3.json of the model the request names, answering
// the error itself when there is none or it is broken.
func (h *Handler) modelJSON(w http.ResponseWriter, r *http.Request) (*config.Object, bool) {
	mm, dir, ok := h.resolveLive2D(r.PathValue("name"))
	if !ok {
		notFound(w, "the model")
		return nil, false
	}
	o, _, err := h.readModelJSON(mm, dir)
	if err != nil {
		httpjson.Error(w, 500, "invalid_model", err.Error())
		return nil, false
	}
	return o, true
}

func (h *Handler) getModelConfig(w http.ResponseWriter, r *http.Request) {
	if o, ok := h.modelJSON(w, r); ok {
		httpjson.Write(w, 200, map[string]any{"success": true, "config": o})
	}
}

func (h *Handler) postModelConfig(w http.ResponseWriter, r *http.Request) {
	mm, dir, ok := h.resolveLive2D(r.PathValue("name"))
	if !ok {
		notFound(w, "the model")
		return
	}
	if dir == "" {
		httpjson.Error(w, 403, "read_only", "bundled models cannot be changed; import a copy first")
		return
	}
	o := config.NewObject()
	if !httpjson.DecodeOrError(w, r, o, 4<<20) {
		return
	}
	if !o.Has("FileReferences") {
		httpjson.Error(w, 400, "invalid", "a model3.json needs FileReferences")
		return
	}
	b, _ := json.MarshalIndent(o, "", "  ")
	if err := atomicfile.Write(filepath.Join(dir, path.Base(mm.Path)), b, 0o644); err != nil {
		httpjson.Error(w, 500, "write_failed", err.Error())
		return
	}
	httpjson.Write(w, 200, map[string]any{"success": true})
}

// emotionMapping is {motions:{emotion:[files]}, expressions:{emotion:[files]}}.
type emotionMapping struct {
	Motions     map[string][]string `json:"motions"`
	Expressions map[string][]string `json:"expressions"`
}

func (h *Handler) getLive2DEmotions(w http.ResponseWriter, r *http.Request) {
	if o, ok := h.modelJSON(w, r); ok {
		httpjson.Write(w, 200, map[string]any{"success": true, "config": emotionsOf(o)})
	}
}

// emotionsOf returns a model3.json's emotion mapping: the stored
// EmotionMapping when there is one, else one derived from the model's own
// files (motion groups by name, expressions by the prefix before "_").
// Model files come from uploads and the workshop, so nothing in them may
// make this fail: fields of the wrong type are ignored.
func emotionsOf(o *config.Object) emotionMapping {
	var em emotionMapping
	if ok, err := o.Get("EmotionMapping", &em); !ok || err != nil {
		em = emotionsFromFiles(o)
	}
	if em.Motions == nil {
		em.Motions = map[string][]string{}
	}
	if em.Expressions == nil {
		em.Expressions = map[string][]string{}
	}
	return em
}

// emotionsFromFiles is the mapping a model without EmotionMapping gets:
// motions by group, expressions by the emotion their name starts with
// ("happy_1" → happy, anything else → neutral).
func emotionsFromFiles(o *config.Object) emotionMapping {
	em := emotionMapping{Motions: map[string][]string{}, Expressions: map[string][]string{}}
	var refs struct {
		Motions     map[string][]struct{ File string } `json:"Motions"`
		Expressions []struct{ Name, File string }      `json:"Expressions"`
	}
	_, _ = o.Get("FileReferences", &refs)
	for group, list := range refs.Motions {
		for _, m := range list {
			em.Motions[strings.ToLower(group)] = append(em.Motions[strings.ToLower(group)], m.File)
		}
	}
	for _, e := range refs.Expressions {
		emo := "neutral"
		if i := strings.Index(e.Name, "_"); i > 0 {
			emo = strings.ToLower(e.Name[:i])
		}
		em.Expressions[emo] = append(em.Expressions[emo], e.File)
	}
	return em
}

func (h *Handler) postLive2DEmotions(w http.ResponseWriter, r *http.Request) {
	mm, dir, ok := h.resolveLive2D(r.PathValue("name"))
	if !ok {
		notFound(w, "the model")
		return
	}
	if dir == "" {
		httpjson.Error(w, 403, "read_only", "bundled models cannot be changed; import a copy first")
		return
	}
	var em emotionMapping
	if !httpjson.DecodeOrError(w, r, &em, 1<<20) {
		return
	}
	o, file, err := h.readModelJSON(mm, dir)
	if err != nil {
		httpjson.Error(w, 500, "invalid_model", err.Error())
		return
	}
	_ = o.Set("EmotionMapping", em)
	b, _ := json.MarshalIndent(o, "", "  ")
	if err := atomicfile.Write(file, b, 0o644); err != nil {
		httpjson.Error(w, 500, "write_failed", err.Error())
		return
	}
	httpjson.Write(w, 200, map[string]any{"success": true})
}

func (h *Handler) modelFiles(w http.ResponseWriter, r *http.Request) {
	mm, dir, ok := h.resolveLive2D(r.PathValue("name"))
	if !ok {
		notFound(w, "the model")
		return
	}
	var fsys fs.FS
	base := "."
	if dir == "" {
		fsys, base = h.cfg.Assets, path.Dir(strings.TrimPrefix(mm.Path, "/"))
	} else {
		fsys = os.DirFS(dir)
	}
	motions, expressions := []string{}, []string{}
	_ = fs.WalkDir(fsys, base, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, base), "/")
		switch {
		case strings.HasSuffix(p, ".motion3.json") || strings.HasSuffix(p, ".mtn"):
			motions = append(motions, rel)
		case strings.HasSuffix(p, ".exp3.json") || strings.HasSuffix(p, ".exp.json"):
			expressions = append(expressions, rel)
		}
		return nil
	})
	httpjson.Write(w, 200, map[string]any{"success": true, "motion_files": motions, "expression_files": expressions})
}

// uploadLive2D imports a model folder (multipart "files", each named by its
// path inside the folder). It is written into a hidden temporary folder and
// renamed into place only when every file arrived, so a broken upload leaves
// nothing behind.
func (h *Handler) uploadLive2D(w http.ResponseWriter, r *http.Request) {
	mr, err := r.MultipartReader()
	if err != nil {
		httpjson.Error(w, 400, "invalid_upload", "expected a multipart upload of the model folder")
		return
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	tmp := filepath.Join(h.cfg.Live2DDir, ".upload-"+hex.EncodeToString(rnd[:]))
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		httpjson.Error(w, 500, "write_failed", err.Error())
		return
	}
	defer os.RemoveAll(tmp)
	var modelFiles []string
	top := ""
	total := int64(0)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			httpjson.Error(w, guard.BodyErrorStatus(err), "invalid_upload", "upload interrupted: "+err.Error())
			return
		}
		if part.FormName() != "files" && part.FormName() != "files[]" {
			part.Close()
			continue
		}
		rel, first, err := cleanUploadPath(rawFileName(part))
		if err != nil {
			httpjson.Error(w, 400, "invalid_path", err.Error())
			return
		}
		if top == "" {
			top = first
		} else if first != top {
			httpjson.Error(w, 400, "invalid_upload", "all files must be in one model folder")
			return
		}
		inner := strings.TrimPrefix(strings.TrimPrefix(rel, top), "/")
		if inner == "" {
			httpjson.Error(w, 400, "invalid_path", "a file needs a name inside the model folder")
			return
		}
		dst := filepath.Join(tmp, filepath.FromSlash(inner))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			httpjson.Error(w, 500, "write_failed", err.Error())
			return
		}
		n, err := guard.SaveStream(filepath.Dir(dst), filepath.Base(dst), part, h.cfg.MaxUpload-total)
		part.Close()
		total += n
		if err != nil {
			httpjson.Error(w, guard.BodyErrorStatus(err), "invalid_upload", err.Error())
			return
		}
		if isModelFile(inner) && !strings.Contains(inner, "/") {
			modelFiles = append(modelFiles, inner)
		}
	}
	if len(modelFiles) != 1 {
		httpjson.Error(w, 400, "invalid_model", fmt.Sprintf("the folder must hold exactly one .model3.json at its top (found %d)", len(modelFiles)))
		return
	}
	var probe map[string]any
	b, _ := os.ReadFile(filepath.Join(tmp, modelFiles[0]))
	if json.Unmarshal(b, &probe) != nil {
		httpjson.Error(w, 400, "invalid_model", modelFiles[0]+" is not valid JSON")
		return
	}
	name := top
	if err := guard.SafeName(name); err != nil {
		httpjson.Error(w, 400, "invalid_path", err.Error())
		return
	}
	final := filepath.Join(h.cfg.Live2DDir, name)
	if _, err := os.Lstat(final); err == nil {
		httpjson.Error(w, 409, "exists", fmt.Sprintf("a model named %q already exists; delete it first", name))
		return
	}
	if err := os.Rename(tmp, final); err != nil {
		httpjson.Error(w, 500, "write_failed", err.Error())
		return
	}
	httpjson.Write(w, 200, map[string]any{"success": true, "model_name": name,
		"path": "/user_live2d/" + name + "/" + modelFiles[0], "files": total})
}

// cleanUploadPath checks a relative upload path ("folder/sub/file") and
// returns it with its first segment.
func cleanUploadPath(p string) (string, string, error) {
	p = strings.ReplaceAll(p, "\\", "/")
	if p == "" || strings.HasPrefix(p, "/") || (len(p) > 1 && p[1] == ':') {
		return "", "", fmt.Errorf("%q is not a relative path", p)
	}
	segs := strings.Split(p, "/")
	for _, s := range segs {
		if err := guard.SafeName(s); err != nil {
			return "", "", fmt.Errorf("unsafe path %q", p)
		}
	}
	if len(segs) < 2 {
		// A bare file: put it in a folder named after the model file.
		base := strings.TrimSuffix(strings.TrimSuffix(segs[0], ".model3.json"), ".model.json")
		return base + "/" + segs[0], base, nil
	}
	return strings.Join(segs, "/"), segs[0], nil
}

func (h *Handler) deleteLive2D(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := guard.SafeName(name); err != nil {
		httpjson.Error(w, 400, "invalid_path", err.Error())
		return
	}
	dir := filepath.Join(h.cfg.Live2DDir, name)
	if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() {
		notFound(w, "a user model named "+name)
		return
	}
	if err := os.RemoveAll(dir); err != nil {
		httpjson.Error(w, 500, "delete_failed", err.Error())
		return
	}
	httpjson.Write(w, 200, map[string]any{"success": true})
}

// rawFileName is the part's filename with its folders: Part.FileName keeps
// only the base name, but a folder upload names each file by its path.
func rawFileName(p *multipart.Part) string {
	_, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil {
		return p.FileName()
	}
	return params["filename"]
}
