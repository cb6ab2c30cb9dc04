package audio

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// PlaybackRate is the local player's sample rate; the device runs stereo
// float32 at this rate and every sink takes 48 kHz PCM.
const PlaybackRate = 48000

// PlayerConfig tunes the local player. The zero value uses the defaults.
type PlayerConfig struct {
	// Preroll is how much audio of a new utterance is buffered before it
	// starts, so the start of a reply does not stutter (default 60 ms).
	Preroll time.Duration
	// PrerollWait caps how long a short utterance waits for its pre-roll
	// before it plays anyway (default 150 ms).
	PrerollWait time.Duration
	// IdleAfter is how long the player stays open after the last sample
	// before it suspends the device (default 500 ms).
	IdleAfter time.Duration
	// ReadyTimeout bounds the wait for the audio device (default 1 s).
	ReadyTimeout time.Duration
	// DeviceBuffer is the device buffer length (default 40 ms).
	DeviceBuffer time.Duration
	// OnLipSync receives the mouth-open value every 20 ms while audio plays,
	// stamped with the playback position. It runs on the player's goroutine
	// and must not block. SetLipSyncHandler replaces it later (e.g. with
	// Fanout.OnPlayerLipSync once the fan-out exists).
	OnLipSync func(LipSync)
}

func (c *PlayerConfig) defaults() {
	if c.Preroll <= 0 {
		c.Preroll = 60 * time.Millisecond
	}
	if c.PrerollWait <= 0 {
		c.PrerollWait = 150 * time.Millisecond
	}
	if c.IdleAfter <= 0 {
		c.IdleAfter = 500 * time.Millisecond
	}
	if c.ReadyTimeout <= 0 {
		c.ReadyTimeout = time.Second
	}
	if c.DeviceBuffer <= 0 {
		c.DeviceBuffer = 40 * time.Millisecond
	}
}

// PlayerStatus is what the UI shows about local playback.
type PlayerStatus struct {
	Available bool    `json:"available"`
	Reason    string  `json:"reason,omitempty"` // why it is unavailable
	Playing   bool    `json:"playing"`
	Volume    float64 `json:"volume"`
	Muted     bool    `json:"muted"`
}

// device is the audio output the player drives (oto under cgo). It pulls
// stereo float32 frames from the reader given to start.
type device interface {
	start(r io.Reader)
	play()
	pause()
	reset()
	setVolume(v float64)
	buffered() int // bytes taken from the reader but not yet mixed
	suspend() error
	resume() error
	err() error // the device failed (e.g. unplugged); it plays nothing more
}

type playChunk struct {
	speechID string
	data     []float32 // mono
}

// Player plays assistant speech on the local audio device through a jitter
// buffer. Without a device it stays disabled and says why in Status; it
// never blocks its callers. Create one per process (oto allows one context).
type Player struct {
	cfg  PlayerConfig
	log  *slog.Logger
	wake chan struct{}

	mu          sync.Mutex
	reason      string
	queue       []playChunk
	queued      int  // frames in queue
	gated       bool // holding a new utterance for its pre-roll
	gateAt      time.Time
	ended       map[string]bool // utterances whose last chunk has arrived
	current     string          // speech id being read by the device
	readPos     int64           // frames of current read by the device
	envs        map[string]*envelopeTrack
	playing     bool
	priming     bool // inside dev.play(): oto fills its whole buffer synchronously
	idle        bool // device suspended: the reader reports EOF so oto stops polling it
	volume      float64
	muted       bool
	interrupted idSet
	onLip       func(LipSync)
	failed      atomic.Bool

	devBox       atomic.Pointer[devBox] // set once the device is ready
	pending      device                 // opened but not ready by ReadyTimeout (Run waits)
	pendingReady <-chan struct{}
}

type envelopeTrack struct {
	env    Envelope
	values []float32
}

// NewPlayer opens the local audio device (48 kHz stereo float32) and waits
// up to ReadyTimeout for it. When no device is usable it logs one line and
// returns a disabled player. A device that is merely slow stays pending:
// Run enables playback if it becomes ready later.
func NewPlayer(cfg PlayerConfig, log *slog.Logger) *Player {
	return newPlayerWith(cfg, log, openDevice)
}

