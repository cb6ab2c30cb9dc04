package session_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"neko/backend/bridge"
	"neko/backend/config"
	"neko/backend/llm"
	"neko/backend/llm/llmtest"
	"neko/backend/session"
	"neko/backend/testutil"
	"neko/backend/tts"
	"neko/backend/tts/ttstest"
)

// fakeMemory records what the engine sends to the memory server.
type fakeMemory struct {
	mu      sync.Mutex
	cached  [][]session.Turn
	settled [][]session.Turn
	fail    error // when set, Cache and Settle fail without storing
	calls   int   // Cache and Settle calls, failed ones included
}

func (f *fakeMemory) NewDialog(ctx context.Context, name string) (string, error) {
	return "先前对话的备忘录: " + name + " likes tea", nil
}
func (f *fakeMemory) Cache(ctx context.Context, name string, t []session.Turn) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail != nil {
		return f.fail
	}
	f.cached = append(f.cached, t)
	return nil
}
func (f *fakeMemory) Settle(ctx context.Context, name string, t []session.Turn) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail != nil {
		return f.fail
	}
	f.settled = append(f.settled, t)
	return nil
}

type rig struct {
	t    testing.TB
	prov *llmtest.Server
	tts  *ttstest.Server
	hub  *session.Hub
	srv  *httptest.Server
	mem  *fakeMemory
	mu   sync.Mutex
	sent []bridge.Event
}

func newRig(t *testing.T) *rig { return newRigWith(t, true) }

// swapNow makes every realtime turn end advance the hot swap.
var swapNow = false

// newRigWith makes a rig; without realtime, voice runs as a cascade
// (VAD → the test provider's /v1/audio/transcriptions → chat → TTS).
func newRigWith(t testing.TB, realtime bool, setup ...func(*config.Characters)) *rig {
	t.Helper()
	store, err := config.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = store.UpdateCharacters(func(c *config.Characters) error {
		ch := &config.Character{Name: "小天", Profile: config.NewObject()}
		c.List = append(c.List, ch)
		for _, f := range setup {
			f(c)
		}
		return nil
	})
	r := &rig{t: t, prov: llmtest.New(t), mem: &fakeMemory{}}
	_ = realtime
	r.tts = ttstest.NewOpenAI(ttstest.Script{Chunks: 2, ChunkMillis: 20})
	t.Cleanup(r.tts.Close)
	r.hub = session.NewHub(session.Deps{
		Characters: store.Characters,
		Endpoint: func(role string) llm.RoleEndpoint {
			if role == llm.RoleRealtime && !realtime {
				return llm.RoleEndpoint{}
			}
			if role == llm.RoleRealtime {
				return llm.RoleEndpoint{Endpoint: llm.Endpoint{BaseURL: r.prov.RealtimeURL(), Model: "gpt-realtime", APIKey: "k"}, APIType: "openai"}
			}
			return llm.RoleEndpoint{Endpoint: llm.Endpoint{BaseURL: r.prov.BaseURL(), Model: "test-model", APIKey: "k"}}
		},
		Memory: r.mem,
		Analyze: func(ctx context.Context, ev bridge.Event) (string, error) {
			r.mu.Lock()
			r.sent = append(r.sent, ev)
			r.mu.Unlock()
			return "id", nil
		},
		TTS: func(string) (tts.Engine, error) {
			return tts.NewOpenAI(tts.OpenAIConfig{BaseURL: r.tts.URL + "/v1", APIKey: "k"}), nil
		},
		TextGuardMax: func() int { return 300 },
		HotSwapAfter: swapDelay(), HotSwapPrepare: swapDelay(),
		Transcriber: func() llm.Transcriber {
			return llm.NewTranscriptionClient(llm.Endpoint{BaseURL: r.prov.BaseURL(), Model: "whisper-1", APIKey: "k"})
		},
	})
	r.srv = httptest.NewServer(r.hub)
	t.Cleanup(func() { r.srv.Close(); r.hub.Close() })
	return r
}

