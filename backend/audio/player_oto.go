//go:build cgo

package audio

import (
	"fmt"
	"io"
	"time"

	"github.com/ebitengine/oto/v3"
)

type otoDevice struct {
	ctx *oto.Context
	pl  *oto.Player
}

// openDevice creates the process's oto context (48 kHz, stereo, float32).
// The caller waits on ready with a timeout and then checks err(): with no
// device oto still returns a context, and playing on it would hang.
func openDevice(buffer time.Duration) (device, <-chan struct{}, error) {
	ctx, ready, err := oto.NewContext(&oto.NewContextOptions{
		SampleRate: PlaybackRate, ChannelCount: 2, Format: oto.FormatFloat32LE, BufferSize: buffer,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("open audio output: %w", err)
	}
	return &otoDevice{ctx: ctx}, ready, nil
}

func (d *otoDevice) start(r io.Reader) {
	d.pl = d.ctx.NewPlayer(r)
	// A small player buffer keeps the reported position close to what is
	// audible and an interrupt short.
	d.pl.SetBufferSize(PlaybackRate * 8 / 50) // 20 ms of stereo float32
}
func (d *otoDevice) play()               { d.pl.Play() }
func (d *otoDevice) pause()              { d.pl.Pause() }
func (d *otoDevice) reset()              { d.pl.Reset() }
func (d *otoDevice) setVolume(v float64) { d.pl.SetVolume(v) }
func (d *otoDevice) buffered() int       { return d.pl.BufferedSize() }
func (d *otoDevice) suspend() error      { return d.ctx.Suspend() }
func (d *otoDevice) resume() error       { return d.ctx.Resume() }
func (d *otoDevice) err() error          { return d.ctx.Err() }