// openFunc opens the output device; ready is closed once it has opened or
// failed (then err reports why).
type openFunc func(buffer time.Duration) (dev device, ready <-chan struct{}, err error)

func newPlayerWith(cfg PlayerConfig, log *slog.Logger, open openFunc) *Player {
	cfg.defaults()
	p := newPlayer(cfg, log)
	dev, ready, err := open(cfg.DeviceBuffer)
	if err != nil {
		p.reason = err.Error()
		p.log.Warn("local audio playback disabled", "err", err)
		return p
	}
	timer := time.NewTimer(cfg.ReadyTimeout)
	defer timer.Stop()
	select {
	case <-ready:
	case <-timer.C:
		p.reason = fmt.Sprintf("audio output not ready after %v (still waiting)", cfg.ReadyTimeout)
		p.pending, p.pendingReady = dev, ready
		p.log.Warn("local audio playback disabled until the device is ready", "timeout", cfg.ReadyTimeout)
		return p
	}
	if err := dev.err(); err != nil {
		p.reason = "audio output: " + err.Error()
		p.log.Warn("local audio playback disabled", "err", err)
		return p
	}
	p.attach(dev)
	return p
}

// dev returns the attached device or nil.
func (p *Player) dev() device {
	if b := p.devBox.Load(); b != nil {
		return b.d
	}
	return nil
}

type devBox struct{ d device }

func newPlayer(cfg PlayerConfig, log *slog.Logger) *Player {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Player{
		cfg: cfg, log: log, wake: make(chan struct{}, 1), onLip: cfg.OnLipSync,
		ended: map[string]bool{}, envs: map[string]*envelopeTrack{},
		volume: 1,
	}
}

func (p *Player) attach(dev device) {
	p.mu.Lock()
	p.idle = true
	p.reason = ""
	p.mu.Unlock()
	dev.start(playerReader{p})
	dev.pause()
	_ = dev.suspend()
	p.devBox.Store(&devBox{dev}) // last: from here on the player is available
}

// awaitDevice waits for a device that was slow to open.
func (p *Player) awaitDevice(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return false
	case <-p.pendingReady:
	}
	if err := p.pending.err(); err != nil {
		p.mu.Lock()
		p.reason = "audio output: " + err.Error()
		p.mu.Unlock()
		p.log.Warn("local audio playback disabled", "err", err)
		return false
	}
	p.attach(p.pending)
	p.log.Info("local audio playback enabled: the device became ready")
	return true
}

// Status reports whether local playback works and what it is doing.
func (p *Player) Status() PlayerStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	return PlayerStatus{Available: p.dev() != nil && !p.failed.Load(), Reason: p.reason, Playing: p.playing, Volume: p.volume, Muted: p.muted}
}

// SetLipSyncHandler sets the function that receives lip-sync values.
func (p *Player) SetLipSyncHandler(fn func(LipSync)) {
	p.mu.Lock()
	p.onLip = fn
	p.mu.Unlock()
}

// Available reports whether a device is open.
func (p *Player) Available() bool { return p.dev() != nil && !p.failed.Load() }

// fail disables local playback after the device broke: queued audio is
// dropped and Available turns false, so the fan-out streams instead.
func (p *Player) fail(err error) {
	p.mu.Lock()
	p.reason = err.Error()
	clear(p.queue)
	p.queue, p.queued = p.queue[:0], 0
	p.playing = false
	p.mu.Unlock()
	p.failed.Store(true)
	p.log.Warn("local audio playback stopped: device failed", "err", err)
}

// SetVolume sets the playback volume (0..1, clamped).
func (p *Player) SetVolume(v float64) {
	v = math.Max(0, math.Min(1, v))
	p.mu.Lock()
	p.volume = v
	eff := p.effectiveVolume()
	p.mu.Unlock()
	if d := p.dev(); d != nil {
		d.setVolume(eff)
	}
}

