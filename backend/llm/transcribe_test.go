package llm_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"neko/backend/llm"
	"neko/backend/llm/llmtest"
	"neko/backend/testutil"
)

func TestTranscriptionClient(t *testing.T) {
	s := llmtest.New(t)
	s.ScriptTranscription(func(r llmtest.TranscriptionRequest) llmtest.TranscriptionReply {
		if r.Language == "bad" {
			return llmtest.TranscriptionReply{Status: 429}
		}
		return llmtest.TranscriptionReply{Text: " hello there \n"}
	})
	c := llm.NewTranscriptionClient(llm.Endpoint{BaseURL: s.BaseURL(), APIKey: "k", Model: "whisper-1"})
	c.Language = "en"
	pcm := llmtest.PCM16(3200)
	text, err := c.Transcribe(context.Background(), pcm, 16000)
	if err != nil || text != "hello there" {
		t.Fatalf("text %q err %v", text, err)
	}
	r := s.TranscriptionRequests()[0]
	got, rate, err := llm.DecodeWAV(r.Audio)
	if err != nil || rate != 16000 || len(got) != len(pcm) || r.Model != "whisper-1" || r.Language != "en" || r.Filename != "audio.wav" {
		t.Fatalf("upload %+v rate %d err %v", r.Model, rate, err)
	}
	c.Language = "bad"
	if _, err := c.Transcribe(context.Background(), pcm, 16000); llm.ErrorCode(err) != llm.CodeRateLimit {
		t.Fatalf("err %v", err)
	}
	if _, err := c.Transcribe(context.Background(), nil, 16000); err == nil {
		t.Fatal("empty audio must fail")
	}
}

func TestDecodeWAVRejectsGarbage(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("RIFFxxxxWAVE"), []byte("not a wav file at all")} {
		if _, _, err := llm.DecodeWAV(b); err == nil {
			t.Fatalf("accepted %q", b)
		}
	}
}

// TestPocketSphinxTranscribesSpeech speaks a sentence with festival and
// decodes it offline.
func TestPocketSphinxTranscribesSpeech(t *testing.T) {
	text2wave := testutil.RequireTool(t, "text2wave")
	testutil.RequireTool(t, "pocketsphinx_continuous")
	testutil.RequireFile(t, filepath.Join(llm.DefaultSphinxModelDir, "en-us.lm.bin"))
	dir := t.TempDir()
	wav := filepath.Join(dir, "speech.wav")
	cmd := exec.Command(text2wave, "-o", wav)
	cmd.Stdin = strings.NewReader("hello world this is a test")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("text2wave: %v %s", err, out)
	}
	data, err := os.ReadFile(wav)
	if err != nil {
		t.Fatal(err)
	}
	pcm, rate, err := llm.DecodeWAV(data)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := llm.NewPocketSphinx("", dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ps.Transcribe(context.Background(), pcm, rate)
	if err != nil {
		t.Fatal(err)
	}
	hits := 0
	for _, w := range []string{"hello", "world", "test"} {
		if strings.Contains(got, w) {
			hits++
		}
	}
	if hits < 2 {
		t.Fatalf("transcript %q (rate %d)", got, rate)
	}
}
