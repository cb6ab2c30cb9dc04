package tts_test

import (
	"context"
	"math"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"neko/backend/audio"
	"neko/backend/llm"
	"neko/backend/testutil"
	"neko/backend/tts"
	"neko/backend/tts/ttstest"
)

const sltVoiceDir = "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts"

func requireFestival(tb testing.TB) {
	tb.Helper()
	testutil.RequireTool(tb, "festival")
	testutil.RequireFile(tb, sltVoiceDir)
}

// level returns duration in seconds, RMS in dBFS and peak of samples.
func level(s []int16, rate int) (secs, rmsDB float64, peak int) {
	var sum float64
	for _, v := range s {
		f := float64(v)
		sum += f * f
		if a := int(math.Abs(f)); a > peak {
			peak = a
		}
	}
	rms := math.Sqrt(sum / float64(max(1, len(s))))
	return float64(len(s)) / float64(rate), 20 * math.Log10(rms/32768+1e-12), peak
}

func checkSpeech(t *testing.T, s []int16, rate, wantRate int, minSecs, maxSecs float64) {
	t.Helper()
	if rate != wantRate {
		t.Fatalf("rate %d, want %d", rate, wantRate)
	}
	secs, db, peak := level(s, rate)
	t.Logf("%.2f s, RMS %.1f dBFS, peak %d", secs, db, peak)
	if secs < minSecs || secs > maxSecs {
		t.Errorf("duration %.2f s outside [%.1f, %.1f]", secs, minSecs, maxSecs)
	}
	if db < -35 || db > -3 {
		t.Errorf("RMS %.1f dBFS is not a speaking level", db)
	}
	if peak >= 32767 {
		t.Errorf("clipped")
	}
}

func TestOfflineFestivalEnglish(t *testing.T) {
	requireFestival(t)
	o := tts.NewOffline(tts.OfflineConfig{})
	defer o.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := o.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	s, rate, err := o.Synthesize(ctx, `The quick brown fox said "hello" to the lazy dog.`)
	if err != nil {
		t.Fatal(err)
	}
	checkSpeech(t, s, rate, 32000, 1.5, 6)
}

func TestOfflineEspeakOtherLanguages(t *testing.T) {
	testutil.RequireTool(t, "espeak-ng")
	o := tts.NewOffline(tts.OfflineConfig{})
	defer o.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, text := range []string{"你好，今天天气很好。", "こんにちは、元気ですか。", "Привет, как дела?"} {
		s, rate, err := o.Synthesize(ctx, text)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		checkSpeech(t, s, rate, 22050, 0.6, 6)
	}
}

