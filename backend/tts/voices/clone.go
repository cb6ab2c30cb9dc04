package voices

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strings"

	"neko/backend/tts"
)

// DefaultUploadURL is the original's tfLink file host: DashScope clones
// from a public URL, so the sample is uploaded there first.
const DefaultUploadURL = "http://47.101.214.205:8000/api/upload"

// DefaultDashScopeURL is the DashScope REST base for voice enrollment.
const DefaultDashScopeURL = "https://dashscope.aliyuncs.com"

// CloneModel is the model voices are cloned for (and synthesised with).
const CloneModel = "cosyvoice-v3.5-plus"

// multipartFile sends one file (plus fields) as multipart/form-data,
// streaming it from disk.
func multipartFile(ctx context.Context, client *http.Client, target string, header http.Header, fields map[string]string, fileField, path, name string) (*http.Response, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			for k, v := range fields {
				if err := mw.WriteField(k, v); err != nil {
					return err
				}
			}
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			part, err := mw.CreateFormFile(fileField, name)
			if err != nil {
				return err
			}
			if _, err := io.Copy(part, f); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, pr)
	if err != nil {
		pr.Close()
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := client.Do(req)
	pr.Close()
	return resp, err
}

// readJSON reads a bounded JSON answer; a non-2xx status becomes a
// tts.ProviderError carrying the provider's message.
func readJSON(resp *http.Response, engine string, v any) error {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s: read answer: %w", engine, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		pe := &tts.ProviderError{Engine: engine, Status: resp.StatusCode}
		var e struct {
			Code    any    `json:"code"`
			Message string `json:"message"`
			Error   any    `json:"error"`
			Detail  any    `json:"detail"`
		}
		if json.Unmarshal(b, &e) == nil {
			pe.Code = fmt.Sprint(firstNonNil(e.Code, ""))
			pe.Msg = e.Message
			if pe.Msg == "" {
				pe.Msg = fmt.Sprint(firstNonNil(e.Error, e.Detail, ""))
			}
		} else {
			pe.Msg = strings.TrimSpace(string(b[:min(len(b), 300)]))
		}
		return pe
	}
	if v == nil {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: bad answer: %w", engine, err)
	}
	return nil
}

func firstNonNil(v ...any) any {
	for _, x := range v {
		if x != nil {
			return x
		}
	}
	return nil
}

// upload puts the sample on the file host and returns its public link.
func upload(ctx context.Context, client *http.Client, uploadURL, path, name string) (string, error) {
	resp, err := multipartFile(ctx, client, uploadURL, http.Header{"Accept": {"application/json"}}, nil, "file", path, name)
	if err != nil {
		return "", fmt.Errorf("upload sample: %w", err)
	}
	var m map[string]any
	if err := readJSON(resp, "upload", &m); err != nil {
		return "", err
	}
	for _, k := range []string{"downloadLink", "download_link", "url", "direct_link", "link", "download_url"} {
		if s, ok := m[k].(string); ok && s != "" {
			if u, err := url.Parse(s); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
				return "", fmt.Errorf("upload: host returned a bad link %q", s)
			}
			return s, nil
		}
	}
	return "", fmt.Errorf("upload: no link in the host's answer")
}

// languageHint maps the clone form's ref_language to DashScope's hint.
func languageHint(ref string) string {
	if ref == "ch" {
		return "zh"
	}
	return ref
}

// enroll asks DashScope to create a voice from the sample URL.
func enroll(ctx context.Context, client *http.Client, base, key, prefix, fileURL, ref string) (string, error) {
	body, _ := json.Marshal(map[string]any{
		"model": "voice-enrollment",
		"input": map[string]any{
			"action": "create_voice", "target_model": CloneModel, "prefix": prefix,
			"url": fileURL, "language_hints": []string{languageHint(ref)},
		},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/api/v1/services/audio/tts/customization", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("voice enrollment: %w", err)
	}
	var out struct {
		Output struct {
			VoiceID string `json:"voice_id"`
		} `json:"output"`
	}
	if err := readJSON(resp, "dashscope", &out); err != nil {
		return "", err
	}
	if out.Output.VoiceID == "" {
		return "", fmt.Errorf("voice enrollment: no voice_id in the answer")
	}
	return out.Output.VoiceID, nil
}

// localHTTPBase turns a local TTS ws(s) URL into its http(s) base.
func localHTTPBase(u string) string {
	u = strings.TrimRight(strings.TrimSpace(u), "/")
	switch {
	case strings.HasPrefix(u, "ws://"):
		return "http://" + u[len("ws://"):]
	case strings.HasPrefix(u, "wss://"):
		return "https://" + u[len("wss://"):]
	}
	return u
}

// registerLocal registers a speaker on a local CosyVoice server.
func registerLocal(ctx context.Context, client *http.Client, base, speaker, promptText, path, name string) error {
	resp, err := multipartFile(ctx, client, localHTTPBase(base)+"/v1/speakers/register", nil,
		map[string]string{"speaker_id": speaker, "prompt_text": promptText}, "prompt_audio", path, name)
	if err != nil {
		return fmt.Errorf("register local speaker: %w", err)
	}
	return readJSON(resp, "local_tts", nil)
}
