package voices_test

import (
	"bytes"
	"math"
	"mime/multipart"
	"net/http/httptest"
	"strconv"
	"testing"

	"neko/backend/tts"
	"neko/backend/tts/ttstest"
)

// gappySample is 0.5 s silence, 1 s tone, 1.2 s silence, 0.5 s tone,
// 0.6 s silence at 16 kHz.
func gappySample() []byte {
	const rate = 16000
	quiet := func(ms int) []byte { return make([]byte, 2*rate*ms/1000) }
	var pcm []byte
	pcm = append(pcm, quiet(500)...)
	pcm = append(pcm, ttstest.Tone(rate, 1000)...)
	pcm = append(pcm, quiet(1200)...)
	pcm = append(pcm, ttstest.Tone(rate, 500)...)
	pcm = append(pcm, quiet(600)...)
	return ttstest.WAV(rate, pcm)
}

func sampleForm(t *testing.T, file []byte, fields map[string]string) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	p, _ := mw.CreateFormFile("file", "sample.wav")
	p.Write(file)
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.03 }

func TestAnalyzeSilence(t *testing.T) {
	f := newFixture(t, ttstest.Script{})
	body, ct := sampleForm(t, gappySample(), nil)
	code, m := f.do(t, "POST", "/api/characters/audio/analyze_silence", body, ct)
	if code != 200 {
		t.Fatalf("%d %v", code, m)
	}
	segs := m["silence_segments"].([]any)
	if len(segs) != 3 || !near(m["duration"].(float64), 3.8) || !near(m["leading_silence"].(float64), 0.5) ||
		!near(m["trailing_silence"].(float64), 0.6) || !near(m["total_silence"].(float64), 2.3) {
		t.Fatalf("analysis %v", m)
	}
	mid := segs[1].(map[string]any)
	if !near(mid["start"].(float64), 1.5) || !near(mid["end"].(float64), 2.7) {
		t.Fatalf("inner pause %v", mid)
	}
	body, ct = sampleForm(t, []byte("ID3 not a wav"), nil)
	if code, _ := f.do(t, "POST", "/api/characters/audio/analyze_silence", body, ct); code != 400 {
		t.Fatalf("non-WAV: %d", code)
	}
}

func TestTrimSilence(t *testing.T) {
	f := newFixture(t, ttstest.Script{})
	body, ct := sampleForm(t, gappySample(), map[string]string{"task_id": "t1"})
	r := httptest.NewRequest("POST", "/api/characters/audio/trim_silence", bytes.NewReader(body))
	r.Header.Set("Content-Type", ct)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	if w.Code != 200 || w.Header().Get("Content-Type") != "audio/wav" {
		t.Fatalf("trim: %d %s", w.Code, w.Body.String())
	}
	s, rate, err := tts.ParseWAV(w.Body.Bytes())
	if err != nil || rate != 16000 {
		t.Fatalf("trimmed WAV: %v %d", err, rate)
	}
	// 0.1 + 1 + 0.5 (shortened pause) + 0.5 + 0.1 seconds.
	if got := float64(len(s)) / 16000; !near(got, 2.2) {
		t.Fatalf("trimmed to %.3f s, want 2.2", got)
	}
	if d, _ := strconv.ParseFloat(w.Header().Get("X-Original-Duration"), 64); !near(d, 3.8) {
		t.Fatalf("original duration header %v", d)
	}
	code, m := f.do(t, "GET", "/api/characters/audio/trim_progress/t1", nil, "")
	if code != 200 || m["status"] != "done" || m["progress"] != 100.0 {
		t.Fatalf("progress: %d %v", code, m)
	}
	if code, _ := f.do(t, "GET", "/api/characters/audio/trim_progress/nope", nil, ""); code != 404 {
		t.Fatalf("unknown task: %d", code)
	}
	if code, _ := f.do(t, "POST", "/api/characters/audio/trim_cancel/nope", nil, ""); code != 404 {
		t.Fatalf("cancel unknown: %d", code)
	}
	silent := ttstest.WAV(16000, make([]byte, 32000))
	body, ct = sampleForm(t, silent, nil)
	if code, m := f.do(t, "POST", "/api/characters/audio/trim_silence", body, ct); code != 400 || m["code"] != "all_silence" {
		t.Fatalf("all silence: %d %v", code, m)
	}
}
