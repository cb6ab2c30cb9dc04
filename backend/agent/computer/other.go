//go:build !(linux || freebsd || openbsd || netbsd || windows || darwin)

package computer

import (
	"fmt"
	"runtime"
)

// openBackend reports that this OS has no input backend yet; the agent
// shows computer use as unavailable with a reason instead of failing later.
func openBackend(string) (Backend, error) {
	return nil, fmt.Errorf("computer use has no input backend on %s yet", runtime.GOOS)
}
