package tts

import "context"

// Bridges for the black-box tests: the OS voice command lines.

type OSCommand = osCommand

func SayCommand(lang, out string) OSCommand           { return sayCommand(lang, out) }
func SAPICommand(lang, out string) OSCommand          { return sapiCommand(lang, out) }
func EspeakCommand(bin, voice, text string) OSCommand { return espeakCommand(bin, voice, text) }
func EspeakVoiceFor(lang string) string               { return espeakVoiceFor(lang) }
func FestivalScript(text, path string, n int) string  { return festivalScript(text, path, n) }

func ProviderHTTPError(engine string, status int, body []byte) *ProviderError {
	return providerHTTPError(engine, status, body)
}

func (c OSCommand) Run(ctx context.Context) ([]int16, int, error) { return c.run(ctx) }
