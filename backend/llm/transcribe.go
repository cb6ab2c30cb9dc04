package llm

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
)

// Transcriber turns speech into text. pcm is PCM16 LE mono at sampleRate.
type Transcriber interface {
	Transcribe(ctx context.Context, pcm []byte, sampleRate int) (string, error)
}

// TranscriptionClient calls an OpenAI-compatible /audio/transcriptions
// endpoint (ep.Model e.g. "whisper-1", "gpt-4o-mini-transcribe").
type TranscriptionClient struct {
	chat     *ChatClient
	Language string // optional ISO-639-1 hint
	Prompt   string // optional context hint
}

var _ Transcriber = (*TranscriptionClient)(nil)

// NewTranscriptionClient returns a client for ep.
func NewTranscriptionClient(ep Endpoint, opts ...ChatOption) *TranscriptionClient {
	return &TranscriptionClient{chat: NewChatClient(ep, append([]ChatOption{WithoutModelExtras()}, opts...)...)}
}

// Transcribe uploads the audio as a WAV file and returns the text.
func (c *TranscriptionClient) Transcribe(ctx context.Context, pcm []byte, sampleRate int) (string, error) {
	if len(pcm) == 0 {
		return "", fmt.Errorf("llm: transcribe: no audio")
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", "audio.wav")
	if err != nil {
		return "", fmt.Errorf("llm: transcribe: %w", err)
	}
	_, _ = fw.Write(EncodeWAV(pcm, sampleRate))
	_ = mw.WriteField("model", c.chat.ep.Model)
	_ = mw.WriteField("response_format", "json")
	if c.Language != "" {
		_ = mw.WriteField("language", c.Language)
	}
	if c.Prompt != "" {
		_ = mw.WriteField("prompt", c.Prompt)
	}
	if err := mw.Close(); err != nil {
		return "", fmt.Errorf("llm: transcribe: %w", err)
	}
	var text string
	err = c.chat.doContent(ctx, "/audio/transcriptions", body.Bytes(), mw.FormDataContentType(), c.chat.timeouts.Complete,
		func(ctx context.Context, resp *http.Response, w *watchdog) error {
			raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
			if err != nil {
				return w.wrapReadErr(ctx, err)
			}
			var wire struct {
				Text  *string    `json:"text"`
				Error *wireError `json:"error"`
			}
			if err := json.Unmarshal(raw, &wire); err != nil {
				if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
					text = strings.TrimSpace(string(raw))
					return nil
				}
				return &Error{Code: CodeResponseInvalid, Message: "malformed transcription JSON: " + err.Error(), Err: err}
			}
			if wire.Error != nil {
				return wire.Error.toError(resp.StatusCode)
			}
			if wire.Text == nil {
				return &Error{Code: CodeResponseInvalid, Message: "transcription has no text"}
			}
			text = strings.TrimSpace(*wire.Text)
			return nil
		})
	return text, err
}

// EncodeWAV wraps PCM16 LE mono samples in a RIFF/WAVE header.
func EncodeWAV(pcm []byte, sampleRate int) []byte {
	out := make([]byte, 44+len(pcm))
	copy(out[0:], "RIFF")
	binary.LittleEndian.PutUint32(out[4:], uint32(36+len(pcm)))
	copy(out[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(out[16:], 16)
	binary.LittleEndian.PutUint16(out[20:], 1) // PCM
	binary.LittleEndian.PutUint16(out[22:], 1) // mono
	binary.LittleEndian.PutUint32(out[24:], uint32(sampleRate))
	binary.LittleEndian.PutUint32(out[28:], uint32(sampleRate*2))
	binary.LittleEndian.PutUint16(out[32:], 2)
	binary.LittleEndian.PutUint16(out[34:], 16)
	copy(out[36:], "data")
	binary.LittleEndian.PutUint32(out[40:], uint32(len(pcm)))
	copy(out[44:], pcm)
	return out
}

// DecodeWAV returns the PCM16 LE data and sample rate of a mono or stereo
// 16-bit PCM WAV (stereo is mixed down to mono).
func DecodeWAV(b []byte) (pcm []byte, sampleRate int, err error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, fmt.Errorf("llm: not a RIFF/WAVE file")
	}
	channels, bits := 0, 0
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:]))
		body := b[off+8:]
		if size > len(body) {
			size = len(body) // streamed WAVs carry a bogus size
		}
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, 0, fmt.Errorf("llm: short fmt chunk")
			}
			format := binary.LittleEndian.Uint16(body[0:])
			channels = int(binary.LittleEndian.Uint16(body[2:]))
			sampleRate = int(binary.LittleEndian.Uint32(body[4:]))
			bits = int(binary.LittleEndian.Uint16(body[14:]))
			if (format != 1 && format != 0xFFFE) || bits != 16 || channels < 1 || channels > 2 {
				return nil, 0, fmt.Errorf("llm: WAV must be 16-bit PCM mono or stereo (format %d, %d bits, %d channels)", format, bits, channels)
			}
		case "data":
			if channels == 0 {
				return nil, 0, fmt.Errorf("llm: WAV data before fmt")
			}
			data := body[:size&^1]
			if channels == 1 {
				return append([]byte(nil), data...), sampleRate, nil
			}
			mono := make([]byte, 0, len(data)/2)
			for i := 0; i+3 < len(data); i += 4 {
				l := int32(int16(binary.LittleEndian.Uint16(data[i:])))
				r := int32(int16(binary.LittleEndian.Uint16(data[i+2:])))
				mono = binary.LittleEndian.AppendUint16(mono, uint16(int16((l+r)/2)))
			}
			return mono, sampleRate, nil
		}
		off += 8 + size + size&1
	}
	return nil, 0, fmt.Errorf("llm: WAV has no data chunk")
}
