package tts

import "neko/backend/audio"

// AudioResampler is the default ResamplerFactory: neko's streaming
// polyphase resampler (mono), whose tail is flushed at the end of each
// utterance.
func AudioResampler(inRate, outRate int) (Resampler, error) {
	return audio.NewResampler(inRate, outRate, 1)
}
