// Package memory is neko's memory server (port 48912): recent memory in
// recent_<name>.json, the original's SQLite time index, hybrid semantic
// recall (FTS5 BM25 + vectors + recency), summary compression, background
// review, settling whole sessions into the archive, and the memory browser
// API. Paths and JSON shapes follow the original N.E.K.O. memory server.
package memory

import (
	"time"

	"neko/backend/llm"
)

// Config configures the memory server. Zero fields take DefaultConfig's
// values.
type Config struct {
	Dir            string        // <data>/memory: recent_<name>.json, time_indexed_<name>, settings_<name>.json
	Lang           string        // prompt language: "zh" (default), "en", "ja"
	MaxRecent      int           // messages kept in recent memory before compression (10, as the original)
	MemoMaxChars   int           // summary memo cap in characters (500); longer summaries get a second pass, then a hard cut
	ChunkChars     int           // map-reduce chunk size for long histories (6000)
	MaxChunks      int           // hard cap on map chunks; the oldest are dropped beyond it (12)
	MaxBody        int64         // request body limit (8 MiB)
	LLMTimeout     time.Duration // per summary / correction call (90 s)
	EmbedBatch     int           // texts per background embedding request (32)
	EmbedInterval  time.Duration // background re-embedding poll (2 s)
	EnableShutdown bool          // honour POST /shutdown (calls OnShutdown)
	// NoFsync skips fsync on SQLite commits and recent-file writes. Writes
	// still survive a killed process, not a power loss. Tests only.
	NoFsync    bool
	OnShutdown func()
	// ReviewEnabled reports core_config's recent_memory_auto_review; nil = true.
	ReviewEnabled func() bool
	Now           func() time.Time
}

// DefaultConfig returns the defaults for a memory folder.
func DefaultConfig(dir string) Config {
	return Config{Dir: dir, Lang: "zh", MaxRecent: 10, MemoMaxChars: 500, ChunkChars: 6000, MaxChunks: 12,
		MaxBody: 8 << 20, LLMTimeout: 90 * time.Second, EmbedBatch: 32, EmbedInterval: 2 * time.Second, Now: time.Now}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig(c.Dir)
	if c.Lang == "" {
		c.Lang = d.Lang
	}
	if c.MaxRecent < 2 {
		c.MaxRecent = d.MaxRecent
	}
	if c.MemoMaxChars <= 0 {
		c.MemoMaxChars = d.MemoMaxChars
	}
	if c.ChunkChars <= 0 {
		c.ChunkChars = d.ChunkChars
	}
	if c.MaxChunks <= 0 {
		c.MaxChunks = d.MaxChunks
	}
	if c.MaxBody <= 0 {
		c.MaxBody = d.MaxBody
	}
	if c.LLMTimeout <= 0 {
		c.LLMTimeout = d.LLMTimeout
	}
	if c.EmbedBatch <= 0 {
		c.EmbedBatch = d.EmbedBatch
	}
	if c.EmbedInterval <= 0 {
		c.EmbedInterval = d.EmbedInterval
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Characters is what the memory server needs from characters.json.
type Characters interface {
	MasterName() string
	Profile(name string) (map[string]any, bool)
	Names() []string
}

// Deps are the memory server's collaborators.
type Deps struct {
	// Characters, when nil, lets every valid name through and uses "主人"
	// as the master's name.
	Characters Characters
	// Endpoint returns the model endpoint of a role: "summary",
	// "correction" or "embedding". A zero BaseURL means not configured:
	// compression and review are skipped and local word vectors are used.
	Endpoint func(role string) llm.Endpoint
}

// Roles passed to Deps.Endpoint.
const (
	RoleSummary    = "summary"
	RoleCorrection = "correction"
	RoleEmbedding  = "embedding"
)
