package audio_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"neko/backend/audio"
)

func mustMic(t testing.TB, cfg audio.MicConfig) *audio.Mic {
	t.Helper()
	m, err := audio.NewMic(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func jsonArray(s []int16) json.RawMessage {
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(v)))
	}
	b.WriteByte(']')
	return json.RawMessage(b.String())
}

func toneInt16(n, rate int, freq, amp float64) []int16 {
	return audio.Float32ToInt16(nil, sine(n, rate, freq, amp))
}

func TestMicJSONDesktopFramesAreResampledTo16k(t *testing.T) {
	m := mustMic(t, audio.MicConfig{DisableAGC: true})
	in := toneInt16(48000, 48000, 440, 0.25) // 1 s in 100 frames of 480
	var out []byte
	for off := 0; off < len(in); off += 480 {
		var info audio.MicFrame
		var err error
		out, info, err = m.JSONFrame(out, jsonArray(in[off:off+480]))
		if err != nil {
			t.Fatal(err)
		}
		if info.InRate != 48000 {
			t.Fatalf("480-sample frame read as %d Hz", info.InRate)
		}
	}
	got := audio.Int16ToFloat32(nil, audio.BytesToInt16LE(nil, out))
	// The resampler is delay-compensated: everything but its look-ahead is
	// out, lined up with a 16 kHz sine.
	want := sine(len(got), 16000, 440, 0.25)
	if len(got) < 15000 || len(got) > 16000 {
		t.Fatalf("%d samples at 16 kHz from 1 s", len(got))
	}
	if c := correlation(got[1000:], want[1000:]); c < 0.99999 {
		t.Fatalf("16 kHz output correlates %.6f with the expected sine", c)
	}
}

func TestMicMobileFramesPassAt16k(t *testing.T) {
	m := mustMic(t, audio.MicConfig{DisableAGC: true})
	in := toneInt16(512, 16000, 300, 0.2)
	out, info, err := m.JSONFrame(nil, jsonArray(in))
	if err != nil {
		t.Fatal(err)
	}
	if info.InRate != 16000 || !bytes.Equal(out, audio.Int16ToBytesLE(nil, in)) {
		t.Fatalf("512-sample frame at %d Hz changed on the way", info.InRate)
	}
}

