package llm

import (
	"bytes"
	"encoding/base64"
)

var (
	audioDeltaTypes = [][]byte{[]byte(`"type":"response.audio.delta"`), []byte(`"type":"response.output_audio.delta"`)}
	deltaKey        = []byte(`"delta":"`)
)

// fastAudioDelta decodes the PCM of an audio delta event without a full
// JSON parse (audio deltas are most of a voice session's traffic). It
// reports ok=false whenever the message is not a plainly encoded audio
// delta, and the caller falls back to encoding/json.
func fastAudioDelta(msg []byte) (pcm []byte, ok bool) {
	if len(msg) < 64 || !(bytes.Contains(msg[:min(len(msg), 96)], audioDeltaTypes[0]) ||
		bytes.Contains(msg[:min(len(msg), 96)], audioDeltaTypes[1])) {
		return nil, false
	}
	i := bytes.Index(msg, deltaKey)
	if i < 0 {
		return nil, false
	}
	val := msg[i+len(deltaKey):]
	end := bytes.IndexByte(val, '"')
	if end < 0 || bytes.IndexByte(val[:end], '\\') >= 0 {
		return nil, false
	}
	val = val[:end]
	pcm = make([]byte, base64.StdEncoding.DecodedLen(len(val)))
	n, err := base64.StdEncoding.Decode(pcm, val)
	if err != nil {
		return nil, false
	}
	return pcm[:n], true
}
