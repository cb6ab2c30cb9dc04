package desktopctl_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"neko/backend/audio"
	"neko/backend/config"
	"neko/backend/desktopctl"
	"neko/backend/llm"
	"neko/backend/llm/llmtest"
	"neko/backend/session"
	"neko/backend/testutil"
	"neko/backend/tts"
	"neko/backend/tts/ttstest"
)

// fakePlayer stands in for the audio device (there is none on a build
// machine); it records what the fan-out gives the local player.
type fakePlayer struct {
	mu      sync.Mutex
	samples int
	muted   bool
	running bool
}

func (p *fakePlayer) Available() bool { return true }
func (p *fakePlayer) Enqueue(_ string, pcm []int16) {
	p.mu.Lock()
	p.samples += len(pcm)
	p.mu.Unlock()
}
func (p *fakePlayer) EndSpeech(string)                      {}
func (p *fakePlayer) Interrupt(string)                      {}
func (p *fakePlayer) SetLipSyncHandler(func(audio.LipSync)) {}
func (p *fakePlayer) SetMuted(m bool) {
	p.mu.Lock()
	p.muted = m
	p.mu.Unlock()
}
func (p *fakePlayer) Run(ctx context.Context) {
	p.mu.Lock()
	p.running = true
	p.mu.Unlock()
	<-ctx.Done()
	p.mu.Lock()
	p.running = false
	p.mu.Unlock()
}
func (p *fakePlayer) got() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.samples
}

type rig struct {
	t      *testing.T
	ctl    *desktopctl.Controls
	hub    *session.Hub
	srv    *httptest.Server
	tts    *ttstest.Server
	player *fakePlayer
	opened int
}

const name = "小天"

func newRig(t *testing.T) *rig { return newRigWith(t, false) }

// newRigWith makes a rig; realPlayer leaves the local player to the
// default (audio.NewPlayer on the ALSA default device).
func newRigWith(t *testing.T, realPlayer bool) *rig {
	t.Helper()
	store, err := config.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = store.UpdateCharacters(func(c *config.Characters) error {
		c.List = append(c.List, &config.Character{Name: name, Profile: config.NewObject()})
		return nil
	})
	prov := llmtest.New(t)
	prov.ScriptChat(func(llmtest.ChatRequest) llmtest.ChatReply {
		return llmtest.ChatReply{Chunks: []string{"你好，", "哥哥！"}}
	})
	r := &rig{t: t, player: &fakePlayer{}}
	r.tts = ttstest.NewOpenAI(ttstest.Script{Chunks: 2, ChunkMillis: 10})
	t.Cleanup(r.tts.Close)
	cfg := desktopctl.Config{OpenPlayer: func(*slog.Logger) desktopctl.Player {
		r.opened++
		return r.player
	}}
	if realPlayer {
		cfg = desktopctl.Config{Log: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	}
	r.ctl = desktopctl.New(cfg)
	r.hub = session.NewHub(session.Deps{
		Characters: store.Characters,
		Endpoint: func(role string) llm.RoleEndpoint {
			if role == llm.RoleRealtime {
				return llm.RoleEndpoint{} // voice runs as a cascade
			}
			return llm.RoleEndpoint{Endpoint: llm.Endpoint{BaseURL: prov.BaseURL(), Model: "test-model", APIKey: "k"}}
		},
		TTS: r.ctl.TTS(func(string) (tts.Engine, error) {
			return tts.NewOpenAI(tts.OpenAIConfig{BaseURL: r.tts.URL + "/v1", APIKey: "k"}), nil
		}),
		Fanout:       r.ctl.Fanout(),
		Desktop:      r.ctl,
		TextGuardMax: func() int { return 300 },
	})
	r.ctl.SetNotify(func(m any) { r.hub.Send("", m) })
	mux := http.NewServeMux()
	mux.Handle("/ws/", r.hub)
	mux.Handle("/api/desktop/controls", r.ctl.Handler())
	r.srv = httptest.NewServer(mux)
	t.Cleanup(func() { r.srv.Close(); r.hub.Close(); r.ctl.Close() })
	return r
}

// set posts the switches the way the desktop app does.
func (r *rig) set(s desktopctl.State) {
	r.t.Helper()
	b, _ := json.Marshal(s)
	resp, err := http.Post(r.srv.URL+"/api/desktop/controls", "application/json", bytes.NewReader(b))
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var got desktopctl.State
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&got) != nil || got != s {
		r.t.Fatalf("POST controls: %s, state %+v (want %+v)", resp.Status, got, s)
	}
}

