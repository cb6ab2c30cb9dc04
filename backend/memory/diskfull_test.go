package memory

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"
)

func TestIsDiskFull(t *testing.T) {
	for _, c := range []struct {
		err  error
		full bool
	}{
		{&fs.PathError{Op: "write", Path: "recent_x.json", Err: syscall.ENOSPC}, true},
		{fmt.Errorf("save recent: %w", &fs.PathError{Op: "write", Path: "x", Err: syscall.EDQUOT}), true},
		{&fs.PathError{Op: "open", Path: "x", Err: syscall.EACCES}, false},
		{errors.New("database or disk is full"), false}, // only the typed SQLite code counts
		{nil, false},
	} {
		if got := isDiskFull(c.err); got != c.full {
			t.Errorf("isDiskFull(%v) = %v", c.err, got)
		}
	}
}