// client is a real WebSocket client playing the page; frame is one message.
type (
	client = testutil.WSClient
	frame  = testutil.Frame
)

func (r *rig) dial(name string) *client {
	r.t.Helper()
	return testutil.DialWS(r.t, "ws"+strings.TrimPrefix(r.srv.URL, "http")+"/ws/"+name, nil)
}

func typeIs(typ string) func(frame) bool {
	return func(f frame) bool { return f.JSON != nil && f.JSON["type"] == typ }
}

func turnEnd(f frame) bool {
	return f.JSON != nil && f.JSON["type"] == "system" && f.JSON["data"] == "turn end"
}

func describe(fs []frame) string { return testutil.Describe(fs) }

func TestTextTurnStreamsTextAndSpeech(t *testing.T) {
	r := newRig(t)
	r.prov.ScriptChat(func(req llmtest.ChatRequest) llmtest.ChatReply {
		return llmtest.ChatReply{Chunks: []string{"你好，", "哥哥！", "今天喝茶吗？"}}
	})
	c := r.dial("小天")
	c.Send(map[string]any{"action": "start_session", "input_type": "text"})
	c.Until(5*time.Second, typeIs("session_started"))
	c.Send(map[string]any{"action": "stream_data", "input_type": "text", "data": "在吗"})
	got := c.Until(10*time.Second, turnEnd)

	var text strings.Builder
	first := -1
	for i, f := range got {
		if f.JSON["type"] == "gemini_response" {
			if first < 0 {
				first = i
				if f.JSON["isNewMessage"] != true {
					t.Errorf("first delta not isNewMessage")
				}
			}
			text.WriteString(f.JSON["text"].(string))
		}
	}
	if text.String() != "你好，哥哥！今天喝茶吗？" {
		t.Fatalf("streamed text %q\n%s", text.String(), describe(got))
	}
	if got[0].JSON["type"] != "user_activity" {
		t.Errorf("user_activity not first: %s", describe(got[:1]))
	}
	// TTS audio arrives as audio_chunk + exactly one binary frame.
	more := c.Until(10*time.Second, func(f frame) bool { return f.Binary != nil })
	all := append(got, more...)
	pairs := 0
	for i, f := range all {
		if f.JSON != nil && f.JSON["type"] == "audio_chunk" {
			if i+1 >= len(all) || all[i+1].Binary == nil {
				t.Fatalf("audio_chunk not followed by a binary frame:\n%s", describe(all))
			}
			pairs++
		}
	}
	if pairs == 0 {
		t.Fatal("no audio pairs")
	}
	// The prompt carried the memory context; memory got the turn.
	reqs := r.prov.Requests()
	if len(reqs) == 0 || !strings.Contains(reqs[0].Messages[0].Content, "likes tea") {
		t.Fatalf("prompt lacks memory: %+v", reqs)
	}
	waitFor(t, func() bool {
		r.mem.mu.Lock()
		defer r.mem.mu.Unlock()
		return len(r.mem.cached) == 1 && len(r.mem.cached[0]) == 2 && r.mem.cached[0][0].Text == "在吗"
	})
	waitFor(t, func() bool { r.mu.Lock(); defer r.mu.Unlock(); return len(r.sent) == 1 && r.sent[0].Name() == "小天" })
	// Ending the session settles it: the turns already cached are not sent
	// again (the memory server summarises its whole open session).
	c.Send(map[string]any{"action": "end_session"})
	waitFor(t, func() bool {
		r.mem.mu.Lock()
		defer r.mem.mu.Unlock()
		return len(r.mem.settled) == 1 && len(r.mem.settled[0]) == 0 && len(r.mem.cached) == 1
	})
}

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A new user message mid-reply: user_activity names the old speech id first,
// and after it no frame of the old turn reaches the client.
func TestBargeInDropsOldSpeech(t *testing.T) {
	r := newRig(t)
	var n int
	var mu sync.Mutex
	r.prov.ScriptChat(func(req llmtest.ChatRequest) llmtest.ChatReply {
		mu.Lock()
		defer mu.Unlock()
		n++
		if n == 1 {
			chunks := make([]string, 40)
			for i := range chunks {
				chunks[i] = "很长的回答。"
			}
			return llmtest.ChatReply{Chunks: chunks, ChunkDelay: 30 * time.Millisecond}
		}
		return llmtest.ChatReply{Chunks: []string{"好的。"}}
	})
	c := r.dial("小天")
	c.Send(map[string]any{"action": "start_session", "input_type": "text"})
	c.Until(5*time.Second, typeIs("session_started"))
	c.Send(map[string]any{"action": "stream_data", "input_type": "text", "data": "讲个长故事"})
	before := c.Until(10*time.Second, func(f frame) bool { return f.Binary != nil }) // old speech is playing
	var oldID string
	for _, f := range before {
		if f.JSON != nil && f.JSON["type"] == "audio_chunk" {
			oldID = f.JSON["speech_id"].(string)
		}
	}
	c.Send(map[string]any{"action": "stream_data", "input_type": "text", "data": "停"})
	seenActivity := false
	after := c.Until(10*time.Second, func(f frame) bool {
		if f.JSON != nil && f.JSON["type"] == "user_activity" && f.JSON["interrupted_speech_id"] == oldID {
			seenActivity = true
		}
		return seenActivity && turnEnd(f)
	})
	started := false
	for i, f := range after {
		if f.JSON != nil && f.JSON["type"] == "user_activity" && f.JSON["interrupted_speech_id"] == oldID {
			started = true
			continue
		}
		if !started {
			continue
		}
		if f.JSON != nil && f.JSON["type"] == "audio_chunk" && f.JSON["speech_id"] == oldID {
			t.Fatalf("frame %d of the interrupted speech after user_activity", i)
		}
		if f.JSON != nil && f.JSON["type"] == "gemini_response" && strings.Contains(f.JSON["text"].(string), "很长") {
			t.Fatalf("old text after user_activity")
		}
	}
}

