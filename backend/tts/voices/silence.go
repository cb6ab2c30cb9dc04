package voices

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"neko/backend/httpjson"
	"neko/backend/tts"
)

// Silence analysis and trimming help prepare a clone sample: providers
// want 10–15 s of clean speech without long pauses.

const (
	silenceFrame       = 10 * time.Millisecond
	defaultSilenceDB   = -40.0
	minSilence         = 300 * time.Millisecond
	keepEdge           = 100 * time.Millisecond // padding kept at both ends
	maxInnerSilence    = 500 * time.Millisecond // longer pauses are shortened to this
	maxTrimTasks       = 64
	finishedTaskLinger = 5 * time.Minute
)

// Segment is a span of silence, in seconds.
type Segment struct {
	Start    float64 `json:"start"`
	End      float64 `json:"end"`
	Duration float64 `json:"duration"`
}

// silenceMap marks each 10 ms frame silent when its RMS is below thresholdDB.
func silenceMap(s []int16, rate int, thresholdDB float64) []bool {
	n := rate * int(silenceFrame/time.Millisecond) / 1000
	if n <= 0 {
		n = 1
	}
	lim := 32768 * math.Pow(10, thresholdDB/20)
	frames := make([]bool, (len(s)+n-1)/n)
	for i := range frames {
		lo, hi := i*n, min((i+1)*n, len(s))
		var sum float64
		for _, v := range s[lo:hi] {
			sum += float64(v) * float64(v)
		}
		frames[i] = math.Sqrt(sum/float64(hi-lo)) < lim
	}
	return frames
}

// silences returns the silent spans of at least minSilence.
func silences(frames []bool) []Segment {
	fs := silenceFrame.Seconds()
	minFrames := int(minSilence / silenceFrame)
	var out []Segment
	start := -1
	for i := 0; i <= len(frames); i++ {
		silent := i < len(frames) && frames[i]
		switch {
		case silent && start < 0:
			start = i
		case !silent && start >= 0:
			if i-start >= minFrames {
				out = append(out, Segment{Start: float64(start) * fs, End: float64(i) * fs, Duration: float64(i-start) * fs})
			}
			start = -1
		}
	}
	return out
}

func thresholdFrom(_ *http.Request, v string) float64 {
	if v == "" {
		return defaultSilenceDB
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f > -10 || f < -90 {
		return defaultSilenceDB
	}
	return f
}

// readWAVSample spools the multipart upload and decodes it (16-bit PCM WAV).
func (h *Handler) readWAVSample(w http.ResponseWriter, r *http.Request) ([]int16, int, *cloneForm, bool) {
	f, err := h.readCloneForm(w, r)
	if f != nil && f.path != "" {
		defer os.Remove(f.path)
	}
	switch {
	case errors.Is(err, errTooLarge):
		httpjson.Error(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("the sample is over %d MB", h.cfg.MaxUpload>>20))
		return nil, 0, nil, false
	case err != nil:
		httpjson.Error(w, http.StatusBadRequest, "invalid_form", err.Error())
		return nil, 0, nil, false
	case f.path == "" || f.size == 0:
		httpjson.Error(w, http.StatusBadRequest, "invalid_form", "an audio file is required")
		return nil, 0, nil, false
	}
	b, err := os.ReadFile(f.path)
	if err != nil {
		httpjson.Error(w, http.StatusInternalServerError, "internal", "could not read the upload")
		return nil, 0, nil, false
	}
	s, rate, err := tts.ParseWAV(b)
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, "invalid_audio", "silence tools need a 16-bit PCM WAV file")
		return nil, 0, nil, false
	}
	return s, rate, f, true
}

func (h *Handler) analyzeSilence(w http.ResponseWriter, r *http.Request) {
	s, rate, f, ok := h.readWAVSample(w, r)
	if !ok {
		return
	}
	frames := silenceMap(s, rate, thresholdFrom(r, f.threshold))
	segs := silences(frames)
	dur := float64(len(s)) / float64(rate)
	var total, lead, trail float64
	for _, g := range segs {
		total += g.Duration
		if g.Start == 0 {
			lead = g.Duration
		}
		if g.End >= dur-silenceFrame.Seconds() {
			trail = g.Duration
		}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{
		"success": true, "duration": round3(dur), "sample_rate": rate,
		"silence_segments": segs, "silence_count": len(segs), "total_silence": round3(total),
		"leading_silence": round3(lead), "trailing_silence": round3(trail),
		"speech_duration": round3(dur - total),
	})
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// trimTask is the progress of one trim_silence call.
type trimTask struct {
	progress  float64
	status    string // running, done, cancelled, failed
	cancelled bool
	ended     time.Time
}

type trimTasks struct {
	mu sync.Mutex
	m  map[string]*trimTask
}

func (t *trimTasks) begin(id string) (*trimTask, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]*trimTask{}
	}
	for k, v := range t.m {
		if v.status != "running" && time.Since(v.ended) > finishedTaskLinger {
			delete(t.m, k)
		}
	}
	if len(t.m) >= maxTrimTasks {
		return nil, errors.New("too many trim tasks")
	}
	if old, ok := t.m[id]; ok && old.status == "running" {
		return nil, errors.New("a trim with this task_id is running")
	}
	task := &trimTask{status: "running"}
	t.m[id] = task
	return task, nil
}

