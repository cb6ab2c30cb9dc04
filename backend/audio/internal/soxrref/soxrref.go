//go:build soxrbench && cgo

// Package soxrref wraps libsoxr (HQ, float32, mono) through cgo so the
// resampler benchmarks can compare against it in-process. It is built only
// with the soxrbench tag and needs libsoxr-dev.
package soxrref

/*
#cgo LDFLAGS: -lsoxr
#include <soxr.h>
#include <stdlib.h>
*/
import "C"

import (
	"errors"
	"unsafe"
)

// Stream is a libsoxr HQ stream resampler for mono float32.
type Stream struct{ s C.soxr_t }

// New creates a stream from inRate to outRate.
func New(inRate, outRate int) (*Stream, error) {
	var e C.soxr_error_t
	q := C.soxr_quality_spec(C.SOXR_HQ, 0)
	s := C.soxr_create(C.double(inRate), C.double(outRate), 1, &e, nil, &q, nil)
	if e != nil {
		return nil, errors.New(C.GoString(e))
	}
	return &Stream{s: s}, nil
}

// Process appends the output for in to out (out's spare capacity must be
// large enough; the output is truncated otherwise).
func (st *Stream) Process(out, in []float32) []float32 {
	var idone, odone C.size_t
	n := len(out)
	spare := cap(out) - n
	if spare == 0 || len(in) == 0 {
		return out
	}
	out = out[:cap(out)]
	C.soxr_process(st.s, C.soxr_in_t(unsafe.Pointer(&in[0])), C.size_t(len(in)), &idone,
		C.soxr_out_t(unsafe.Pointer(&out[n])), C.size_t(spare), &odone)
	return out[:n+int(odone)]
}

// Clear resets the stream for a new signal.
func (st *Stream) Clear() { C.soxr_clear(st.s) }

// Close frees the stream.
func (st *Stream) Close() { C.soxr_delete(st.s) }