func TestErrorsMapToStatusCodes(t *testing.T) {
	for status, code := range map[int]string{401: "API_KEY_REJECTED", 429: "API_RATE_LIMIT"} {
		r := newRig(t)
		r.prov.ScriptChat(func(req llmtest.ChatRequest) llmtest.ChatReply { return llmtest.ChatReply{Status: status} })
		c := r.dial("小天")
		c.Send(map[string]any{"action": "stream_data", "input_type": "text", "data": "hi"})
		got := c.Until(10*time.Second, func(f frame) bool {
			return f.JSON != nil && f.JSON["type"] == "status" && strings.Contains(f.JSON["message"].(string), code)
		})
		if len(got) == 0 {
			t.Fatalf("%d: no status", status)
		}
	}
}

func TestUnknownCharacterAndSecondTerminal(t *testing.T) {
	r := newRig(t)
	c := r.dial("nobody")
	got := c.Until(3*time.Second, typeIs("catgirl_switched"))
	if f := got[len(got)-1]; f.JSON["old_catgirl"] != "nobody" || f.JSON["new_catgirl"] != "test" {
		t.Fatalf("catgirl_switched = %v", f.JSON)
	}
	a := r.dial("小天")
	a.Send(map[string]any{"action": "ping"})
	a.Until(3*time.Second, typeIs("pong"))
	b := r.dial("小天")
	b.Send(map[string]any{"action": "ping"})
	b.Until(3*time.Second, typeIs("pong"))
	// The older terminal is told and closed.
	got = a.Until(3*time.Second, func(f frame) bool {
		return f.JSON != nil && f.JSON["type"] == "status" && strings.Contains(f.JSON["message"].(string), "CHARACTER_SWITCHING_TERMINAL")
	})
	_ = got
	a.Send(map[string]any{"action": "bogus"})
	b.Send(map[string]any{"action": "bogus"})
	b.Until(3*time.Second, func(f frame) bool {
		return f.JSON != nil && f.JSON["type"] == "status" && strings.Contains(f.JSON["message"].(string), "UNKNOWN_ACTION")
	})
}

