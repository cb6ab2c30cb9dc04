package tts

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrNotWAV is wrapped by ParseWAV for data that is not 16-bit PCM WAV.
var ErrNotWAV = errors.New("not a 16-bit PCM WAV")

// ParseWAV decodes a RIFF/WAVE blob of 16-bit PCM into mono samples and its
// rate. Stereo is averaged to mono. Streaming writers (espeak-ng --stdout,
// GPT-SoVITS chunks) leave the sizes at 0 or 0xFFFFFFFF, so a data chunk
// whose size runs past the end is read to the end.
func ParseWAV(b []byte) ([]int16, int, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, fmt.Errorf("%w: no RIFF/WAVE header", ErrNotWAV)
	}
	var rate, channels, bits int
	p := 12
	for p+8 <= len(b) {
		id := string(b[p : p+4])
		size := int(binary.LittleEndian.Uint32(b[p+4 : p+8]))
		body := p + 8
		switch id {
		case "fmt ":
			if body+16 > len(b) {
				return nil, 0, fmt.Errorf("%w: short fmt chunk", ErrNotWAV)
			}
			format := binary.LittleEndian.Uint16(b[body:])
			channels = int(binary.LittleEndian.Uint16(b[body+2:]))
			rate = int(binary.LittleEndian.Uint32(b[body+4:]))
			bits = int(binary.LittleEndian.Uint16(b[body+14:]))
			if (format != 1 && format != 0xFFFE) || bits != 16 || channels < 1 || rate <= 0 {
				return nil, 0, fmt.Errorf("%w: format %d, %d bits, %d channels, %d Hz", ErrNotWAV, format, bits, channels, rate)
			}
		case "data":
			if rate == 0 {
				return nil, 0, fmt.Errorf("%w: data before fmt", ErrNotWAV)
			}
			end := body + size
			if size == 0 || size == 0xFFFFFFFF || end > len(b) || end < body {
				end = len(b)
			}
			return pcmMono(b[body:end], channels), rate, nil
		}
		if size < 0 || body+size < body {
			break
		}
		p = body + size + size%2
	}
	return nil, 0, fmt.Errorf("%w: no data chunk", ErrNotWAV)
}

// pcmMono decodes s16le frames and averages channels.
func pcmMono(b []byte, channels int) []int16 {
	frame := 2 * channels
	n := len(b) / frame
	out := make([]int16, n)
	for i := 0; i < n; i++ {
		sum := 0
		for c := 0; c < channels; c++ {
			sum += int(int16(binary.LittleEndian.Uint16(b[i*frame+2*c:])))
		}
		out[i] = int16(sum / channels)
	}
	return out
}

// bytesToInt16 decodes s16le bytes (an odd trailing byte is dropped).
func bytesToInt16(b []byte) []int16 { return pcmMono(b, 1) }