func TestMicBinaryFramesMatchJSONFrames(t *testing.T) {
	a := mustMic(t, audio.MicConfig{})
	b := mustMic(t, audio.MicConfig{})
	in := toneInt16(9600, 48000, 700, 0.05)
	var ja, jb []byte
	for off := 0; off < len(in); off += 480 {
		var err error
		if ja, _, err = a.JSONFrame(ja, jsonArray(in[off:off+480])); err != nil {
			t.Fatal(err)
		}
		if jb, _, err = b.BinaryFrame(jb, audio.Int16ToBytesLE(nil, in[off:off+480])); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(ja, jb) {
		t.Fatal("binary and JSON frames of the same audio differ")
	}
}

func TestMicRefusesBadFrames(t *testing.T) {
	m := mustMic(t, audio.MicConfig{})
	for _, bad := range []string{`[1,2,"x"]`, `[1.5,2]`, `[40000]`, `{"a":1}`, `[]`, `null`, `[1,2`, "[" + strings.Repeat("1,", 60000) + "1]"} {
		if _, _, err := m.JSONFrame(nil, json.RawMessage(bad)); !errors.Is(err, audio.ErrMicFrame) {
			t.Errorf("JSON %.20q: err %v", bad, err)
		}
	}
	if _, _, err := m.BinaryFrame(nil, []byte{1, 2, 3}); !errors.Is(err, audio.ErrMicFrame) {
		t.Errorf("odd binary frame: %v", err)
	}
	if _, _, err := m.BinaryFrame(nil, make([]byte, 200000)); !errors.Is(err, audio.ErrMicFrame) {
		t.Errorf("huge binary frame: %v", err)
	}
	if _, err := audio.NewMic(audio.MicConfig{BinaryRate: 44100}); err == nil {
		t.Error("binary rate 44100 accepted")
	}
	// Still works after the refusals.
	if _, _, err := m.JSONFrame(nil, jsonArray(make([]int16, 480))); err != nil {
		t.Fatal(err)
	}
}

func TestMicVADAndAGC(t *testing.T) {
	m := mustMic(t, audio.MicConfig{})
	feed := func(x []int16) (speech int, frames int, out []byte) {
		for off := 0; off+480 <= len(x); off += 480 {
			var info audio.MicFrame
			var err error
			out, info, err = m.JSONFrame(out, jsonArray(x[off:off+480]))
			if err != nil {
				t.Fatal(err)
			}
			if info.Speech {
				speech++
			}
			frames++
		}
		return speech, frames, out
	}
	quietNoise := audio.Float32ToInt16(nil, noise(48000, 0.0005, 11)) // -66 dBFS room noise
	if s, _, _ := feed(quietNoise); s > 0 {
		t.Fatalf("VAD fired on %d frames of quiet noise", s)
	}
	// Quiet speech (-40 dBFS tone) is detected and raised toward -20 dBFS.
	quiet := toneInt16(96000, 48000, 220, 0.01*math.Sqrt2)
	s, n, out := feed(quiet)
	if s != n {
		t.Fatalf("VAD missed %d of %d speech frames", n-s, n)
	}
	tail := audio.Int16ToFloat32(nil, audio.BytesToInt16LE(nil, out[len(out)-6400:]))
	var e float64
	for _, v := range tail {
		e += float64(v) * float64(v)
	}
	level := 10 * math.Log10(e/float64(len(tail)))
	t.Logf("AGC: -40 dBFS input leaves at %.1f dBFS after 2 s", level)
	if level < -24 || level > -18 {
		t.Fatalf("AGC output level %.1f dBFS, want about -20", level)
	}
	// Hangover, then silence is silence again.
	s, n, _ = feed(quietNoise)
	if s == 0 || s > 40 || n-s < 50 {
		t.Fatalf("after speech: %d of %d noise frames counted as speech", s, n)
	}
	// A full-scale square wave is limited to the -1 dBFS ceiling (16 kHz
	// frames, so no resampling overshoot hides the limiter's output).
	sq := make([]int16, 512)
	for i := range sq {
		sq[i] = 32767
		if (i/8)%2 == 0 {
			sq[i] = -32768
		}
	}
	peak := 0.0
	for range 20 {
		out, _, err := m.JSONFrame(nil, jsonArray(sq))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range audio.BytesToInt16LE(nil, out) {
			peak = math.Max(peak, math.Abs(float64(v))/32768)
		}
	}
	t.Logf("limiter: full-scale square peaks at %.3f dBFS", 20*math.Log10(peak))
	if db := 20 * math.Log10(peak); db > -0.99 {
		t.Fatalf("limited output peaks at %.3f dBFS, ceiling -1", db)
	}
}

func FuzzMicJSONFrame(f *testing.F) {
	f.Add([]byte(`[1,2,3]`))
	f.Add([]byte(`[32767,-32768]`))
	m, err := audio.NewMic(audio.MicConfig{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out, info, err := m.JSONFrame(nil, b)
		if err == nil && len(out) != 2*info.Samples {
			t.Fatal("length mismatch")
		}
	})
}

func TestParseInt16ArrayAgreesWithEncodingJSON(t *testing.T) {
	m := mustMic(t, audio.MicConfig{DisableAGC: true})
	if _, _, err := m.JSONFrame(nil, json.RawMessage(`[-32768,32767]`)); err != nil {
		t.Fatalf("int16 extremes refused: %v", err)
	}
	m.Reset()
	// Below the limiter's ceiling the 16 kHz path is sample-exact.
	for _, in := range []string{`[0]`, ` [ -20000 , 20000,0,-1 ] `, "[1,\n2,\t3]", `[-0]`} {
		var want []int16
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatal(err)
		}
		out, _, err := m.JSONFrame(nil, json.RawMessage(in))
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if got := audio.BytesToInt16LE(nil, out); !slices.Equal(got, want) {
			t.Fatalf("%q: got %v want %v", in, got, want)
		}
	}
	for _, bad := range []string{`[32768]`, `[-32769]`, `[01]`, `[1,]`, `[,1]`, `[1 2]`, `[1e3]`, `[-]`, `[1]x`, `[99999999999999999999]`} {
		if _, _, err := m.JSONFrame(nil, json.RawMessage(bad)); !errors.Is(err, audio.ErrMicFrame) {
			t.Errorf("%q accepted", bad)
		}
	}
}
