package audio_test

import (
	"fmt"

	"neko/backend/audio"
)

// A provider streams 24 kHz PCM16 deltas; each turn is resampled to 48 kHz
// with one Resampler that is Reset when a new turn starts.
func ExampleResampler() {
	r, err := audio.NewResampler(24000, 48000, 1)
	if err != nil {
		panic(err)
	}
	var out []int16
	for range 10 {
		delta := make([]int16, 480) // 20 ms from the provider
		out = r.ProcessInt16(out, delta)
	}
	out = r.FlushInt16(out) // end of the turn
	fmt.Println(len(out))
	r.Reset() // next turn
	// Output: 9600
}
