package tts

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// osCommand is one run of an OS voice program: its argv, the text it reads
// on stdin, and where the WAV appears ("" means stdout).
type osCommand struct {
	Name    string
	Args    []string
	Env     []string // extra KEY=value pairs
	Stdin   string
	OutFile string
}

// espeakVoices maps a language to an espeak-ng voice name.
var espeakVoices = map[string]string{
	"zh": "cmn", "ja": "ja", "ko": "ko", "ru": "ru", "en": "en-us", "fr": "fr",
	"de": "de", "es": "es", "it": "it", "pt": "pt", "ar": "ar", "el": "el",
	"he": "he", "th": "th", "hi": "hi",
}

// espeakVoiceFor returns the espeak-ng voice for lang (English when unknown).
func espeakVoiceFor(lang string) string {
	if v, ok := espeakVoices[lang]; ok {
		return v
	}
	return "en-us"
}

// espeakCommand speaks stdin (UTF-8) to a WAV on stdout, 22050 Hz.
func espeakCommand(bin, voice, text string) osCommand {
	if bin == "" {
		bin = "espeak-ng"
	}
	return osCommand{Name: bin, Args: []string{"-v", voice, "-b", "1", "--stdout", "--stdin"}, Stdin: text}
}

// sayVoices maps a language to a macOS voice that ships with the system.
var sayVoices = map[string]string{
	"en": "Samantha", "zh": "Tingting", "ja": "Kyoko", "ko": "Yuna", "ru": "Milena",
	"fr": "Thomas", "de": "Anna", "es": "Monica", "it": "Alice",
}

// sayCommand is macOS `say` writing 16-bit 24 kHz WAV; the text comes on
// stdin (`-f -`) so no quoting is involved.
func sayCommand(lang, out string) osCommand {
	args := []string{}
	if v, ok := sayVoices[lang]; ok {
		args = append(args, "-v", v)
	}
	args = append(args, "--file-format=WAVE", "--data-format=LEI16@24000", "-o", out, "-f", "-")
	return osCommand{Name: "say", Args: args, OutFile: out}
}

// sapiCultures maps a language to the culture used to pick a SAPI voice.
var sapiCultures = map[string]string{
	"en": "en-US", "zh": "zh-CN", "ja": "ja-JP", "ko": "ko-KR", "ru": "ru-RU",
	"fr": "fr-FR", "de": "de-DE", "es": "es-ES", "it": "it-IT",
}

// sapiCommand is Windows SAPI through PowerShell System.Speech, writing a
// 16-bit mono 22050 Hz WAV. The text is read from stdin as UTF-8 and the
// output path and culture come through the environment (-Command would
// splice extra arguments into the script), so none is parsed as code.
func sapiCommand(lang, out string) osCommand {
	culture := sapiCultures[lang]
	script := strings.Join([]string{
		"$ErrorActionPreference = 'Stop'",
		"[Console]::InputEncoding = [Text.Encoding]::UTF8",
		"Add-Type -AssemblyName System.Speech",
		"$s = New-Object System.Speech.Synthesis.SpeechSynthesizer",
		"if ($env:NEKO_TTS_CULTURE) { try { $s.SelectVoiceByHints([System.Speech.Synthesis.VoiceGender]::Female, [System.Speech.Synthesis.VoiceAge]::Adult, 0, [Globalization.CultureInfo]::new($env:NEKO_TTS_CULTURE)) } catch {} }",
		"$f = New-Object System.Speech.AudioFormat.SpeechAudioFormatInfo(22050, [System.Speech.AudioFormat.AudioBitsPerSample]::Sixteen, [System.Speech.AudioFormat.AudioChannel]::Mono)",
		"$s.SetOutputToWaveFile($env:NEKO_TTS_OUT, $f)",
		"$s.Speak([Console]::In.ReadToEnd())",
		"$s.Dispose()",
	}, "; ")
	return osCommand{
		Name:    "powershell.exe",
		Args:    []string{"-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command", script},
		Env:     []string{"NEKO_TTS_OUT=" + out, "NEKO_TTS_CULTURE=" + culture},
		OutFile: out,
	}
}

// run executes c and decodes its WAV output.
func (c osCommand) run(ctx context.Context) ([]int16, int, error) {
	cmd := exec.CommandContext(ctx, c.Name, c.Args...)
	if len(c.Env) > 0 {
		cmd.Env = append(os.Environ(), c.Env...)
	}
	cmd.Stdin = strings.NewReader(c.Stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		return nil, 0, fmt.Errorf("%s: %w: %s", c.Name, err, strings.TrimSpace(stderr.String()))
	}
	data := stdout.Bytes()
	if c.OutFile != "" {
		b, err := os.ReadFile(c.OutFile)
		if err != nil {
			return nil, 0, fmt.Errorf("%s wrote no audio: %w", c.Name, err)
		}
		data = b
	}
	s, rate, err := ParseWAV(data)
	if err != nil {
		return nil, 0, fmt.Errorf("%s output: %w", c.Name, err)
	}
	return s, rate, nil
}

// tempWAV returns a fresh path in dir for a command's output file.
func tempWAV(dir string) (string, func(), error) {
	f, err := os.CreateTemp(dir, "neko-tts-*.wav")
	if err != nil {
		return "", nil, fmt.Errorf("temp wav: %w", err)
	}
	name := f.Name()
	f.Close()
	return name, func() { os.Remove(name) }, nil
}
