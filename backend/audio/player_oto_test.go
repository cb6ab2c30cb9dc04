//go:build cgo && linux

package audio_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"neko/backend/audio"
)

// oto allows one context per process, so every player scenario runs in a
// child process (this test binary re-executed) with its own ALSA_CONFIG_PATH.

const helperEnv = "NEKO_AUDIO_PLAYER_HELPER"

func runHelper(t *testing.T, scenario, alsaConf string, extra ...string) {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "asound.conf")
	if err := os.WriteFile(conf, []byte(alsaConf), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestPlayerHelper$", "-test.v")
	cmd.Env = append(os.Environ(), helperEnv+"="+scenario, "ALSA_CONFIG_PATH="+conf)
	cmd.Env = append(cmd.Env, extra...)
	out, err := cmd.CombinedOutput()
	t.Logf("helper output:\n%s", out)
	if err != nil {
		t.Fatalf("player scenario %s failed: %v", scenario, err)
	}
}

func TestPlayerPlaysInterruptsAndIdles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "played.raw")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// The ALSA file plugin writes what is played to a FIFO the helper
	// reads at real-time pace, so the unpaced null device is paced.
	conf := fmt.Sprintf(`pcm.!default { type file slave.pcm "nekonull" file "%s" format "raw" }
pcm.nekonull { type null }
`, fifo)
	runHelper(t, "play", conf, "NEKO_AUDIO_FIFO="+fifo)
}

func TestPlayerWithoutDeviceFallsBack(t *testing.T) {
	runHelper(t, "nodevice", "pcm.!default { type hw card 57 device 0 }\n")
}

func TestPlayerHelper(t *testing.T) {
	switch os.Getenv(helperEnv) {
	case "play":
		helperPlay(t)
	case "nodevice":
		helperNoDevice(t)
	default:
		t.Skip("child process of the player tests")
	}
}

func helperNoDevice(t *testing.T) {
	start := time.Now()
	p := audio.NewPlayer(audio.PlayerConfig{ReadyTimeout: time.Second}, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	took := time.Since(start)
	st := p.Status()
	t.Logf("no device: fell back in %v, status %+v", took, st)
	if st.Available || st.Reason == "" {
		t.Fatalf("status %+v, want unavailable with a reason", st)
	}
	// ALSA fails at once; ReadyTimeout (1 s) bounds the wait otherwise.
	if took > 3*time.Second {
		t.Fatalf("fallback took %v", took)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	p.Enqueue("x", make([]int16, 4800))
	p.EndSpeech("x")
	p.Interrupt("x")
	p.SetVolume(0.5)
	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return")
	}
}

// pacedCapture reads the FIFO at real-time pace (48 kHz stereo float32).
type pacedCapture struct {
	mu   sync.Mutex
	data []float32 // left channel
	err  error
}

// open opens the FIFO read-write (so it does not wait for ALSA) and shrinks
// it to one page before anything is written, so little audio sits unread.
func (c *pacedCapture) open(t *testing.T, path string) *os.File {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unix.FcntlInt(f.Fd(), unix.F_SETPIPE_SZ, 4096); err != nil {
		t.Fatalf("F_SETPIPE_SZ: %v", err)
	}
	return f
}

func (c *pacedCapture) run(ctx context.Context, f *os.File) {
	defer f.Close()
	go func() { <-ctx.Done(); f.Close() }()
	buf := make([]byte, 3840) // 10 ms
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		n, err := io.ReadFull(f, buf)
		c.mu.Lock()
		for i := 0; i+8 <= n; i += 8 {
			l := math.Float32frombits(uint32(buf[i]) | uint32(buf[i+1])<<8 | uint32(buf[i+2])<<16 | uint32(buf[i+3])<<24)
			r := math.Float32frombits(uint32(buf[i+4]) | uint32(buf[i+5])<<8 | uint32(buf[i+6])<<16 | uint32(buf[i+7])<<24)
			if l != r {
				c.err = fmt.Errorf("channels differ at frame %d: %v %v", len(c.data), l, r)
			}
			c.data = append(c.data, l)
		}
		c.mu.Unlock()
		if err != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (c *pacedCapture) snapshot() ([]float32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]float32(nil), c.data...), c.err
}

// nonSilent counts captured samples that are not zero.
func nonSilent(x []float32) int {
	n := 0
	for _, v := range x {
		if v != 0 {
			n++
		}
	}
	return n
}

