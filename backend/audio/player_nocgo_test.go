//go:build !cgo

package audio_test

import (
	"testing"

	"neko/backend/audio"
)

func TestPlayerWithoutCgoIsUnavailable(t *testing.T) {
	p := audio.NewPlayer(audio.PlayerConfig{}, nil)
	if st := p.Status(); st.Available || st.Reason == "" {
		t.Fatalf("status %+v", st)
	}
	p.Enqueue("x", []int16{1, 2, 3}) // never blocks, drops
	p.Interrupt("x")
}