func TestTwoCharactersAtOnceAreIsolated(t *testing.T) {
	r := newRig(t)
	r.prov.ScriptChat(func(req llmtest.ChatRequest) llmtest.ChatReply {
		return llmtest.ChatReply{Text: "reply to " + req.LastUser()}
	})
	a, b := r.dial("小天"), r.dial("test")
	a.Send(map[string]any{"action": "stream_data", "input_type": "text", "data": "from-a"})
	b.Send(map[string]any{"action": "stream_data", "input_type": "text", "data": "from-b"})
	for _, x := range []struct {
		c          *client
		mine, them string
	}{{a, "from-a", "from-b"}, {b, "from-b", "from-a"}} {
		got := x.c.Until(10*time.Second, turnEnd)
		s := describe(got)
		if !strings.Contains(s, x.mine) || strings.Contains(s, x.them) {
			t.Fatalf("cross-talk: %s", s)
		}
	}
}

func TestAgentResultIsToldInCharacter(t *testing.T) {
	r := newRig(t)
	r.prov.ScriptChat(func(req llmtest.ChatRequest) llmtest.ChatReply {
		last := req.LastUser()
		if strings.Contains(last, "天气预报") {
			return llmtest.ChatReply{Text: "哥哥，我查好了：明天晴。"}
		}
		return llmtest.ChatReply{Text: "嗯。"}
	})
	c := r.dial("小天")
	c.Send(map[string]any{"action": "stream_data", "input_type": "text", "data": "帮我查天气"})
	c.Until(10*time.Second, turnEnd)
	ok := true
	ev := bridge.Event{EventType: bridge.TypeTaskResult, LanlanName: bridge.For("小天"), Text: "done", Summary: "天气预报：明天晴", Status: "completed", Success: &ok}
	r.hub.AgentEvent(bridge.Route(ev, r.hub.HasSession), ev)
	got := c.Until(10*time.Second, func(f frame) bool {
		return f.JSON != nil && f.JSON["type"] == "gemini_response" && strings.Contains(f.JSON["text"].(string), "明天晴")
	})
	if !strings.Contains(describe(got), "agent_notification") {
		t.Fatalf("no toast: %s", describe(got))
	}
	// A result for a character without a page is dropped, not broadcast.
	other := bridge.Event{EventType: bridge.TypeTaskResult, LanlanName: bridge.For("ghost"), Text: "secret"}
	if d := bridge.Route(other, r.hub.HasSession); d != bridge.Drop {
		t.Fatalf("delivery %v", d)
	}
}