// offsetSine never crosses zero, so silence and signal are told apart.
func offsetSine(n int, freq, amp, offset float64) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(math.Round(amp*math.Sin(2*math.Pi*freq*float64(i)/48000) + offset))
	}
	return s
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func helperPlay(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	capt := &pacedCapture{}
	go capt.run(ctx, capt.open(t, os.Getenv("NEKO_AUDIO_FIFO")))

	var lipMu sync.Mutex
	var lips []audio.LipSync
	p := audio.NewPlayer(audio.PlayerConfig{
		IdleAfter:    200 * time.Millisecond,
		ReadyTimeout: 20 * time.Second, // a failure guard: the machine may be loaded
		OnLipSync:    func(l audio.LipSync) { lipMu.Lock(); lips = append(lips, l); lipMu.Unlock() },
	}, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if st := p.Status(); !st.Available {
		t.Fatalf("player unavailable: %s", st.Reason)
	}
	runDone := make(chan struct{})
	go func() { p.Run(ctx); close(runDone) }()

	a := offsetSine(2*48000, 440, 9000, 3000)       // 2 s
	b := offsetSine(48000*3/10, 1000, 8000, -12000) // 0.3 s
	for off := 0; off < len(a); off += 960 {
		p.Enqueue("A", a[off:min(len(a), off+960)])
	}
	waitFor(t, "A to play 0.3 s", 10*time.Second, func() bool { d, _ := capt.snapshot(); return nonSilent(d) >= 48000*3/10 })
	d, _ := capt.snapshot()
	atInterrupt := nonSilent(d)
	p.Interrupt("A")
	d, _ = capt.snapshot()
	afterInterrupt := nonSilent(d)
	p.Enqueue("A", a[:960]) // late chunk of an interrupted speech: ignored
	p.Enqueue("B", b)
	p.EndSpeech("B")
	waitFor(t, "B to finish and the player to idle", 20*time.Second, func() bool {
		d, _ := capt.snapshot()
		return nonSilent(d) >= atInterrupt+len(b) && !p.Status().Playing
	})
	got, err := capt.snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var played []float32
	for _, v := range got {
		if v != 0 {
			played = append(played, v)
		}
	}
	fa := audio.Int16ToFloat32(nil, a)
	fb := audio.Int16ToFloat32(nil, b)
	k := 0
	for k < len(played) && k < len(fa) && played[k] == fa[k] {
		k++
	}
	rest := played[k:]
	t.Logf("played %d samples of A (%d when interrupted, %d when Interrupt returned; A is %d), then %d samples",
		k, atInterrupt, afterInterrupt, len(fa), len(rest))
	// What may still come out after Interrupt returns is what the device
	// already held: the ALSA buffer (40 ms) and the one-page pipe.
	if k < atInterrupt || k > afterInterrupt+48000*3/20 || k > len(fa)/2 {
		t.Fatalf("A played %d samples; interrupt came at %d: the rest was not cut", k, atInterrupt)
	}
	if len(rest) != len(fb) {
		t.Fatalf("after A: %d samples, want exactly B's %d", len(rest), len(fb))
	}
	if c := correlation(rest, fb); c < 0.999999 {
		t.Fatalf("B correlates %.6f with the input", c)
	}
	lipMu.Lock()
	nl := len(lips)
	var open float32
	for _, l := range lips {
		open = max(open, l.Mouth)
	}
	lipMu.Unlock()
	t.Logf("lip-sync frames %d, max mouth %.2f", nl, open)
	if nl < 10 || open < 0.5 {
		t.Fatalf("lip-sync: %d frames, max mouth %.2f", nl, open)
	}

	// Idle: the device is suspended and nothing spins.
	for i := range 3 {
		var r0, r1 syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
		time.Sleep(300 * time.Millisecond)
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
		cpu := time.Duration(syscall.TimevalToNsec(r1.Utime)-syscall.TimevalToNsec(r0.Utime)) +
			time.Duration(syscall.TimevalToNsec(r1.Stime)-syscall.TimevalToNsec(r0.Stime))
		t.Logf("idle CPU over 300 ms (#%d): %v", i, cpu)
		if i == 2 && cpu > 15*time.Millisecond {
			t.Fatalf("idle player used %v CPU in 300 ms", cpu)
		}
	}
	cancel()
	select {
	case <-runDone:
	case <-time.After(5 * time.Second):
		t.Fatal(errors.New("Run did not stop"))
	}
}
