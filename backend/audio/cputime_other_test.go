//go:build !unix

package audio_test

import "time"

var benchEpoch = time.Now()

// processCPU falls back to wall-clock time where getrusage is missing.
func processCPU() time.Duration { return time.Since(benchEpoch) }
