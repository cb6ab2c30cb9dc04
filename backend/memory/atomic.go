package memory

import (
	"os"

	"neko/backend/atomicfile"
)

// writeFile writes a file atomically, with fsync unless the configuration
// traded durability for speed (NoFsync).
func (s *Server) writeFile(path string, b []byte, perm os.FileMode) error {
	if s.cfg.NoFsync {
		return atomicfile.WriteNoSync(path, b, perm)
	}
	return atomicfile.Write(path, b, perm)
}