func (t *trimTasks) update(task *trimTask, f func()) {
	t.mu.Lock()
	f()
	t.mu.Unlock()
}

func (t *trimTasks) get(id string) (trimTask, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.m[id]
	if !ok {
		return trimTask{}, false
	}
	return *v, true
}

// trimSilence keeps keepEdge of silence at both ends and shortens inner
// pauses to maxInnerSilence. step reports progress; it returns false when
// the task was cancelled.
func trimSilence(s []int16, rate int, thresholdDB float64, step func(p float64) bool) ([]int16, bool) {
	frames := silenceMap(s, rate, thresholdDB)
	fl := rate * int(silenceFrame/time.Millisecond) / 1000
	first, last := -1, -1
	for i, silent := range frames {
		if !silent {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return nil, true // all silence
	}
	edge := int(keepEdge / silenceFrame)
	maxGap := int(maxInnerSilence / silenceFrame)
	lo := max(0, first-edge)
	hi := min(len(frames), last+1+edge)
	out := make([]int16, 0, (hi-lo)*fl)
	run := 0
	for i := lo; i < hi; i++ {
		if i%200 == 0 && !step(float64(i-lo)/float64(hi-lo)) {
			return nil, false
		}
		if frames[i] && i > first && i < last {
			run++
			if run > maxGap {
				continue
			}
		} else {
			run = 0
		}
		a, b := i*fl, min((i+1)*fl, len(s))
		out = append(out, s[a:b]...)
	}
	return out, true
}

func (h *Handler) trimSilenceHandler(w http.ResponseWriter, r *http.Request) {
	s, rate, f, ok := h.readWAVSample(w, r)
	if !ok {
		return
	}
	id := f.taskID
	if id == "" {
		id = strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	task, err := h.trims.begin(id)
	if err != nil {
		httpjson.Error(w, http.StatusConflict, "busy", err.Error())
		return
	}
	out, done := trimSilence(s, rate, thresholdFrom(r, f.threshold), func(p float64) bool {
		cancelled := false
		h.trims.update(task, func() { task.progress = p * 100; cancelled = task.cancelled })
		return !cancelled && r.Context().Err() == nil
	})
	h.trims.update(task, func() {
		task.ended = time.Now()
		switch {
		case !done:
			task.status = "cancelled"
		case len(out) == 0:
			task.status = "failed"
		default:
			task.status, task.progress = "done", 100
		}
	})
	switch {
	case !done:
		httpjson.Error(w, http.StatusConflict, "cancelled", "the trim was cancelled")
		return
	case len(out) == 0:
		httpjson.Error(w, http.StatusBadRequest, "all_silence", "the sample has no speech above the threshold")
		return
	}
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("X-Task-Id", id)
	w.Header().Set("X-Original-Duration", strconv.FormatFloat(round3(float64(len(s))/float64(rate)), 'f', -1, 64))
	w.Header().Set("X-Trimmed-Duration", strconv.FormatFloat(round3(float64(len(out))/float64(rate)), 'f', -1, 64))
	w.Header().Set("Content-Disposition", `attachment; filename="trimmed.wav"`)
	_, _ = w.Write(encodeWAV(out, rate))
}

func (h *Handler) trimProgress(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("task_id")
	t, ok := h.trims.get(id)
	if !ok {
		httpjson.Error(w, http.StatusNotFound, "not_found", "no such trim task")
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true, "task_id": id, "progress": math.Round(t.progress), "status": t.status})
}

func (h *Handler) trimCancel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("task_id")
	found := false
	h.trims.mu.Lock()
	if t, ok := h.trims.m[id]; ok {
		found = true
		t.cancelled = true
	}
	h.trims.mu.Unlock()
	if !found {
		httpjson.Error(w, http.StatusNotFound, "not_found", "no such trim task")
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"success": true, "task_id": id})
}

// encodeWAV writes mono s16le samples as a RIFF/WAVE file.
func encodeWAV(s []int16, rate int) []byte {
	b := make([]byte, 44+2*len(s))
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+2*len(s)))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1)
	binary.LittleEndian.PutUint16(b[22:], 1)
	binary.LittleEndian.PutUint32(b[24:], uint32(rate))
	binary.LittleEndian.PutUint32(b[28:], uint32(2*rate))
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(2*len(s)))
	for i, v := range s {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(v))
	}
	return b
}