// TestOfflineSpeechIsRecognised speaks a sentence through the whole worker
// (festival, clause streaming, 48 kHz resampling) and checks pocketsphinx
// hears the words.
func TestOfflineSpeechIsRecognised(t *testing.T) {
	requireFestival(t)
	if _, err := exec.LookPath("pocketsphinx"); err != nil {
		testutil.RequireTool(t, "pocketsphinx_continuous")
	}
	testutil.RequireFile(t, llm.DefaultSphinxModelDir)
	w := tts.NewWorker(tts.NewOffline(tts.OfflineConfig{}), tts.WorkerConfig{ReadyTimeout: 30 * time.Second})
	runWorker(t, w)
	expectReady(t, w)
	w.Speak("s1", "Hello there. ")
	w.Speak("s1", "How are you today?")
	w.End()
	var pcm []int16
	for done := false; !done; {
		ev := next(t, w)
		switch ev.Kind {
		case tts.EventAudio:
			pcm = append(pcm, audio.BytesToInt16LE(nil, ev.PCM)...)
		case tts.EventError:
			t.Fatal(ev.Err)
		case tts.EventDone:
			done = true
		}
	}
	checkSpeech(t, pcm, 48000, 48000, 1.2, 6)

	asr, err := llm.NewPocketSphinx("", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	text, err := asr.Transcribe(ctx, audio.Int16ToBytesLE(nil, pcm), 48000)
	if err != nil {
		t.Fatalf("pocketsphinx: %v", err)
	}
	heard := strings.Fields(strings.ToLower(text))
	t.Logf("pocketsphinx heard %q", heard)
	hits := 0
	for _, want := range []string{"hello", "there", "how", "are", "you", "today"} {
		for _, h := range heard {
			if h == want {
				hits++
				break
			}
		}
	}
	if hits < 4 {
		t.Fatalf("recognised %d of 6 words: %q", hits, heard)
	}
}

func TestOfflineInterruptMidUtterance(t *testing.T) {
	requireFestival(t)
	w := tts.NewWorker(tts.NewOffline(tts.OfflineConfig{}), tts.WorkerConfig{ReadyTimeout: 30 * time.Second})
	runWorker(t, w)
	expectReady(t, w)
	w.Speak("old", strings.Repeat("This sentence is long enough to take a while. ", 5))
	for {
		if ev := next(t, w); ev.Kind == tts.EventAudio {
			break
		}
	}
	w.Interrupt()
	w.Speak("new", "Okay.")
	w.End()
	if got := collect(t, w, "new"); got["old"] != 0 || got["new"] == 0 {
		t.Fatalf("after interrupt: %v", got)
	}
}

func TestOSVoiceCommandLines(t *testing.T) {
	c := tts.SayCommand("ja", "/tmp/o.wav")
	if c.Name != "say" || strings.Join(c.Args, " ") != "-v Kyoko --file-format=WAVE --data-format=LEI16@24000 -o /tmp/o.wav -f -" {
		t.Errorf("say: %s %q", c.Name, c.Args)
	}
	c = tts.SayCommand("xx", "/tmp/o.wav")
	if c.Args[0] == "-v" {
		t.Errorf("say with unknown language picked a voice: %q", c.Args)
	}
	c = tts.SAPICommand("zh", `C:\t\o.wav`)
	env := strings.Join(c.Env, "\n")
	if c.Name != "powershell.exe" || !strings.Contains(env, `NEKO_TTS_OUT=C:\t\o.wav`) || !strings.Contains(env, "NEKO_TTS_CULTURE=zh-CN") {
		t.Errorf("sapi: %s %q %q", c.Name, c.Args, c.Env)
	}
	script := c.Args[len(c.Args)-1]
	if c.Args[len(c.Args)-2] != "-Command" || strings.Contains(script, `C:\t`) {
		t.Errorf("sapi args: %q", c.Args)
	}
	for _, want := range []string{"System.Speech", "SetOutputToWaveFile($env:NEKO_TTS_OUT", "22050", "Sixteen", "Mono", "[Console]::In.ReadToEnd()"} {
		if !strings.Contains(script, want) {
			t.Errorf("sapi script lacks %q", want)
		}
	}
	c = tts.EspeakCommand("", tts.EspeakVoiceFor("zh"), "你好")
	if strings.Join(c.Args, " ") != "-v cmn -b 1 --stdout --stdin" || c.Stdin != "你好" {
		t.Errorf("espeak: %q", c.Args)
	}
	if s := tts.FestivalScript(`say "hi" \ now`+"\n", "/tmp/a.wav", 7); !strings.Contains(s, `(SynthText "say \"hi\" \\ now ")`) || !strings.Contains(s, "NEKO_DONE 7") {
		t.Errorf("festival script: %s", s)
	}
}

func benchFirstAudio(b *testing.B, reply string) {
	requireFestival(b)
	w := tts.NewWorker(tts.NewOffline(tts.OfflineConfig{}), tts.WorkerConfig{ReadyTimeout: 30 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = w.Run(ctx) }()
	defer func() { cancel(); <-stopped }()
	if ev := <-w.Events(); !ev.Ready {
		b.Fatal("offline voice not ready")
	}
	var total time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		id := "b" + string(rune('a'+i%26)) + time.Now().String()
		start := time.Now()
		w.Speak(id, reply)
		w.End()
		first := true
		for done := false; !done; {
			ev := <-w.Events()
			switch ev.Kind {
			case tts.EventAudio:
				if first {
					total += time.Since(start)
					first = false
				}
			case tts.EventError:
				b.Fatal(ev.Err)
			case tts.EventDone:
				done = ev.SpeechID == id
			}
		}
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/first-audio")
}

func BenchmarkOfflineFirstAudio(b *testing.B) {
	b.Run("one-clause", func(b *testing.B) { benchFirstAudio(b, "It is so nice to see you again today.") })
	b.Run("five-clauses", func(b *testing.B) {
		benchFirstAudio(b, "It is so nice to see you again today. I was thinking about our walk yesterday. "+
			"The weather was lovely, wasn't it? We should go again soon. Maybe this weekend, if you are free.")
	})
}

// TestOfflineSpeaksBeforeTheReplyEnds checks streaming: audio of the first
// clause arrives while the rest of the reply has not even been written.
func TestOfflineSpeaksBeforeTheReplyEnds(t *testing.T) {
	requireFestival(t)
	w := tts.NewWorker(tts.NewOffline(tts.OfflineConfig{}), tts.WorkerConfig{ReadyTimeout: 30 * time.Second})
	runWorker(t, w)
	expectReady(t, w)
	w.Speak("s1", "Good morning! I was just thinking about")
	for {
		ev := next(t, w)
		if ev.Kind == tts.EventError {
			t.Fatal(ev.Err)
		}
		if ev.Kind == tts.EventAudio && ev.SpeechID == "s1" {
			break
		}
	}
	w.Speak("s1", " our walk yesterday.")
	w.End()
	collect(t, w, "s1")
}

// TestOSCommandRunner runs a command the way say/SAPI are run: text on
// stdin, output path in the environment, WAV read back from the file.
func TestOSCommandRunner(t *testing.T) {
	sh := testutil.RequireTool(t, "sh")
	out := filepath.Join(t.TempDir(), "o.wav")
	wav := string(ttstest.WAV(22050, ttstest.Tone(22050, 100)))
	c := tts.OSCommand{Name: sh, Args: []string{"-c", `cat > "$NEKO_TTS_OUT"`}, Env: []string{"NEKO_TTS_OUT=" + out}, Stdin: wav, OutFile: out}
	s, rate, err := c.Run(context.Background())
	if err != nil || rate != 22050 || len(s) != 2205 {
		t.Fatalf("run: %d samples at %d Hz, %v", len(s), rate, err)
	}
	c = tts.OSCommand{Name: sh, Args: []string{"-c", "echo no voice >&2; exit 3"}}
	if _, _, err := c.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "no voice") {
		t.Fatalf("failing command: %v", err)
	}
}
