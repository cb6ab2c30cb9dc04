package audio

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
)

// FrameWriter is one client connection of a character, as the WebSocket
// hub provides it. Writes may block; the fan-out calls them from one
// goroutine per client.
type FrameWriter interface {
	WriteJSON(v any) error
	WriteBinary(b []byte) error
}

// LocalSink is the local player as the fan-out uses it (*Player).
type LocalSink interface {
	Available() bool
	Enqueue(speechID string, pcm []int16)
	EndSpeech(speechID string)
	Interrupt(speechID string)
}

// Mode says where assistant speech goes (a user setting).
type Mode string

// Output modes.
const (
	ModeLocal  Mode = "local"  // the local player only (clients get lip-sync)
	ModeStream Mode = "stream" // WebSocket clients only (the upstream behaviour)
	ModeBoth   Mode = "both"   // both; clients are told not to play it themselves
)

// ParseMode validates a mode setting.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeLocal, ModeStream, ModeBoth:
		return m, nil
	}
	return "", fmt.Errorf("audio: unknown output mode %q (want local, stream or both)", s)
}

// AudioChunkHeader precedes every binary audio frame sent to a client
// (reference §5.5). LocalPlayback tells the client the server is already
// playing it, so it must not play it too.
type AudioChunkHeader struct {
	Type          string `json:"type"` // "audio_chunk"
	SpeechID      string `json:"speech_id"`
	Format        string `json:"format,omitempty"` // "pcm_s16le_48000" or "ogg_opus"
	LocalPlayback bool   `json:"local_playback,omitempty"`
}

// LipSyncMessage carries the mouth-open value to clients.
type LipSyncMessage struct {
	Type string `json:"type"` // "lipsync"
	LipSync
}

// FanoutConfig tunes the fan-out. The zero value uses the defaults.
type FanoutConfig struct {
	Mode     Mode // default ModeStream
	QueueLen int  // per-client queue of header+binary pairs (default 256)
}

// Fanout delivers 48 kHz speech, tagged with its speech id, to the local
// player and to every WebSocket client of the character. Each client has a
// bounded queue and its own writer goroutine: a slow client loses chunks
// (counted and logged) and never delays the player or other clients.
type Fanout struct {
	local   LocalSink
	log     *slog.Logger
	qlen    int
	dropped atomic.Uint64

	mu       sync.Mutex
	mode     Mode
	muted    bool // speech goes nowhere (the user muted her voice)
	clients  map[string]map[*fanClient]struct{}
	speakers [32]speaker // recent speech ids sent to the local player
	nextSpk  int
	cut      map[string]*idSet // per character: recently interrupted speech ids
}

type speaker struct{ speechID, character string }

type fanItem struct {
	speechID string
	header   any
	binary   []byte
}

type fanClient struct {
	character string
	w         FrameWriter
	q         chan fanItem
	stop      chan struct{}
	done      chan struct{}
	once      sync.Once

	mu          sync.Mutex
	interrupted idSet
	drops       uint64
}

// NewFanout makes a fan-out. local may be nil (no local playback).
func NewFanout(cfg FanoutConfig, local LocalSink, log *slog.Logger) *Fanout {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = 256
	}
	if cfg.Mode == "" {
		cfg.Mode = ModeStream
	}
	return &Fanout{local: local, log: log, qlen: cfg.QueueLen, mode: cfg.Mode,
		clients: map[string]map[*fanClient]struct{}{}, cut: map[string]*idSet{}}
}

// SetMode changes where speech goes from the next chunk on.
func (f *Fanout) SetMode(m Mode) {
	f.mu.Lock()
	f.mode = m
	f.mu.Unlock()
}

// SetMuted silences speech from the next chunk on: while muted no chunk
// reaches the local player or any client (text is not the fan-out's
// business and keeps flowing).
func (f *Fanout) SetMuted(m bool) {
	f.mu.Lock()
	f.muted = m
	f.mu.Unlock()
}

// Mode returns the configured mode.
func (f *Fanout) Mode() Mode {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mode
}

// Clients is the number of attached clients of character.
func (f *Fanout) Clients(character string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.clients[character])
}

// Dropped is the number of client frames dropped because a client was too
// slow.
func (f *Fanout) Dropped() uint64 { return f.dropped.Load() }

// Attach adds a client of character and starts its writer. The returned
// function detaches it (call it when the connection closes).
func (f *Fanout) Attach(character string, w FrameWriter) (detach func()) {
	c := &fanClient{character: character, w: w, q: make(chan fanItem, f.qlen), stop: make(chan struct{}), done: make(chan struct{})}
	f.mu.Lock()
	set := f.clients[character]
	if set == nil {
		set = map[*fanClient]struct{}{}
		f.clients[character] = set
	}
	set[c] = struct{}{}
	f.mu.Unlock()
	go f.writeLoop(c)
	return func() { f.detach(c) }
}

func (f *Fanout) detach(c *fanClient) {
	f.mu.Lock()
	if set := f.clients[c.character]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(f.clients, c.character)
		}
	}
	f.mu.Unlock()
	c.once.Do(func() { close(c.stop) })
}

// Close detaches every client; each writer exits after its current write.
func (f *Fanout) Close() {
	f.mu.Lock()
	var all []*fanClient
	for _, set := range f.clients {
		for c := range set {
			all = append(all, c)
		}
	}
	f.mu.Unlock()
	for _, c := range all {
		f.detach(c)
	}
}