type (
	client = testutil.WSClient
	frame  = testutil.Frame
)

func (r *rig) dial() *client {
	r.t.Helper()
	c := testutil.DialWS(r.t, "ws"+strings.TrimPrefix(r.srv.URL, "http")+"/ws/"+name, nil)
	// The hub takes the socket as the character's page after the
	// handshake; a pong proves it has (messages sent before are lost).
	c.Send(map[string]any{"action": "ping"})
	c.Until(5*time.Second, typeIs("pong"))
	return c
}

func typeIs(typ string) func(frame) bool {
	return func(f frame) bool { return f.JSON != nil && f.JSON["type"] == typ }
}

func turnEnd(f frame) bool {
	return f.JSON != nil && f.JSON["type"] == "system" && f.JSON["data"] == "turn end"
}

func countBinary(fs []frame) int {
	n := 0
	for _, f := range fs {
		if f.Binary != nil {
			n++
		}
	}
	return n
}

func text(fs []frame) string {
	var b strings.Builder
	for _, f := range fs {
		if f.JSON != nil && f.JSON["type"] == "gemini_response" {
			s, _ := f.JSON["text"].(string)
			b.WriteString(s)
		}
	}
	return b.String()
}

// textTurn runs one typed turn and returns every frame up to the turn end
// and, when wantAudio, up to the first audio frame after it.
func textTurn(c *client, wantAudio bool) []frame {
	c.Send(map[string]any{"action": "stream_data", "input_type": "text", "data": "在吗"})
	got := c.Until(10*time.Second, turnEnd)
	if wantAudio && countBinary(got) == 0 {
		got = append(got, c.Until(10*time.Second, func(f frame) bool { return f.Binary != nil })...)
	}
	return got
}

func TestPagesAreToldOfEveryChange(t *testing.T) {
	r := newRig(t)
	c := r.dial()
	c.Send(map[string]any{"action": "ping"})
	c.Until(5*time.Second, typeIs("pong"))
	r.set(desktopctl.State{MicMuted: true, VoiceMuted: true})
	got := c.Until(5*time.Second, typeIs(desktopctl.MessageType))
	m := got[len(got)-1].JSON
	if m["mic_muted"] != true || m["voice_muted"] != true || m["voice_only"] != false {
		t.Fatalf("message %v", m)
	}
	resp, err := http.Get(r.srv.URL + "/api/desktop/controls")
	if err != nil {
		t.Fatal(err)
	}
	var st desktopctl.State
	_ = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if st != (desktopctl.State{MicMuted: true, VoiceMuted: true}) {
		t.Fatalf("GET state %+v", st)
	}
}

func TestBadRequestsChangeNothing(t *testing.T) {
	r := newRig(t)
	r.set(desktopctl.State{MicMuted: true})
	for _, body := range []string{`{"mic_muted":`, `[1,2]`, `{"mic_muted":false}{"x":1}`, `{"mic_muted":"` + strings.Repeat("x", 8<<10) + `"}`} {
		resp, err := http.Post(r.srv.URL+"/api/desktop/controls", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("body %.20q: %s", body, resp.Status)
		}
	}
	req, _ := http.NewRequest(http.MethodDelete, r.srv.URL+"/api/desktop/controls", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("DELETE: %s", resp.Status)
	}
	if st := r.ctl.State(); st != (desktopctl.State{MicMuted: true}) {
		t.Fatalf("state changed by bad requests: %+v", st)
	}
}

// A muted mic is not heard: its frames start no session; unmuted, the same
// frame does.
func TestMutedMicFramesAreDropped(t *testing.T) {
	r := newRig(t)
	r.set(desktopctl.State{MicMuted: true})
	c := r.dial()
	pcm := make([]byte, 960*2) // 10 ms at 48 kHz
	for i := range pcm {
		pcm[i] = byte(i * 7)
	}
	for range 20 {
		c.SendBinary(pcm)
	}
	c.Send(map[string]any{"action": "stream_data", "input_type": "audio", "data": []int{1, 2, 3}})
	c.Send(map[string]any{"action": "ping"}) // handled after the frames, in order
	got := c.Until(5*time.Second, typeIs("pong"))
	if r.hub.Active(name) {
		t.Fatal("muted mic audio started a session")
	}
	for _, f := range got {
		if f.JSON != nil && f.JSON["type"] != "pong" {
			t.Fatalf("muted mic audio got an answer: %v", f.JSON)
		}
	}
	r.set(desktopctl.State{})
	c.SendBinary(pcm)
	c.Until(10*time.Second, typeIs("session_preparing")) // heard: a voice session is being started
}

