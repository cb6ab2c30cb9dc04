package tts

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// FestivalSLTVoice is the Scheme call that selects Debian's festvox-us-slt-hts
// voice (HTS, 32 kHz), the best-sounding offline English voice.
const FestivalSLTVoice = "(voice_cmu_us_slt_arctic_hts)"

// festival keeps one `festival --pipe` process alive and feeds it Scheme,
// so each clause costs tens of milliseconds instead of a voice load.
type festival struct {
	bin   string
	voice string
	log   *slog.Logger

	mu      sync.Mutex // one synthesis at a time
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	lines   chan string
	dir     string
	seq     int
	pending int // marker still owed by an abandoned synthesis
}

func newFestival(bin, voice string, log *slog.Logger) *festival {
	if bin == "" {
		bin = "festival"
	}
	if voice == "" {
		voice = FestivalSLTVoice
	}
	return &festival{bin: bin, voice: voice, log: log}
}

// festivalArgs is the command line of the persistent festival process.
func festivalArgs() []string { return []string{"--pipe"} }

// festivalScript is the Scheme that synthesises text to a RIFF file and
// then prints a marker line; fflush makes the marker visible at once.
func festivalScript(text, wavPath string, marker int) string {
	return fmt.Sprintf("(utt.save.wave (SynthText %s) %s 'riff)\n(format t \"NEKO_DONE %d\\n\")\n(fflush nil)\n",
		schemeString(text), schemeString(wavPath), marker)
}

// schemeString quotes s as a Scheme string literal; control characters
// become spaces.
func schemeString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// start launches festival, selects the voice and waits for it to answer.
func (f *festival) start(ctx context.Context) error {
	if f.cmd != nil {
		return nil
	}
	dir, err := os.MkdirTemp("", "neko-festival-*")
	if err != nil {
		return fmt.Errorf("festival: temp dir: %w", err)
	}
	cmd := exec.Command(f.bin, festivalArgs()...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("festival: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("festival: %w", err)
	}
	cmd.Stderr = &logWriter{log: f.log, prefix: "festival"}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("festival: start %s: %w", f.bin, err)
	}
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	f.cmd, f.stdin, f.lines, f.dir, f.pending = cmd, stdin, lines, dir, 0
	f.seq++
	if _, err := fmt.Fprintf(stdin, "%s\n(format t \"NEKO_DONE %d\\n\")\n(fflush nil)\n", f.voice, f.seq); err != nil {
		f.stop()
		return fmt.Errorf("festival: select voice: %w", err)
	}
	if err := f.await(ctx, f.seq); err != nil {
		f.stop()
		return err
	}
	return nil
}

// await reads stdout until the marker line, or ctx ends (then the marker is
// owed and skipped by the next call).
func (f *festival) await(ctx context.Context, marker int) error {
	want := fmt.Sprintf("NEKO_DONE %d", marker)
	for {
		select {
		case <-ctx.Done():
			f.pending = marker
			return ctx.Err()
		case line, ok := <-f.lines:
			if !ok {
				err := f.cmd.Wait()
				f.cmd = nil
				f.stop()
				return fmt.Errorf("festival exited: %v", err)
			}
			if line == want {
				f.pending = 0
				return nil
			}
		}
	}
}

// Synth speaks text with the festival voice.
func (f *festival) Synth(ctx context.Context, text string) ([]int16, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.start(ctx); err != nil {
		return nil, 0, err
	}
	if f.pending != 0 {
		if err := f.await(ctx, f.pending); err != nil {
			return nil, 0, err
		}
	}
	f.seq++
	path := filepath.Join(f.dir, fmt.Sprintf("u%d.wav", f.seq))
	defer os.Remove(path)
	if _, err := io.WriteString(f.stdin, festivalScript(text, path, f.seq)); err != nil {
		f.stop()
		return nil, 0, fmt.Errorf("festival: write: %w", err)
	}
	if err := f.await(ctx, f.seq); err != nil {
		return nil, 0, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, fmt.Errorf("festival produced no audio for %q: %w", text, err)
	}
	return ParseWAV(b)
}

func (f *festival) stop() {
	if f.stdin != nil {
		f.stdin.Close()
		f.stdin = nil
	}
	if f.cmd != nil {
		if f.cmd.Process != nil {
			_ = f.cmd.Process.Kill()
		}
		_ = f.cmd.Wait()
		f.cmd = nil
	}
	if f.lines != nil {
		for range f.lines { // let the reader goroutine end
		}
		f.lines = nil
	}
	if f.dir != "" {
		os.RemoveAll(f.dir)
		f.dir = ""
	}
}

// Close stops the festival process.
func (f *festival) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stop()
	return nil
}

// logWriter forwards a child's stderr lines to the logger.
type logWriter struct {
	log    *slog.Logger
	prefix string
}

func (w *logWriter) Write(p []byte) (int, error) {
	if s := strings.TrimSpace(string(p)); s != "" && w.log != nil {
		w.log.Debug(w.prefix+" stderr", "text", s)
	}
	return len(p), nil
}

var errNoOfflineVoice = errors.New("no offline voice available")
