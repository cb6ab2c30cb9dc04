package bridge

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"

	"github.com/go-zeromq/zmq4"
	"github.com/go-zeromq/zmq4/transport"
)

// transportName is the zmq4 transport our sockets use: plain ZMTP over TCP
// (the wire is what any ZeroMQ peer speaks), with every connection read
// through a frameLimit. zmq4 allocates a frame's body from the size its
// header announces, so one bad header — a peer's half-written frame, or any
// local process that completes a greeting — would otherwise panic the whole
// app with "makeslice: len out of range" or make it allocate gigabytes.
const transportName = "nekotcp"

// MaxFrameBytes is the largest ZMTP frame a peer may send; bridge messages
// are small JSON documents, far below it.
const MaxFrameBytes = 32 << 20

// ErrFrameTooLarge ends a connection whose peer announced a frame over
// MaxFrameBytes; the socket drops the connection and the peer reconnects.
var ErrFrameTooLarge = errors.New("bridge: ZMTP frame larger than the limit")

// registerTransport makes transportName known to zmq4. Its registry is
// process-wide; registering twice reports a duplicate, which is fine.
func registerTransport() {
	_ = zmq4.RegisterTransport(transportName, limitedTCP{Transport: transport.New("tcp"), max: MaxFrameBytes})
}

type limitedTCP struct {
	transport.Transport
	max uint64
}

func (t limitedTCP) Dial(ctx context.Context, d transport.Dialer, addr string) (net.Conn, error) {
	c, err := t.Transport.Dial(ctx, d, addr)
	if err != nil {
		return nil, err
	}
	return newFrameLimit(c, t.max), nil
}

func (t limitedTCP) Listen(ctx context.Context, addr string) (net.Listener, error) {
	ln, err := t.Transport.Listen(ctx, addr)
	if err != nil {
		return nil, err
	}
	return limitedListener{Listener: ln, max: t.max}, nil
}

type limitedListener struct {
	net.Listener
	max uint64
}

func (l limitedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return newFrameLimit(c, l.max), nil
}

// zmtpGreeting is the size of a ZMTP 3 greeting; frames follow it.
const zmtpGreeting = 64

// ZMTP 3 frame flags.
const (
	flagLong = 0x02 // the size is 8 bytes (big endian), else 1 byte
)

// frameLimit follows the ZMTP byte stream it reads — the greeting, then
// frames of flags, size and body — and fails the read that completes a
// header announcing more than max bytes, before the caller sees it.
type frameLimit struct {
	net.Conn
	max uint64

	greeting int     // greeting bytes still to pass
	need     int     // header bytes still to read: 0 = at a flags byte
	long     bool    // the header being read has an 8-byte size
	size     [8]byte // the size bytes read so far
	got      int
	body     uint64 // body bytes still to pass
	err      error  // sticky: the stream is no longer trusted
}

func newFrameLimit(c net.Conn, max uint64) *frameLimit {
	return &frameLimit{Conn: c, max: max, greeting: zmtpGreeting}
}

func (f *frameLimit) Read(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	n, err := f.Conn.Read(p)
	if serr := f.scan(p[:n]); serr != nil {
		f.err = serr
		_ = f.Conn.Close()
		return 0, serr
	}
	return n, err
}

// scan advances the parser over b.
func (f *frameLimit) scan(b []byte) error {
	for len(b) > 0 {
		switch {
		case f.greeting > 0:
			k := min(f.greeting, len(b))
			f.greeting -= k
			b = b[k:]
		case f.body > 0:
			k := uint64(len(b))
			if k > f.body {
				k = f.body
			}
			f.body -= k
			b = b[k:]
		case f.need == 0: // flags byte
			f.long = b[0]&flagLong != 0
			f.need, f.got = 1, 0
			if f.long {
				f.need = 8
			}
			b = b[1:]
		default: // size bytes
			k := min(f.need, len(b))
			copy(f.size[f.got:], b[:k])
			f.got += k
			f.need -= k
			b = b[k:]
			if f.need > 0 {
				continue
			}
			size := uint64(f.size[0])
			if f.long {
				size = binary.BigEndian.Uint64(f.size[:])
			}
			if size > f.max {
				return fmt.Errorf("%w: %d bytes announced, %d allowed", ErrFrameTooLarge, size, f.max)
			}
			f.body = size
		}
	}
	return nil
}