func (f *Fanout) writeLoop(c *fanClient) {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case it := <-c.q:
			if it.speechID != "" && c.isInterrupted(it.speechID) {
				continue
			}
			if err := c.w.WriteJSON(it.header); err != nil {
				f.log.Info("audio client write failed; detaching", "character", c.character, "err", err)
				f.detach(c)
				return
			}
			if it.binary != nil {
				if err := c.w.WriteBinary(it.binary); err != nil {
					f.log.Info("audio client write failed; detaching", "character", c.character, "err", err)
					f.detach(c)
					return
				}
			}
		}
	}
}

func (c *fanClient) isInterrupted(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.interrupted.has(id)
}

// routes returns the clients of character and whether the local player
// takes the audio; nothing at all for a speech that was interrupted.
func (f *Fanout) routes(character, speechID string) (clients []*fanClient, local, stream bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cut := f.cut[character]; f.muted || (cut != nil && cut.has(speechID)) {
		return nil, false, false
	}
	for c := range f.clients[character] {
		clients = append(clients, c)
	}
	localOK := f.local != nil && f.local.Available()
	switch f.mode {
	case ModeLocal:
		local, stream = localOK, !localOK // no device: fall back to streaming
	case ModeBoth:
		local, stream = localOK, true
	default:
		stream = true
	}
	return clients, local, stream
}

// PCM delivers one chunk of 48 kHz mono s16 speech. The slice is not
// retained after PCM returns.
func (f *Fanout) PCM(character, speechID string, pcm []int16) {
	if len(pcm) == 0 {
		return
	}
	clients, local, stream := f.routes(character, speechID)
	if local {
		f.noteSpeaker(speechID, character)
		f.local.Enqueue(speechID, pcm)
	}
	if !stream || len(clients) == 0 {
		return
	}
	b := Int16ToBytesLE(make([]byte, 0, 2*len(pcm)), pcm)
	h := AudioChunkHeader{Type: "audio_chunk", SpeechID: speechID, LocalPlayback: local}
	f.broadcast(clients, fanItem{speechID: speechID, header: h, binary: b})
}

// Ogg delivers one OGG/Opus chunk. The local player cannot decode Opus, so
// it always goes to the clients, tagged the same way. b is not retained.
func (f *Fanout) Ogg(character, speechID string, b []byte) {
	if len(b) == 0 {
		return
	}
	clients, _, _ := f.routes(character, speechID)
	h := AudioChunkHeader{Type: "audio_chunk", SpeechID: speechID, Format: "ogg_opus"}
	f.broadcast(clients, fanItem{speechID: speechID, header: h, binary: append([]byte(nil), b...)})
}

// EndSpeech marks the end of an utterance (the local player starts a short
// reply without waiting for its pre-roll).
func (f *Fanout) EndSpeech(character, speechID string) {
	if _, local, _ := f.routes(character, speechID); local {
		f.local.EndSpeech(speechID)
	}
}

func (f *Fanout) noteSpeaker(speechID, character string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.speakers {
		if s.speechID == speechID {
			return
		}
	}
	f.speakers[f.nextSpk] = speaker{speechID, character}
	f.nextSpk = (f.nextSpk + 1) % len(f.speakers)
}

// OnPlayerLipSync is the local player's PlayerConfig.OnLipSync hook: it
// sends the value to the clients of the character whose speech it is.
func (f *Fanout) OnPlayerLipSync(l LipSync) {
	f.mu.Lock()
	character := ""
	for _, s := range f.speakers {
		if s.speechID == l.SpeechID {
			character = s.character
		}
	}
	f.mu.Unlock()
	if character != "" {
		f.LipSync(character, l)
	}
}

// LipSync sends a mouth value to the character's clients.
func (f *Fanout) LipSync(character string, l LipSync) {
	clients, _, _ := f.routes(character, l.SpeechID)
	f.broadcast(clients, fanItem{speechID: l.SpeechID, header: LipSyncMessage{Type: "lipsync", LipSync: l}})
}

func (f *Fanout) broadcast(clients []*fanClient, it fanItem) {
	for _, c := range clients {
		select {
		case c.q <- it:
		default:
			total := f.dropped.Add(1)
			c.mu.Lock()
			c.drops++
			n := c.drops
			c.mu.Unlock()
			if n == 1 || n%100 == 0 {
				f.log.Warn("audio client too slow; dropping chunks", "character", c.character, "client_drops", n, "total_drops", total)
			}
		}
	}
}

// Interrupt drops everything of speechID at every sink: the local player
// cuts it off and no client starts another frame of it. Frames of that id
// sent later are dropped too.
func (f *Fanout) Interrupt(character, speechID string) {
	f.mu.Lock()
	cut := f.cut[character]
	if cut == nil {
		cut = &idSet{}
		f.cut[character] = cut
	}
	cut.add(speechID)
	var clients []*fanClient
	for c := range f.clients[character] {
		clients = append(clients, c)
	}
	f.mu.Unlock()
	for _, c := range clients {
		c.mu.Lock()
		c.interrupted.add(speechID)
		c.mu.Unlock()
	}
	if f.local != nil && f.local.Available() {
		f.local.Interrupt(speechID)
	}
}
