package audio_test

import (
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"neko/backend/audio"
)

// recordingSink stands in for the local player (the real one is tested
// with oto in player_oto_test.go).
type recordingSink struct {
	mu          sync.Mutex
	available   bool
	samples     map[string]int
	ended       []string
	interrupted []string
}

func (s *recordingSink) Available() bool { return s.available }
func (s *recordingSink) Enqueue(id string, pcm []int16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.samples == nil {
		s.samples = map[string]int{}
	}
	s.samples[id] += len(pcm)
}
func (s *recordingSink) EndSpeech(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = append(s.ended, id)
}
func (s *recordingSink) Interrupt(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.interrupted = append(s.interrupted, id)
}

var _ audio.LocalSink = (*recordingSink)(nil)
var _ audio.LocalSink = (*audio.Player)(nil)

// recordingWriter wraps a client connection and notes when each header
// write starts.
type recordingWriter struct {
	inner audio.FrameWriter
	mu    sync.Mutex
	log   []written
}

type written struct {
	speechID string
	at       time.Time
}

func (r *recordingWriter) WriteJSON(v any) error {
	if h, ok := v.(audio.AudioChunkHeader); ok {
		r.mu.Lock()
		r.log = append(r.log, written{h.SpeechID, time.Now()})
		r.mu.Unlock()
	}
	return r.inner.WriteJSON(v)
}
func (r *recordingWriter) WriteBinary(b []byte) error { return r.inner.WriteBinary(b) }

