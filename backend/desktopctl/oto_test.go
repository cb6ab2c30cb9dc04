//go:build cgo && linux

package desktopctl_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"neko/backend/desktopctl"
)

// oto allows one audio context per process, so the real-player scenario
// runs in a child process (this test binary) whose ALSA default device is
// the file plugin writing to a FIFO this test reads at real-time pace.
const otoHelperEnv = "NEKO_DESKTOPCTL_OTO_HELPER"

// Voice-only plays her speech through the real local player (oto on ALSA):
// the audio device receives non-silent samples and the page gets none.
func TestVoiceOnlyPlaysThroughOto(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "played.raw")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	conf := filepath.Join(dir, "asound.conf")
	alsa := fmt.Sprintf("pcm.!default { type file slave.pcm \"nekonull\" file \"%s\" format \"raw\" }\npcm.nekonull { type null }\n", fifo)
	if err := os.WriteFile(conf, []byte(alsa), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(fifo, os.O_RDWR, 0) // read-write: ALSA's open does not wait for us
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var loud atomic.Int64 // stereo float32 frames above -40 dBFS
	done := make(chan struct{})
	go func() { <-ctx.Done(); f.Close() }() // unblocks the reader if the child hangs
	go func() {
		defer close(done)
		buf := make([]byte, 3840) // 10 ms of 48 kHz stereo float32
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			if _, err := io.ReadFull(f, buf); err != nil {
				return
			}
			for i := 0; i+8 <= len(buf); i += 8 {
				if math.Abs(float64(math.Float32frombits(binary.LittleEndian.Uint32(buf[i:])))) > 0.01 {
					loud.Add(1)
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestOtoHelper$", "-test.v")
	cmd.Env = append(os.Environ(), otoHelperEnv+"=1", "ALSA_CONFIG_PATH="+conf)
	cmd.WaitDelay = 5 * time.Second // a killed child's pipes never hold the test
	out, err := cmd.CombinedOutput()
	cancel()
	<-done
	if err != nil {
		t.Fatalf("voice-only child failed: %v\n%s", err, out)
	}
	if n := loud.Load(); n < 480 {
		t.Fatalf("the audio device got %d loud frames (want ≥ 480, 10 ms)\n%s", n, out)
	}
	t.Logf("the audio device got %d loud frames", loud.Load())
}

func TestOtoHelper(t *testing.T) {
	if os.Getenv(otoHelperEnv) == "" {
		t.Skip("child process of TestVoiceOnlyPlaysThroughOto")
	}
	r := newRigWith(t, true)
	c := r.dial()
	r.set(desktopctl.State{VoiceOnly: true})
	c.Until(5*time.Second, typeIs(desktopctl.MessageType))
	c.Send(map[string]any{"action": "start_session", "input_type": "text"})
	c.Until(5*time.Second, typeIs("session_started"))
	got := textTurn(c, false)
	got = append(got, c.Drain(1500*time.Millisecond)...) // the speech plays out
	if n := countBinary(got); n != 0 {
		t.Fatalf("%d audio frames reached the page: the local player was not used", n)
	}
}