func TestRealtimeVoiceTurn(t *testing.T) {
	r := newRig(t)
	pcm := make([]byte, 4800) // 100 ms of 24 kHz PCM16
	for i := range pcm {
		pcm[i] = byte(i * 7)
	}
	r.prov.ScriptRealtime(func(req llmtest.RealtimeRequest) llmtest.RealtimeReply {
		return llmtest.RealtimeReply{Chunks: []string{"听到了", "哥哥"}, Audio: [][]byte{pcm, pcm}}
	})
	c := r.dial("小天")
	c.Send(map[string]any{"action": "start_session", "input_type": "audio"})
	c.Until(10*time.Second, typeIs("session_started"))
	var conn *llmtest.RealtimeConn
	select {
	case conn = <-r.prov.RealtimeConns():
	case <-time.After(5 * time.Second):
		t.Fatal("no realtime connection")
	}
	// Mic frames: JSON int16 arrays at 48 kHz and binary PCM16.
	micFrame := make([]int, 480)
	for i := range micFrame {
		micFrame[i] = (i % 50) * 200
	}
	for i := 0; i < 20; i++ {
		c.Send(map[string]any{"action": "stream_data", "input_type": "audio", "data": micFrame})
	}
	bin := make([]byte, 960)
	c.SendBinary(bin)
	waitFor(t, func() bool { return conn.ReceivedAudio() > 0 })
	conn.SpeechStarted()
	conn.InputTranscript("你听得到吗")
	conn.SpeechStopped()
	conn.Respond()
	got := c.Until(10*time.Second, turnEnd)
	if s := describe(got); !strings.Contains(s, "<binary>") {
		// Audio pairs travel on their own writer: they may follow turn end.
		got = append(got, c.Until(10*time.Second, func(f frame) bool { return f.Binary != nil })...)
	}
	s := describe(got)
	if !strings.Contains(s, "user_transcript") || !strings.Contains(s, "听到了") || !strings.Contains(s, "<binary>") {
		t.Fatalf("voice turn:\n%s", s)
	}
	// Barge-in during a voice reply: the provider's VAD hears the user, the
	// response is cancelled, and no audio of the old speech follows.
	r.prov.ScriptRealtime(func(req llmtest.RealtimeRequest) llmtest.RealtimeReply {
		chunks := make([]string, 30)
		audio := make([][]byte, 30)
		for i := range chunks {
			chunks[i], audio[i] = "很长的话", pcm
		}
		return llmtest.RealtimeReply{Chunks: chunks, Audio: audio, Delay: 30 * time.Millisecond}
	})
	conn.Respond()
	// Barge in once the long reply is playing: its text has arrived (the
	// response has begun) and then an audio pair of it (the first turn's
	// last pair may still have been on its way before).
	oldID, playing := "", false
	c.Until(10*time.Second, func(f frame) bool {
		switch {
		case f.JSON != nil && f.JSON["type"] == "gemini_response" && f.JSON["text"] == "很长的话":
			playing = true
		case playing && f.JSON != nil && f.JSON["type"] == "audio_chunk":
			oldID, _ = f.JSON["speech_id"].(string)
		}
		return oldID != ""
	})
	conn.SpeechStarted()
	conn.SpeechStopped()
	c.Until(10*time.Second, func(f frame) bool {
		return f.JSON != nil && f.JSON["type"] == "user_activity" && f.JSON["interrupted_speech_id"] == oldID
	})
	conn.WaitType(5*time.Second, "response.cancel")
	deadline := time.After(500 * time.Millisecond)
drain:
	for {
		select {
		case f := <-c.Frames:
			if f.JSON != nil && f.JSON["type"] == "audio_chunk" && f.JSON["speech_id"] == oldID {
				t.Fatal("audio of the interrupted voice reply after user_activity")
			}
		case <-deadline:
			break drain
		}
	}
	// The provider drops: the page is told and the next input starts anew.
	conn.CloseWith(1011, "internal error")
	c.Until(10*time.Second, typeIs("session_ended_by_server"))
	// The next input starts a new session by itself.
	c.Send(map[string]any{"action": "stream_data", "input_type": "audio", "data": micFrame})
	c.Until(10*time.Second, typeIs("session_started"))
	select {
	case <-r.prov.RealtimeConns():
	case <-time.After(5 * time.Second):
		t.Fatal("no new realtime session after the provider dropped")
	}
}

// Voice without a realtime model: the user's utterance is cut by VAD,
// transcribed, answered by the chat model and spoken by TTS; speaking again
// while she talks interrupts her.
func TestCascadedVoiceTurn(t *testing.T) {
	r := newRigWith(t, false)
	r.prov.ScriptTranscription(func(req llmtest.TranscriptionRequest) llmtest.TranscriptionReply {
		return llmtest.TranscriptionReply{Text: "今天天气怎么样"}
	})
	r.prov.ScriptChat(func(req llmtest.ChatRequest) llmtest.ChatReply {
		if req.LastUser() != "今天天气怎么样" {
			return llmtest.ChatReply{Text: "wrong input: " + req.LastUser()}
		}
		return llmtest.ChatReply{Chunks: []string{"今天是晴天，", "适合散步。"}}
	})
	c := r.dial("小天")
	c.Send(map[string]any{"action": "start_session", "input_type": "audio"})
	c.Until(5*time.Second, typeIs("session_started"))
	silence := make([]int, 480)
	tone := make([]int, 480)
	for i := range tone {
		tone[i] = int(8000 * math.Sin(2*math.Pi*440*float64(i)/48000))
	}
	send := func(frame []int, n int) {
		for i := 0; i < n; i++ {
			c.Send(map[string]any{"action": "stream_data", "input_type": "audio", "data": frame})
		}
	}
	send(silence, 30) // 300 ms: the noise floor
	send(tone, 80)    // 800 ms of "speech"
	send(silence, 80) // the VAD's hangover ends the utterance
	got := c.Until(15*time.Second, turnEnd)
	s := describe(got)
	if !strings.Contains(s, "user_transcript") || !strings.Contains(s, "今天是晴天") {
		t.Fatalf("cascaded turn:\n%s", s)
	}
	reqs := r.prov.TranscriptionRequests()
	if len(reqs) != 1 || len(reqs[0].Audio) < 16000 {
		t.Fatalf("transcription uploads: %d", len(reqs))
	}
}

