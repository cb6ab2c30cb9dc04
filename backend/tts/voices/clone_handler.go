package voices

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"neko/backend/httpjson"
)

// refLanguages are the accepted ref_language values of voice_clone.
var refLanguages = map[string]bool{"ch": true, "en": true, "fr": true, "de": true, "ja": true, "ko": true, "ru": true}

// cleanPrefix fits a user's prefix to DashScope's rule (lowercase letters
// and digits, at most 10): "My_Voice-2" becomes "myvoice2". It returns ""
// when nothing usable is left.
func cleanPrefix(p string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(p) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			if b.Len() == 10 {
				break
			}
		}
	}
	return b.String()
}

// cloneForm is the parsed voice_clone upload.
type cloneForm struct {
	path, name             string // spooled sample and its original name
	md5                    string
	size                   int64
	prefix, lang, promptTx string
	taskID, threshold      string // trim_silence / analyze_silence fields
}

// errTooLarge marks an upload over the cap.
var errTooLarge = errors.New("upload too large")

// readCloneForm streams the multipart body: the sample goes to a temp file
// (hashed on the way), small fields are read with a cap.
func (h *Handler) readCloneForm(w http.ResponseWriter, r *http.Request) (*cloneForm, error) {
	r.Body = http.MaxBytesReader(w, r.Body, h.cfg.MaxUpload+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, fmt.Errorf("a multipart/form-data body is required: %w", err)
	}
	f := &cloneForm{lang: "ch"}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return f, errTooLarge
			}
			return f, fmt.Errorf("bad multipart body: %w", err)
		}
		switch part.FormName() {
		case "file":
			if f.path != "" {
				return f, errors.New("only one file is accepted")
			}
			if err := h.spool(f, part); err != nil {
				return f, err
			}
		case "prefix", "ref_language", "prompt_text", "task_id", "threshold_db":
			b, err := io.ReadAll(io.LimitReader(part, 4097))
			if err != nil {
				return f, fmt.Errorf("bad multipart body: %w", err)
			}
			if len(b) > 4096 {
				return f, fmt.Errorf("field %s is too long", part.FormName())
			}
			v := strings.TrimSpace(string(b))
			switch part.FormName() {
			case "prefix":
				f.prefix = v
			case "ref_language":
				if v != "" {
					f.lang = v
				}
			case "task_id":
				f.taskID = v
			case "threshold_db":
				f.threshold = v
			default:
				f.promptTx = v
			}
		}
		part.Close()
	}
	return f, nil
}

func (h *Handler) spool(f *cloneForm, part io.Reader) error {
	tmp, err := os.CreateTemp(h.cfg.TempDir, "neko-voice-*")
	if err != nil {
		return fmt.Errorf("spool upload: %w", err)
	}
	f.path = tmp.Name()
	sum := md5.New()
	n, err := io.Copy(io.MultiWriter(tmp, sum), io.LimitReader(part, h.cfg.MaxUpload+1))
	cerr := tmp.Close()
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errTooLarge
		}
		return fmt.Errorf("read upload: %w", err)
	}
	if cerr != nil {
		return fmt.Errorf("spool upload: %w", cerr)
	}
	if n > h.cfg.MaxUpload {
		return errTooLarge
	}
	f.size = n
	f.md5 = hex.EncodeToString(sum.Sum(nil))
	return nil
}

// sniffAudio names the container of a sample, or "" when it is not audio.
func sniffAudio(path string) string {
	fh, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer fh.Close()
	b := make([]byte, 12)
	n, _ := io.ReadFull(fh, b)
	b = b[:n]
	switch {
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WAVE":
		return "wav"
	case bytes.HasPrefix(b, []byte("ID3")) || (len(b) >= 2 && b[0] == 0xFF && b[1]&0xE0 == 0xE0):
		return "mp3"
	case bytes.HasPrefix(b, []byte("OggS")):
		return "ogg"
	case bytes.HasPrefix(b, []byte("fLaC")):
		return "flac"
	case len(b) >= 8 && string(b[4:8]) == "ftyp":
		return "m4a"
	}
	return ""
}

