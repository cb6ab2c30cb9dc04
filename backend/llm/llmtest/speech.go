package llmtest

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"time"
	"unicode/utf8"
)

// SpeechSampleRate is the rate of the PCM the speech endpoint returns
// (OpenAI's response_format "pcm": s16le mono 24 kHz).
const SpeechSampleRate = 24000

// speechChunk is how much audio each streamed write carries.
const speechChunk = 100 * time.Millisecond

// SpeechMillis is how long the speech for input lasts: 60 ms per
// character, at least 200 ms and at most 8 s, so a long reply speaks long
// enough to be interrupted.
func SpeechMillis(input string) int {
	return min(max(60*utf8.RuneCountInString(input), 200), 8000)
}

// handleSpeech serves OpenAI's POST /v1/audio/speech: JSON {model, voice,
// input, response_format}; the answer streams a 440 Hz tone as raw PCM
// ("pcm", the default here) in 100 ms writes, or a WAV for "wav".
func (s *Server) handleSpeech(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	var body struct {
		Model          string `json:"model"`
		Voice          string `json:"voice"`
		Input          string `json:"input"`
		ResponseFormat string `json:"response_format"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_json", "invalid_request_error", "We could not parse the JSON body of your request.")
		return
	}
	if body.Input == "" || body.Voice == "" {
		writeError(w, http.StatusBadRequest, "invalid_value", "invalid_request_error", "input and voice are required")
		return
	}
	s.mu.Lock()
	s.speechTexts = append(s.speechTexts, body.Input)
	s.mu.Unlock()
	pcm := tonePCM(SpeechSampleRate, SpeechMillis(body.Input))
	if body.ResponseFormat == "wav" {
		w.Header().Set("Content-Type", "audio/wav")
		_, _ = w.Write(wavFile(SpeechSampleRate, pcm))
		return
	}
	w.Header().Set("Content-Type", "audio/pcm")
	flusher, _ := w.(http.Flusher)
	step := SpeechSampleRate * 2 * int(speechChunk/time.Millisecond) / 1000
	for off := 0; off < len(pcm); off += step {
		if _, err := w.Write(pcm[off:min(off+step, len(pcm))]); err != nil {
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
		if r.Context().Err() != nil {
			return
		}
	}
}

// SpeechTexts returns the inputs the speech endpoint was asked to say.
func (s *Server) SpeechTexts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.speechTexts...)
}

// tonePCM is ms milliseconds of a 440 Hz sine at rate, s16le mono.
func tonePCM(rate, ms int) []byte {
	n := rate * ms / 1000
	out := make([]byte, 2*n)
	for i := range n {
		v := int16(0.3 * 32767 * math.Sin(2*math.Pi*440*float64(i)/float64(rate)))
		binary.LittleEndian.PutUint16(out[2*i:], uint16(v))
	}
	return out
}

// wavFile wraps s16le mono PCM in a 44-byte RIFF header.
func wavFile(rate int, pcm []byte) []byte {
	h := make([]byte, 44, 44+len(pcm))
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+len(pcm)))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1)
	binary.LittleEndian.PutUint16(h[22:], 1)
	binary.LittleEndian.PutUint32(h[24:], uint32(rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(rate*2))
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(len(pcm)))
	return append(h, pcm...)
}

// handleRegisterSpeaker serves a local CosyVoice server's
// POST /v1/speakers/register (multipart speaker_id, prompt_text,
// prompt_audio), so voice cloning has a local TTS server to talk to.
func (s *Server) handleRegisterSpeaker(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 32<<20)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"detail": "multipart form required: " + err.Error()})
		return
	}
	defer func() { _ = r.MultipartForm.RemoveAll() }()
	speaker := r.FormValue("speaker_id")
	f, hdr, err := r.FormFile("prompt_audio")
	if speaker == "" || err != nil || hdr.Size == 0 {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": "speaker_id and prompt_audio are required"})
		return
	}
	_ = f.Close()
	s.mu.Lock()
	s.speakers = append(s.speakers, speaker)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "speaker_id": speaker})
}

// Speakers returns the speaker ids registered so far.
func (s *Server) Speakers() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.speakers...)
}
