//go:build race

package store_test

// raceEnabled skips diagnostic-only work under the race detector.
const raceEnabled = true
