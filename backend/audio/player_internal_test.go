package audio

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeDevice records what the player asks of the device; the real oto
// device is exercised in player_oto_test.go.
type fakeDevice struct {
	mu     sync.Mutex
	r      io.Reader
	resets int
	volume float64
	failed error
}

func (d *fakeDevice) start(r io.Reader) { d.r = r }
func (d *fakeDevice) play()             {}
func (d *fakeDevice) pause()            {}
func (d *fakeDevice) reset()            { d.mu.Lock(); d.resets++; d.mu.Unlock() }
func (d *fakeDevice) setVolume(v float64) {
	d.mu.Lock()
	d.volume = v
	d.mu.Unlock()
}
func (d *fakeDevice) buffered() int  { return 0 }
func (d *fakeDevice) suspend() error { return nil }
func (d *fakeDevice) resume() error  { return nil }
func (d *fakeDevice) err() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.failed
}

func testPlayer(cfg PlayerConfig) (*Player, *fakeDevice) {
	cfg.defaults()
	p := newPlayer(cfg, nil)
	d := &fakeDevice{}
	p.attach(d)
	p.idle = false
	return p, d
}

func ms(n int) []int16 {
	s := make([]int16, n*48)
	for i := range s {
		s[i] = 1000
	}
	return s
}

func readFrames(t *testing.T, p *Player) int {
	t.Helper()
	b := make([]byte, 8*48000)
	n, err := playerReader{p}.Read(b)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return n / 8
}

func TestPlayerPrerollHoldsTheStartOfAnUtterance(t *testing.T) {
	p, _ := testPlayer(PlayerConfig{Preroll: 60 * time.Millisecond, PrerollWait: time.Hour})
	p.Enqueue("s1", ms(20))
	if n := readFrames(t, p); n != 0 {
		t.Fatalf("played %d frames before the 60 ms pre-roll", n)
	}
	p.Enqueue("s1", ms(50))
	if n := readFrames(t, p); n != 70*48 {
		t.Fatalf("after the pre-roll: %d frames, want %d", n, 70*48)
	}
	// Underrun mid-utterance: buffer a pre-roll again.
	p.Enqueue("s1", ms(20))
	if n := readFrames(t, p); n != 0 {
		t.Fatalf("played %d frames of a 20 ms trickle after an underrun", n)
	}
	p.EndSpeech("s1") // the last chunk: play what is there
	if n := readFrames(t, p); n != 20*48 {
		t.Fatalf("after EndSpeech: %d frames", n)
	}
	// A short reply that ends below the pre-roll starts at once.
	p.Enqueue("s2", ms(10))
	p.EndSpeech("s2")
	if n := readFrames(t, p); n != 10*48 {
		t.Fatalf("short reply: %d frames", n)
	}
}

func TestPlayerPrerollWaitCapsTheHold(t *testing.T) {
	p, _ := testPlayer(PlayerConfig{Preroll: time.Second, PrerollWait: time.Millisecond})
	p.Enqueue("s1", ms(10))
	time.Sleep(5 * time.Millisecond)
	if n := readFrames(t, p); n != 10*48 {
		t.Fatalf("after the pre-roll wait: %d frames", n)
	}
}

func TestPlayerInterruptVolumeAndIdle(t *testing.T) {
	p, d := testPlayer(PlayerConfig{Preroll: time.Millisecond})
	p.Enqueue("s3", ms(100))
	b := make([]byte, 8*480)
	if n, _ := (playerReader{p}).Read(b); n != len(b) {
		t.Fatalf("read %d", n)
	}
	p.Interrupt("s3")
	if d.resets != 1 {
		t.Fatalf("device reset %d times on interrupting the playing speech", d.resets)
	}
	p.Enqueue("s3", ms(10)) // late chunk
	if n := readFrames(t, p); n != 0 {
		t.Fatalf("%d frames of an interrupted speech", n)
	}
	p.SetVolume(0.5)
	p.SetMuted(true)
	if d.volume != 0 {
		t.Fatalf("muted volume %v", d.volume)
	}
	p.SetMuted(false)
	if st := p.Status(); d.volume != 0.5 || st.Volume != 0.5 || st.Muted {
		t.Fatalf("volume %v, status %+v", d.volume, st)
	}
	p.mu.Lock()
	p.idle = true
	p.mu.Unlock()
	if _, err := (playerReader{p}).Read(b); err != io.EOF {
		t.Fatalf("idle reader: %v, want EOF so oto stops polling", err)
	}
}

func TestPlayerDisablesItselfWhenTheDeviceFails(t *testing.T) {
	p, d := testPlayer(PlayerConfig{Preroll: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	p.Enqueue("s1", ms(100))
	d.mu.Lock()
	d.failed = errors.New("snd_pcm_writei: device unplugged")
	d.mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for p.Available() {
		if time.Now().After(deadline) {
			t.Fatal("player still available after the device failed")
		}
		time.Sleep(time.Millisecond)
	}
	st := p.Status()
	if st.Available || st.Reason == "" || st.Playing {
		t.Fatalf("status %+v", st)
	}
	p.Enqueue("s2", ms(10)) // dropped, never blocks
	p.mu.Lock()
	queued := p.queued
	p.mu.Unlock()
	if queued != 0 {
		t.Fatalf("%d frames still queued", queued)
	}
	cancel()
	<-done
}

func TestPlayerEnablesASlowDeviceWhenItBecomesReady(t *testing.T) {
	for _, failLate := range []bool{false, true} {
		d := &fakeDevice{}
		ready := make(chan struct{})
		open := func(time.Duration) (device, <-chan struct{}, error) { return d, ready, nil }
		p := newPlayerWith(PlayerConfig{ReadyTimeout: time.Millisecond}, nil, open)
		if st := p.Status(); st.Available || st.Reason == "" {
			t.Fatalf("before ready: %+v", st)
		}
		p.Enqueue("early", ms(10)) // dropped while unavailable, never blocks
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { p.Run(ctx); close(done) }()
		if failLate {
			d.mu.Lock()
			d.failed = errors.New("snd_pcm_open: no such device")
			d.mu.Unlock()
		}
		close(ready)
		deadline := time.Now().Add(5 * time.Second)
		for !failLate && !p.Available() {
			if time.Now().After(deadline) {
				t.Fatal("a late device was never enabled")
			}
			time.Sleep(time.Millisecond)
		}
		if failLate {
			for p.Status().Reason == "" || !strings.Contains(p.Status().Reason, "no such device") {
				if time.Now().After(deadline) {
					t.Fatalf("late failure not reported: %+v", p.Status())
				}
				time.Sleep(time.Millisecond)
			}
			if p.Available() {
				t.Fatal("a device that failed while opening was enabled")
			}
		}
		cancel()
		<-done
	}
}