// A muted voice: the reply's text streams, no audio frame reaches the page
// and the TTS provider is not even asked.
func TestMutedVoiceStreamsTextOnly(t *testing.T) {
	r := newRig(t)
	c := r.dial()
	c.Send(map[string]any{"action": "start_session", "input_type": "text"})
	c.Until(5*time.Second, typeIs("session_started"))
	if got := textTurn(c, true); countBinary(got) == 0 {
		t.Fatal("no audio before muting") // the rig speaks
	}
	c.Drain(300 * time.Millisecond)
	asked := len(r.tts.Texts())

	r.set(desktopctl.State{VoiceMuted: true})
	c.Send(map[string]any{"action": "start_session", "input_type": "text", "new_session": true})
	c.Until(5*time.Second, typeIs("session_started"))
	got := textTurn(c, false)
	got = append(got, c.Drain(500*time.Millisecond)...)
	if text(got) != "你好，哥哥！" {
		t.Fatalf("text %q", text(got))
	}
	if n := countBinary(got); n != 0 {
		t.Fatalf("%d audio frames while her voice is muted", n)
	}
	for _, f := range got {
		if f.JSON != nil && f.JSON["type"] == "audio_chunk" {
			t.Fatal("audio_chunk while her voice is muted")
		}
	}
	if n := len(r.tts.Texts()); n != asked {
		t.Fatalf("TTS asked %d more times while muted", n-asked)
	}
	if r.opened != 0 {
		t.Fatal("the local player was opened without voice-only")
	}
}

// Voice-only: speech goes to the local player, not to the page.
func TestVoiceOnlyPlaysLocally(t *testing.T) {
	r := newRig(t)
	c := r.dial()
	r.set(desktopctl.State{VoiceOnly: true})
	c.Until(5*time.Second, typeIs(desktopctl.MessageType))
	c.Send(map[string]any{"action": "start_session", "input_type": "text"})
	c.Until(5*time.Second, typeIs("session_started"))
	got := textTurn(c, false)
	deadline := time.Now().Add(10 * time.Second)
	const whole = 2 * 480 // the test voice: two 10 ms chunks at 48 kHz
	for r.player.got() < whole && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if r.player.got() < whole {
		t.Fatalf("local player got %d samples", r.player.got())
	}
	got = append(got, c.Drain(300*time.Millisecond)...)
	if n := countBinary(got); n != 0 {
		t.Fatalf("%d audio frames reached the page in voice-only mode", n)
	}
	if text(got) != "你好，哥哥！" {
		t.Fatalf("text %q", text(got))
	}
	// Muting the voice in voice-only mode silences the player too; the
	// player is opened once.
	r.set(desktopctl.State{VoiceOnly: true, VoiceMuted: true})
	r.set(desktopctl.State{VoiceOnly: true})
	if r.opened != 1 {
		t.Fatalf("player opened %d times", r.opened)
	}
}

// Speech that does not come from TTS (a realtime model's own audio) is
// silenced by the fan-out: neither the page nor the local player gets it.
func TestMutedVoiceSilencesModelAudio(t *testing.T) {
	r := newRig(t)
	c := r.dial()
	r.set(desktopctl.State{VoiceOnly: true, VoiceMuted: true})
	c.Until(5*time.Second, typeIs(desktopctl.MessageType))
	pcm := make([]int16, 960)
	for i := range pcm {
		pcm[i] = int16(i * 13)
	}
	waitAttached(t, r)
	r.ctl.Fanout().PCM(name, "rt-1", pcm)
	r.set(desktopctl.State{VoiceMuted: true})
	r.ctl.Fanout().PCM(name, "rt-2", pcm)
	got := c.Drain(300 * time.Millisecond)
	if n := countBinary(got); n != 0 || r.player.got() != 0 {
		t.Fatalf("muted: %d frames to the page, %d samples to the player", n, r.player.got())
	}
	r.set(desktopctl.State{})
	r.ctl.Fanout().PCM(name, "rt-3", pcm)
	c.Until(5*time.Second, func(f frame) bool { return f.Binary != nil })
}

// waitAttached waits until the rig's page is attached to the fan-out.
func waitAttached(t *testing.T, r *rig) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for r.ctl.Fanout().Clients(name) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the page never attached to the fan-out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
