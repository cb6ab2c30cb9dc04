//go:build !cgo

package audio

import (
	"errors"
	"time"
)

// openDevice reports that this build has no local playback (oto needs cgo).
func openDevice(time.Duration) (device, <-chan struct{}, error) {
	return nil, nil, errors.New("local playback unavailable: built without cgo")
}
