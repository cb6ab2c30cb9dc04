// Package zmqleak names the goroutines a goroutine-leak check must ignore
// in tests that use ZeroMQ sockets: zmq4 stops them a moment after Close
// returns, and leaves one per closed PUB socket (DESIGN §4).
package zmqleak

import "go.uber.org/goleak"

// Ignore returns the goleak options for zmq4's lingering goroutines.
func Ignore() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreAnyFunction("github.com/go-zeromq/zmq4.(*pubMWriter).run"),
		goleak.IgnoreAnyFunction("github.com/go-zeromq/zmq4.(*qreader).listen"),
		goleak.IgnoreAnyFunction("github.com/go-zeromq/zmq4.(*socket).connReaper"),
		goleak.IgnoreAnyFunction("github.com/go-zeromq/zmq4.(*Conn).read"),
		goleak.IgnoreAnyFunction("internal/poll.runtime_pollWait"),
	}
}
