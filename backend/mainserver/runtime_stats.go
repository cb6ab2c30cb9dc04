package mainserver

import (
	"net/http"
	"runtime"

	"neko/backend/httpjson"
)

// RuntimeStats is the answer of GET /api/debug/runtime: a few Go runtime
// counters of this process, read by the soak test (tools/soak) to watch for
// goroutine and heap leaks. In the default mode the three servers share one
// process, so the figures cover all of them. Nothing in it is secret.
type RuntimeStats struct {
	Goroutines int    `json:"goroutines"`
	HeapAlloc  uint64 `json:"heap_alloc"` // bytes of live and not yet swept heap objects
	HeapSys    uint64 `json:"heap_sys"`   // bytes of heap memory obtained from the OS
	NumGC      uint32 `json:"num_gc"`     // completed GC cycles
	Sys        uint64 `json:"sys"`        // total bytes obtained from the OS by the runtime
	// HeapReleased is heap memory returned to the OS; Sys − HeapReleased
	// bounds what the Go runtime holds, so the rest of the RSS is memory
	// allocated outside it (SQLite's page caches in the pure-Go driver).
	HeapReleased uint64 `json:"heap_released"`
	NumCgoCall   int64  `json:"num_cgo_call"` // cgo calls made (0 in the headless build)
}

// ReadRuntimeStats samples the runtime. runtime.ReadMemStats stops the
// world for a few microseconds, which is fine for a sampler polling every
// few seconds.
func ReadRuntimeStats() RuntimeStats {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return RuntimeStats{Goroutines: runtime.NumGoroutine(), HeapAlloc: ms.HeapAlloc, HeapSys: ms.HeapSys,
		NumGC: ms.NumGC, Sys: ms.Sys, HeapReleased: ms.HeapReleased, NumCgoCall: runtime.NumCgoCall()}
}

// runtimeRoutes mounts the read-only runtime counters. The guard in front of
// the main server applies as to every route (loopback Host, trusted Origin).
func (s *Server) runtimeRoutes() {
	s.mux.HandleFunc("GET /api/debug/runtime", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		httpjson.Write(w, http.StatusOK, ReadRuntimeStats())
	})
}
