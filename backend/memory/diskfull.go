package memory

import (
	"errors"

	"modernc.org/sqlite"

	"neko/backend/atomicfile"
)

// sqliteFull is SQLITE_FULL, the primary result code of a write that found
// no space (the low byte of an extended code).
const sqliteFull = 13

// isDiskFull reports whether err comes from a write that ran out of disk
// space: ENOSPC or EDQUOT from a file write, or SQLITE_FULL.
func isDiskFull(err error) bool {
	if atomicfile.IsDiskFull(err) {
		return true
	}
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqliteFull
}
