package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"neko/backend/audio"
)

// DefaultSphinxModelDir is where Debian's pocketsphinx-en-us puts the model.
const DefaultSphinxModelDir = "/usr/share/pocketsphinx/model/en-us"

// PocketSphinx is an offline English Transcriber running the pocketsphinx
// command-line decoder (Debian pocketsphinx + pocketsphinx-en-us): the
// classic `pocketsphinx_continuous -infile` or the newer `pocketsphinx
// single`.
type PocketSphinx struct {
	bin      string
	modern   bool // pocketsphinx 5 CLI
	modelDir string
	tmpDir   string
}

var _ Transcriber = (*PocketSphinx)(nil)

// ErrNoOfflineASR means no pocketsphinx binary or model is installed.
var ErrNoOfflineASR = errors.New("llm: offline speech recognition unavailable (install pocketsphinx and pocketsphinx-en-us)")

// NewPocketSphinx finds the decoder and model. modelDir "" uses
// DefaultSphinxModelDir; tmpDir "" uses the OS temp dir.
func NewPocketSphinx(modelDir, tmpDir string) (*PocketSphinx, error) {
	if modelDir == "" {
		modelDir = DefaultSphinxModelDir
	}
	p := &PocketSphinx{modelDir: modelDir, tmpDir: tmpDir}
	if bin, err := exec.LookPath("pocketsphinx_continuous"); err == nil {
		p.bin = bin
	} else if bin, err := exec.LookPath("pocketsphinx"); err == nil {
		p.bin, p.modern = bin, true
	} else {
		return nil, ErrNoOfflineASR
	}
	if !p.modern {
		for _, f := range []string{"en-us", "en-us.lm.bin", "cmudict-en-us.dict"} {
			if _, err := os.Stat(filepath.Join(modelDir, f)); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrNoOfflineASR, err)
			}
		}
	}
	return p, nil
}

// Transcribe decodes PCM16 mono audio (resampled to 16 kHz when needed).
func (p *PocketSphinx) Transcribe(ctx context.Context, pcm []byte, sampleRate int) (string, error) {
	if len(pcm) < 2 {
		return "", fmt.Errorf("llm: transcribe: no audio")
	}
	if sampleRate != 16000 {
		r, err := audio.NewResampler(sampleRate, 16000, 1)
		if err != nil {
			return "", fmt.Errorf("llm: transcribe: %w", err)
		}
		in := audio.BytesToInt16LE(nil, pcm)
		out := r.ProcessInt16(nil, in)
		out = r.FlushInt16(out)
		pcm = audio.Int16ToBytesLE(nil, out)
	}
	f, err := os.CreateTemp(p.tmpDir, "neko-asr-*.wav")
	if err != nil {
		return "", fmt.Errorf("llm: transcribe: %w", err)
	}
	defer os.Remove(f.Name())
	_, werr := f.Write(EncodeWAV(pcm, 16000))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return "", fmt.Errorf("llm: transcribe: %w", werr)
	}
	var args []string
	if p.modern {
		args = []string{"single", f.Name()}
	} else {
		args = []string{"-infile", f.Name(), "-hmm", filepath.Join(p.modelDir, "en-us"),
			"-lm", filepath.Join(p.modelDir, "en-us.lm.bin"), "-dict", filepath.Join(p.modelDir, "cmudict-en-us.dict"),
			"-logfn", os.DevNull}
	}
	cmd := exec.CommandContext(ctx, p.bin, args...)
	cmd.WaitDelay = 2 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("llm: pocketsphinx: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	if p.modern {
		var parts []string
		for _, line := range strings.Split(stdout.String(), "\n") {
			var hyp struct {
				T string `json:"t"`
			}
			if json.Unmarshal([]byte(line), &hyp) == nil && hyp.T != "" {
				parts = append(parts, hyp.T)
			}
		}
		return strings.Join(parts, " "), nil
	}
	return strings.Join(strings.Fields(stdout.String()), " "), nil
}
