package tts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"runtime"
	"sync"
)

// OfflineConfig configures the offline OS voice. The zero value picks the
// voices of the running OS.
type OfflineConfig struct {
	// GOOS selects the voice family; "" means runtime.GOOS.
	GOOS string
	// Language is used for text without letters (digits only); "" is "en".
	Language string
	// FestivalBin and EspeakBin override the program paths (Linux).
	FestivalBin, EspeakBin string
	// FestivalVoice is the Scheme call selecting the festival voice;
	// "" means FestivalSLTVoice.
	FestivalVoice string
	// TempDir holds the WAV files of say/SAPI/festival; "" is os.TempDir.
	TempDir string
	Logger  *slog.Logger
}

// Offline is the embedded default voice: festival (slt HTS) for English
// and espeak-ng for other languages on Linux, `say` on macOS, SAPI through
// PowerShell on Windows. It needs no network and no account.
type Offline struct {
	cfg  OfflineConfig
	goos string
	log  *slog.Logger

	once     sync.Once
	fest     *festival
	hasFest  bool
	hasSpeak bool
}

// NewOffline returns the offline engine; programs start on Prepare.
func NewOffline(cfg OfflineConfig) *Offline {
	goos := cfg.GOOS
	if goos == "" {
		goos = runtime.GOOS
	}
	if cfg.Language == "" {
		cfg.Language = "en"
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Offline{cfg: cfg, goos: goos, log: log}
}

// Name implements Engine.
func (o *Offline) Name() string { return "offline" }

func (o *Offline) probe() {
	o.once.Do(func() {
		if o.goos != "linux" && o.goos != "freebsd" {
			return
		}
		fb := o.cfg.FestivalBin
		if fb == "" {
			fb = "festival"
		}
		if p, err := exec.LookPath(fb); err == nil {
			o.hasFest = true
			o.fest = newFestival(p, o.cfg.FestivalVoice, o.log)
		}
		eb := o.cfg.EspeakBin
		if eb == "" {
			eb = "espeak-ng"
		}
		if p, err := exec.LookPath(eb); err == nil {
			o.hasSpeak = true
			o.cfg.EspeakBin = p
		}
	})
}

// Prepare finds the OS voice and, on Linux, starts festival with its voice
// loaded so the first clause is fast.
func (o *Offline) Prepare(ctx context.Context) error {
	switch o.goos {
	case "darwin":
		if _, err := exec.LookPath("say"); err != nil {
			return fmt.Errorf("offline tts: %w: say: %w", errNoOfflineVoice, err)
		}
		return nil
	case "windows":
		if _, err := exec.LookPath("powershell.exe"); err != nil {
			return fmt.Errorf("offline tts: %w: powershell: %w", errNoOfflineVoice, err)
		}
		return nil
	}
	o.probe()
	if !o.hasFest && !o.hasSpeak {
		return fmt.Errorf("offline tts: %w: install festival festvox-us-slt-hts espeak-ng", errNoOfflineVoice)
	}
	if o.hasFest {
		o.fest.mu.Lock()
		err := o.fest.start(ctx)
		o.fest.mu.Unlock()
		if err != nil {
			return fmt.Errorf("offline tts: %w", err)
		}
	}
	return nil
}

// Synthesize speaks one piece of text and returns mono samples at the
// voice's own rate (32 kHz festival, 22050 Hz espeak-ng and SAPI, 24 kHz say).
func (o *Offline) Synthesize(ctx context.Context, text string) ([]int16, int, error) {
	lang := DetectLanguage(text)
	if lang == "" {
		lang = o.cfg.Language
	}
	switch o.goos {
	case "darwin", "windows":
		out, cleanup, err := tempWAV(o.cfg.TempDir)
		if err != nil {
			return nil, 0, err
		}
		defer cleanup()
		c := sayCommand(lang, out)
		if o.goos == "windows" {
			c = sapiCommand(lang, out)
		}
		c.Stdin = text
		return c.run(ctx)
	}
	o.probe()
	switch {
	case lang == "en" && o.hasFest:
		return o.fest.Synth(ctx, text)
	case o.hasSpeak:
		return espeakCommand(o.cfg.EspeakBin, espeakVoiceFor(lang), text).run(ctx)
	case o.hasFest:
		return o.fest.Synth(ctx, text)
	}
	return nil, 0, fmt.Errorf("offline tts: %w", errNoOfflineVoice)
}

// Start implements Engine: each clause is synthesised in turn.
func (o *Offline) Start(ctx context.Context, speechID string, sink Sink) (Stream, error) {
	return newSeqStream(ctx, sink, 240, func(ctx context.Context, text string, sink Sink) error {
		s, rate, err := o.Synthesize(ctx, text)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return err
			}
			return fmt.Errorf("offline tts: %w", err)
		}
		deliverPCM(ctx, sink, s, rate)
		return nil
	}), nil
}

// Close stops festival.
func (o *Offline) Close() error {
	if o.fest != nil {
		return o.fest.Close()
	}
	return nil
}
