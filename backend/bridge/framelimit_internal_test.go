package bridge

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
)

// zmtpStream is a ZMTP 3 greeting followed by the given frames.
func zmtpStream(frames ...[]byte) []byte {
	var b bytes.Buffer
	b.Write(make([]byte, zmtpGreeting))
	for _, body := range frames {
		if len(body) > 255 {
			var hdr [9]byte
			hdr[0] = flagLong
			binary.BigEndian.PutUint64(hdr[1:], uint64(len(body)))
			b.Write(hdr[:])
		} else {
			b.Write([]byte{0, byte(len(body))})
		}
		b.Write(body)
	}
	return b.Bytes()
}

// chunkConn hands out a stream a few bytes per Read.
type chunkConn struct {
	net.Conn
	r     io.Reader
	chunk int
}

func (c *chunkConn) Read(p []byte) (int, error) {
	if len(p) > c.chunk {
		p = p[:c.chunk]
	}
	return c.r.Read(p)
}
func (c *chunkConn) Close() error { return nil }

func TestFrameLimitPassesFramesAtAnySplit(t *testing.T) {
	stream := zmtpStream([]byte("short"), bytes.Repeat([]byte{7}, 300), nil, bytes.Repeat([]byte{1}, 1000))
	for chunk := 1; chunk <= 17; chunk++ {
		f := newFrameLimit(&chunkConn{r: bytes.NewReader(stream), chunk: chunk}, 1000)
		got, err := io.ReadAll(f)
		if err != nil || !bytes.Equal(got, stream) {
			t.Fatalf("chunk %d: %v, %d of %d bytes", chunk, err, len(got), len(stream))
		}
	}
}

func TestFrameLimitRefusesOversizeHeaderBeforeTheCallerSeesIt(t *testing.T) {
	var bad bytes.Buffer
	bad.Write(zmtpStream([]byte("ok")))
	bad.Write([]byte{flagLong, 0x40, 0, 0, 0, 0, 0, 0, 0}) // 2^62 bytes
	for chunk := 1; chunk <= 12; chunk++ {
		f := newFrameLimit(&chunkConn{r: bytes.NewReader(bad.Bytes()), chunk: chunk}, MaxFrameBytes)
		var seen []byte
		buf := make([]byte, 64)
		var err error
		for err == nil {
			var n int
			n, err = f.Read(buf)
			seen = append(seen, buf[:n]...)
		}
		if !errors.Is(err, ErrFrameTooLarge) {
			t.Fatalf("chunk %d: %v", chunk, err)
		}
		// The caller never holds the complete bad header, so it never
		// allocates from it.
		if len(seen) >= bad.Len() {
			t.Fatalf("chunk %d: the whole bad header was handed out", chunk)
		}
		if _, err := f.Read(buf); !errors.Is(err, ErrFrameTooLarge) {
			t.Fatalf("chunk %d: a read after the refusal: %v", chunk, err)
		}
	}
}

func FuzzFrameLimit(f *testing.F) {
	f.Add(zmtpStream([]byte("a"), bytes.Repeat([]byte{2}, 400)), uint8(3))
	f.Add(append(zmtpStream(), flagLong, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), uint8(5))
	f.Fuzz(func(t *testing.T, stream []byte, chunk uint8) {
		f := newFrameLimit(&chunkConn{r: bytes.NewReader(stream), chunk: int(chunk%32) + 1}, 4096)
		got, err := io.ReadAll(f)
		if err == nil && !bytes.Equal(got, stream) {
			t.Fatalf("passed %d of %d bytes without an error", len(got), len(stream))
		}
		if err != nil && !errors.Is(err, ErrFrameTooLarge) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}