func swapDelay() time.Duration {
	if swapNow {
		return time.Nanosecond
	}
	return 0
}

// A long voice session renews its context: the session so far is settled
// into memory, a new realtime session is prepared with the fresh memory and
// the lines since, and at a turn end the conversation moves to it; mic audio
// from then on — including what arrives during the swap — goes to the new
// session, none to the old.
func TestHotSwapMovesAudioToTheNewSession(t *testing.T) {
	swapNow = true
	defer func() { swapNow = false }()
	r := newRig(t)
	r.prov.ScriptRealtime(func(req llmtest.RealtimeRequest) llmtest.RealtimeReply {
		return llmtest.RealtimeReply{Chunks: []string{"好的"}}
	})
	c := r.dial("小天")
	c.Send(map[string]any{"action": "start_session", "input_type": "audio"})
	c.Until(10*time.Second, typeIs("session_started"))
	first := <-r.prov.RealtimeConns()
	micFrame := make([]int, 480)
	for i := range micFrame {
		micFrame[i] = (i % 40) * 300
	}
	turn := func(conn *llmtest.RealtimeConn, said string) {
		t.Helper()
		conn.SpeechStarted()
		conn.InputTranscript(said)
		conn.SpeechStopped()
		conn.Respond()
		c.Until(10*time.Second, turnEnd)
	}
	turn(first, "第一句") // triggers the renewal: the session so far is settled
	waitFor(t, func() bool { r.mem.mu.Lock(); defer r.mem.mu.Unlock(); return len(r.mem.settled) == 1 })
	turn(first, "第二句") // prepares the next session
	var second *llmtest.RealtimeConn
	select {
	case second = <-r.prov.RealtimeConns():
	case <-time.After(10 * time.Second):
		t.Fatal("no second realtime session was prepared")
	}
	second.WaitType(5*time.Second, "response.create") // its warm-up: it is ready
	time.Sleep(100 * time.Millisecond)
	turn(first, "第三句") // swaps
	oldAudio := first.ReceivedAudio()
	for i := 0; i < 30; i++ {
		c.Send(map[string]any{"action": "stream_data", "input_type": "audio", "data": micFrame})
	}
	waitFor(t, func() bool { return second.ReceivedAudio() > 0 })
	time.Sleep(200 * time.Millisecond)
	if got := first.ReceivedAudio(); got != oldAudio {
		t.Fatalf("the old session got %d bytes of audio after the swap", got-oldAudio)
	}
	// The new session was told the lines said since it was prepared.
	if ev := second.WaitFor(5*time.Second, func(ev map[string]any) bool {
		b, _ := json.Marshal(ev)
		return strings.Contains(string(b), "第三句")
	}); ev == nil {
		t.Fatal("the new session was not told the lines since it was prepared")
	}
	// The next turn runs on the new session.
	turn(second, "第四句")
}

func newRigB(b *testing.B, _ *testing.T, setup ...func(*config.Characters)) *rig {
	return newRigWith(b, true, setup...)
}

func (r *rig) dialB(_ *testing.B, name string) *client { return r.dial(name) }
