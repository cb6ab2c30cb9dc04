package llmtest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"neko/backend/llm/llmtest"
	"neko/backend/tts"
)

// The real OpenAI TTS client speaks to the speech endpoint and receives
// as much audio as SpeechMillis promises.
func TestSpeechWithRealClient(t *testing.T) {
	s := llmtest.New(t)
	eng := tts.NewOpenAI(tts.OpenAIConfig{BaseURL: s.BaseURL(), Model: "test-tts", Voice: "v", APIKey: "k"})
	defer eng.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w := tts.NewWorker(eng, tts.WorkerConfig{})
	go func() { _ = w.Run(ctx) }()
	text := "Hello there, nice to meet you!"
	w.Speak("s1", text)
	w.End()
	var samples int
	// the engine says the text clause by clause; the worker's output is 48 kHz
	want := (llmtest.SpeechMillis("Hello there,") + llmtest.SpeechMillis("nice to meet you!")) * 48
	for done := false; !done; {
		select {
		case ev := <-w.Events():
			switch ev.Kind {
			case tts.EventError:
				t.Fatalf("tts error: %v", ev.Err)
			case tts.EventDone:
				done = true
			}
			samples += len(ev.PCM) / 2
		case <-ctx.Done():
			t.Fatalf("no end of speech; got %d of %d samples", samples, want)
		}
	}
	// the resampler may keep a few milliseconds back at the end
	if samples < want*9/10 || samples > want*11/10 {
		t.Fatalf("got %d samples, want about %d", samples, want)
	}
	if got := strings.Join(s.SpeechTexts(), " "); got != text {
		t.Fatalf("speech texts %q", got)
	}
}

func TestSpeechRejectsBadInput(t *testing.T) {
	s := llmtest.New(t)
	for _, body := range []string{`{`, `{"voice":"v"}`, `{"input":"x"}`} {
		resp, err := http.Post(s.BaseURL()+"/audio/speech", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), `"error"`) {
			t.Fatalf("%s: %d %s", body, resp.StatusCode, b)
		}
	}
}

func TestSpeechWAV(t *testing.T) {
	s := llmtest.New(t)
	resp, err := http.Post(s.BaseURL()+"/audio/speech", "application/json",
		strings.NewReader(`{"model":"m","voice":"v","input":"hi","response_format":"wav"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if string(b[:4]) != "RIFF" || len(b) != 44+llmtest.SpeechMillis("hi")*24*2 {
		t.Fatalf("wav of %d bytes, head %q", len(b), b[:4])
	}
}

func TestDemoChat(t *testing.T) {
	if r := llmtest.DemoChat(llmtest.ChatRequest{JSONMode: true}); !strings.Contains(r.Text, `"happy"`) {
		t.Fatalf("json mode: %q", r.Text)
	}
	long := llmtest.ChatRequest{Messages: []llmtest.ChatMessage{{Role: "user", Content: "tell me a LONG story"}}}
	if r := llmtest.DemoChat(long); r.Text != llmtest.DemoLong {
		t.Fatalf("long: %q", r.Text)
	}
	sum := llmtest.ChatRequest{Messages: []llmtest.ChatMessage{{Role: "user", Content: `返回JSON {"对话摘要": "..."}`}}}
	if r := llmtest.DemoChat(sum); r.Text != `{"对话摘要": "`+llmtest.DemoSummary+`"}` {
		t.Fatalf("summary: %q", r.Text)
	}
	hi := llmtest.ChatRequest{Messages: []llmtest.ChatMessage{{Role: "user", Content: "hi"}}}
	if r := llmtest.DemoChat(hi); r.Text != llmtest.DemoGreeting || r.ChunkDelay == 0 {
		t.Fatalf("greeting: %+v", r)
	}
}

func TestRegisterSpeaker(t *testing.T) {
	s := llmtest.New(t)
	post := func(fields map[string]string, audio []byte) int {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for k, v := range fields {
			_ = mw.WriteField(k, v)
		}
		if audio != nil {
			fw, _ := mw.CreateFormFile("prompt_audio", "a.wav")
			_, _ = fw.Write(audio)
		}
		_ = mw.Close()
		resp, err := http.Post("http://"+s.Addr()+"/v1/speakers/register", mw.FormDataContentType(), &b)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := post(map[string]string{"speaker_id": "mine"}, nil); c != http.StatusUnprocessableEntity {
		t.Fatalf("no audio: %d", c)
	}
	if c := post(map[string]string{"speaker_id": "mine", "prompt_text": "hi"}, []byte("RIFF....")); c != http.StatusOK {
		t.Fatalf("register: %d", c)
	}
	if got := s.Speakers(); len(got) != 1 || got[0] != "mine" {
		t.Fatalf("speakers %q", got)
	}
}

// DemoVAD hears an utterance per `per` bytes of input audio and answers with
// DemoRealtime: transcript deltas and a second of audio.
func TestDemoVAD(t *testing.T) {
	s := llmtest.New(t)
	s.ScriptRealtime(llmtest.DemoRealtime)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go func() {
		select {
		case c := <-s.RealtimeConns():
			llmtest.DemoVAD(ctx, c, 4800)
		case <-ctx.Done():
		}
	}()
	ws, _, err := websocket.DefaultDialer.DialContext(ctx, s.RealtimeURL()+"?model=test-rt", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	audio := base64.StdEncoding.EncodeToString(make([]byte, 4800))
	if err := ws.WriteJSON(map[string]any{"type": "input_audio_buffer.append", "audio": audio}); err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(15 * time.Second))
	var seen []string
	var audioBytes int
	for audioBytes < 48000 {
		var ev map[string]any
		if err := ws.ReadJSON(&ev); err != nil {
			t.Fatalf("after %v: %v", seen, err)
		}
		typ, _ := ev["type"].(string)
		seen = append(seen, typ)
		if d, ok := ev["delta"].(string); ok && strings.HasSuffix(typ, "audio.delta") {
			b, _ := base64.StdEncoding.DecodeString(d)
			audioBytes += len(b)
		}
	}
	got := strings.Join(seen, " ")
	for _, want := range []string{"input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped",
		"conversation.item.input_audio_transcription.completed", "audio_transcript.delta"} {
		if !strings.Contains(got, want) {
			t.Fatalf("no %s in %s", want, got)
		}
	}
}