// SetMuted mutes or unmutes playback without losing the volume.
func (p *Player) SetMuted(m bool) {
	p.mu.Lock()
	p.muted = m
	eff := p.effectiveVolume()
	p.mu.Unlock()
	if d := p.dev(); d != nil {
		d.setVolume(eff)
	}
}

func (p *Player) effectiveVolume() float64 {
	if p.muted {
		return 0
	}
	return p.volume
}

// Run drives the device until ctx ends: it resumes the device when audio
// arrives, reports the lip-sync envelope every 20 ms and suspends the device
// once idle, so an idle player uses no CPU.
func (p *Player) Run(ctx context.Context) {
	if p.dev() == nil && (p.pending == nil || !p.awaitDevice(ctx)) {
		<-ctx.Done()
		return
	}
	dev := p.dev()
	p.mu.Lock()
	vol := p.effectiveVolume()
	p.mu.Unlock()
	dev.setVolume(vol)
	defer func() {
		dev.pause()
		_ = dev.suspend()
	}()
	tick := time.NewTicker(EnvelopeInterval)
	tick.Stop()
	defer tick.Stop()
	active := false
	var idleSince time.Time
	for {
		if !active {
			select {
			case <-ctx.Done():
				return
			case <-p.wake:
			}
			p.mu.Lock()
			has := p.queued > 0
			p.mu.Unlock()
			if !has {
				continue
			}
			p.mu.Lock()
			p.idle = false
			p.mu.Unlock()
			dev.reset() // clears the EOF the idle reader reported
			if err := dev.resume(); err != nil {
				p.log.Warn("resume audio device", "err", err)
			}
			p.startDevice()
			p.setPlaying(true)
			active, idleSince = true, time.Time{}
			tick.Reset(EnvelopeInterval)
		}
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		case <-tick.C:
		}
		if err := dev.err(); err != nil {
			p.fail(err)
			<-ctx.Done()
			return
		}
		buffered := int64(dev.buffered() / 8) // before p.mu: see Interrupt
		p.mu.Lock()
		p.releaseGateLocked()
		id, pos := p.current, p.readPos-buffered
		var mouth float32
		if tr := p.envs[id]; tr != nil && pos >= 0 {
			i := int(pos / int64(EnvelopeInterval.Seconds()*PlaybackRate))
			if i < len(tr.values) {
				mouth = tr.values[i]
			}
		}
		drained := p.queued == 0 && buffered == 0
		if drained {
			for k := range p.envs {
				if k != id {
					delete(p.envs, k)
				}
			}
			if id != "" && p.ended[id] {
				delete(p.envs, id)
				clear(p.ended)
				p.current, p.readPos = "", 0
			}
		}
		onLip := p.onLip
		p.mu.Unlock()
		if id != "" && onLip != nil && pos >= 0 {
			onLip(LipSync{SpeechID: id, Mouth: mouth, PositionMs: pos * 1000 / PlaybackRate})
		}
		if !drained {
			idleSince = time.Time{}
			continue
		}
		if idleSince.IsZero() {
			idleSince = time.Now()
		}
		if time.Since(idleSince) >= p.cfg.IdleAfter {
			p.mu.Lock()
			if p.queued > 0 { // audio arrived meanwhile: stay active
				p.mu.Unlock()
				idleSince = time.Time{}
				continue
			}
			p.idle = true
			p.mu.Unlock()
			dev.pause()
			if err := dev.suspend(); err != nil {
				p.log.Warn("suspend audio device", "err", err)
			}
			p.setPlaying(false)
			tick.Stop()
			active = false
		}
	}
}

// startDevice calls the device's play with the reader in priming mode.
func (p *Player) startDevice() {
	p.mu.Lock()
	p.priming = true
	p.mu.Unlock()
	p.dev().play()
	p.mu.Lock()
	p.priming = false
	p.mu.Unlock()
}

func (p *Player) setPlaying(v bool) {
	p.mu.Lock()
	p.playing = v
	p.mu.Unlock()
}