// readMessage reads one text message as a generic map.
func readJSON(t *testing.T, c *websocket.Conn) map[string]any {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	typ, msg, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if typ != websocket.TextMessage {
		t.Fatalf("want a text message, got type %d", typ)
	}
	var m map[string]any
	if err := json.Unmarshal(msg, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func readBinary(t *testing.T, c *websocket.Conn) []byte {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	typ, msg, err := c.ReadMessage()
	if err != nil || typ != websocket.BinaryMessage {
		t.Fatalf("want a binary frame: type %d err %v", typ, err)
	}
	return msg
}

func expectNothing(t *testing.T, c *websocket.Conn) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, msg, err := c.ReadMessage(); err == nil {
		t.Fatalf("unexpected message %q", msg)
	}
}

func TestFanoutModes(t *testing.T) {
	pcm := []int16{1, -2, 3, -4}
	for _, tc := range []struct {
		mode       audio.Mode
		available  bool
		wantLocal  bool
		wantClient bool
		localFlag  bool
	}{
		{audio.ModeStream, true, false, true, false},
		{audio.ModeLocal, true, true, false, false},
		{audio.ModeLocal, false, false, true, false}, // no device: stream instead
		{audio.ModeBoth, true, true, true, true},
		{audio.ModeBoth, false, false, true, false},
	} {
		sink := &recordingSink{available: tc.available}
		f := audio.NewFanout(audio.FanoutConfig{Mode: tc.mode}, sink, nil)
		srv := fanoutServer(t, f)
		c := dial(t, srv, "neko", 0)
		waitClients(t, f, "neko", c)
		f.PCM("neko", "s1", pcm)
		f.EndSpeech("neko", "s1")
		if got := sink.samples["s1"] > 0; got != tc.wantLocal {
			t.Errorf("%s (device %v): local got audio %v", tc.mode, tc.available, got)
		}
		if tc.wantClient {
			h := readJSON(t, c)
			if h["type"] != "audio_chunk" || h["speech_id"] != "s1" || (h["local_playback"] == true) != tc.localFlag {
				t.Errorf("%s: header %v", tc.mode, h)
			}
			if b := readBinary(t, c); !slices.Equal(audio.BytesToInt16LE(nil, b), pcm) {
				t.Errorf("%s: body % x", tc.mode, b)
			}
		}
		if tc.wantLocal {
			// Lip-sync from the local player reaches the speaker's clients.
			f.OnPlayerLipSync(audio.LipSync{SpeechID: "s1", Mouth: 0.5, PositionMs: 40})
			m := readJSON(t, c)
			if m["type"] != "lipsync" || m["speech_id"] != "s1" || m["mouth"] != 0.5 || m["position_ms"] != 40.0 {
				t.Errorf("%s: lipsync message %v", tc.mode, m)
			}
		}
		// OGG/Opus always goes to the clients, tagged the same way.
		f.Ogg("neko", "s1", []byte("OggS...."))
		h := readJSON(t, c)
		if h["speech_id"] != "s1" || h["format"] != "ogg_opus" {
			t.Errorf("%s: ogg header %v", tc.mode, h)
		}
		if b := readBinary(t, c); string(b) != "OggS...." {
			t.Errorf("%s: ogg body %q", tc.mode, b)
		}
		expectNothing(t, c)
		f.Close()
	}
	if _, err := audio.ParseMode("loud"); err == nil {
		t.Error("ParseMode accepted an unknown mode")
	}
}

func TestFanoutInterruptStopsASpeechEverywhere(t *testing.T) {
	sink := &recordingSink{available: true}
	f := audio.NewFanout(audio.FanoutConfig{Mode: audio.ModeBoth}, sink, nil)
	defer f.Close()
	c1, c2 := newPipeWriter(), newPipeWriter()
	r1 := &recordingWriter{inner: c1}
	r2 := &recordingWriter{inner: c2}
	f.Attach("neko", r1)
	f.Attach("neko", r2)
	chunk := make([]int16, 960)
	for range 100 {
		f.PCM("neko", "s1", chunk) // a backlog: the clients are slow
	}
	start := time.Now()
	f.Interrupt("neko", "s1")
	returned := time.Now()
	r3 := &recordingWriter{inner: newPipeWriter()} // joins after the interrupt
	f.Attach("neko", r3)
	f.PCM("neko", "s1", chunk) // a late chunk of the interrupted speech
	for range 5 {
		f.PCM("neko", "s2", chunk)
	}
	for _, r := range []*recordingWriter{r1, r2, r3} {
		deadline := time.Now().Add(10 * time.Second)
		for {
			r.mu.Lock()
			n := 0
			for _, w := range r.log {
				if w.speechID == "s2" {
					n++
				}
			}
			r.mu.Unlock()
			if n == 5 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("s2 did not arrive")
			}
			time.Sleep(time.Millisecond)
		}
		r.mu.Lock()
		late := 0
		var last time.Time
		seenS2 := false
		for _, w := range r.log {
			if w.speechID == "s1" {
				if seenS2 {
					t.Fatal("an s1 frame was written after s2 started")
				}
				if w.at.After(returned) {
					late++
				}
				last = w.at
			} else {
				seenS2 = true
			}
		}
		r.mu.Unlock()
		t.Logf("s1 frames started after Interrupt returned: %d; last s1 frame %v after the call", late, last.Sub(start))
		if late > 1 {
			t.Fatalf("%d s1 frames started after Interrupt returned (at most the one in flight may)", late)
		}
	}
	if !slices.Contains(sink.interrupted, "s1") {
		t.Fatal("the local player was not interrupted")
	}
	r3.mu.Lock()
	defer r3.mu.Unlock()
	if len(r3.log) != 5 || r3.log[0].speechID != "s2" {
		t.Fatalf("a client that joined after the interrupt got %d frames starting with %q", len(r3.log), r3.log[0].speechID)
	}
	if sink.samples["s1"] != 100*len(chunk) {
		t.Fatalf("the late s1 chunk reached the local player (%d samples)", sink.samples["s1"])
	}
}

// pipeWriter is a slow client: each write takes about a millisecond.
type pipeWriter struct{}

func newPipeWriter() *pipeWriter { return &pipeWriter{} }

func (p *pipeWriter) WriteJSON(v any) error {
	_, err := json.Marshal(v)
	time.Sleep(time.Millisecond)
	return err
}
func (p *pipeWriter) WriteBinary([]byte) error { return nil }