func (h *Handler) clone(w http.ResponseWriter, r *http.Request) {
	f, err := h.readCloneForm(w, r)
	if f != nil && f.path != "" {
		defer os.Remove(f.path)
	}
	switch {
	case errors.Is(err, errTooLarge):
		httpjson.Error(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("the sample is over %d MB", h.cfg.MaxUpload>>20))
		return
	case err != nil:
		httpjson.Error(w, http.StatusBadRequest, "invalid_form", err.Error())
		return
	case f.path == "" || f.size == 0:
		httpjson.Error(w, http.StatusBadRequest, "invalid_form", "an audio file is required")
		return
	case !refLanguages[f.lang]:
		httpjson.Error(w, http.StatusBadRequest, "invalid_form", "ref_language must be one of ch, en, fr, de, ja, ko, ru")
		return
	}
	f.prefix = cleanPrefix(f.prefix)
	if f.prefix == "" {
		httpjson.Error(w, http.StatusBadRequest, "invalid_form", "prefix needs letters or digits")
		return
	}
	kind := sniffAudio(f.path)
	if kind == "" {
		httpjson.Error(w, http.StatusBadRequest, "invalid_audio", "the file is not WAV, MP3, OGG, FLAC or M4A audio")
		return
	}
	cur := h.cfg.Current()
	key := cur.Key
	if cur.LocalURL != "" {
		key = LocalKey
	}
	if v, ok := h.cfg.Store.FindClone(key, f.md5, f.lang); ok {
		out := map[string]any{"voice_id": v.ID(), "message": "this sample was already cloned; reusing its voice", "reused": true}
		if cur.LocalURL != "" {
			out["is_local"] = true
		} else if u := v.str("file_url"); u != "" {
			out["file_url"] = u
		}
		httpjson.Write(w, http.StatusOK, out)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Minute)
	defer cancel()
	name := f.prefix + "." + kind
	if cur.LocalURL != "" {
		if err := registerLocal(ctx, h.cfg.HTTPClient, cur.LocalURL, f.prefix, f.promptTx, f.path, name); err != nil {
			h.providerError(w, "voice clone", err)
			return
		}
		v := Voice{"voice_id": f.prefix, "prefix": f.prefix, "audio_md5": f.md5, "ref_language": f.lang, "is_local": true, "created_at": time.Now().Format(time.RFC3339)}
		if err := h.cfg.Store.Put(LocalKey, v); err != nil {
			h.log.Error("save voice", "err", err)
			httpjson.Error(w, http.StatusInternalServerError, "internal", "could not save the voice")
			return
		}
		httpjson.Write(w, http.StatusOK, map[string]any{"voice_id": f.prefix, "message": "voice registered on the local TTS server", "is_local": true})
		return
	}
	if key == "" {
		httpjson.Error(w, http.StatusBadRequest, "no_api_key", "voice cloning needs a Qwen (DashScope) API key")
		return
	}
	link, err := upload(ctx, h.cfg.HTTPClient, h.cfg.UploadURL, f.path, name)
	if err != nil {
		h.providerError(w, "sample upload", err)
		return
	}
	id, err := enroll(ctx, h.cfg.HTTPClient, h.cfg.DashScopeURL, key, f.prefix, link, f.lang)
	if err != nil {
		h.providerError(w, "voice clone", err)
		return
	}
	v := Voice{"voice_id": id, "prefix": f.prefix, "file_url": link, "audio_md5": f.md5, "ref_language": f.lang, "created_at": time.Now().Format(time.RFC3339)}
	if err := h.cfg.Store.Put(key, v); err != nil {
		h.log.Error("save voice", "err", err)
		httpjson.Error(w, http.StatusInternalServerError, "internal", "could not save the voice")
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"voice_id": id, "message": "voice cloned", "file_url": link})
}
