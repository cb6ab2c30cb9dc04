package session

import (
	"context"
	"time"

	"neko/backend/audio"
	"neko/backend/llm"
)

// cascade is voice without a realtime model (N.E.K.O. cannot do this, its
// issue #163): the mic's energy VAD cuts utterances, a transcriber turns
// them into text, and the text turn (chat + TTS) answers. Speaking while she
// talks interrupts her, as in realtime mode.
type cascade struct {
	mic      *audio.Mic
	tr       llm.Transcriber
	inSpeech bool
	utt      []byte   // 16 kHz PCM of the utterance so far
	preroll  [][]byte // the last frames before speech started
	out      []byte
	seq      int
}

const (
	cascadeRate      = 16000
	prerollFrames    = 10              // ~100–320 ms depending on the frame size
	minUtteranceMS   = 250             // shorter blips are noise
	maxUtteranceSecs = 30              // an utterance is cut here
	bytesPerSecond   = cascadeRate * 2 // PCM16 mono
	minUtteranceLen  = bytesPerSecond * minUtteranceMS / 1000
	maxUtteranceLen  = bytesPerSecond * maxUtteranceSecs
	transcribeLimit  = 30 * time.Second
)

func newCascade(tr llm.Transcriber) (*cascade, error) {
	mic, err := audio.NewMic(audio.MicConfig{})
	if err != nil {
		return nil, err
	}
	return &cascade{mic: mic, tr: tr}, nil
}

// cascadeAudio runs one mic frame through VAD and cuts utterances.
func (m *Manager) cascadeAudio(msg clientMsg) {
	c := m.cascade
	var (
		fr  audio.MicFrame
		err error
	)
	if msg.binary != nil {
		c.out, fr, err = c.mic.BinaryFrame(c.out[:0], msg.binary)
	} else {
		c.out, fr, err = c.mic.JSONFrame(c.out[:0], msg.Data)
	}
	if err != nil || len(c.out) == 0 {
		return
	}
	frame := append([]byte(nil), c.out...)
	switch {
	case fr.Speech && !c.inSpeech:
		c.inSpeech = true
		c.utt = c.utt[:0]
		for _, p := range c.preroll {
			c.utt = append(c.utt, p...)
		}
		c.preroll = c.preroll[:0]
		c.utt = append(c.utt, frame...)
		// Barge-in: she stops as soon as the user speaks.
		if m.text != nil && (m.text.cancel != nil || m.speaking) {
			m.text.close()
			m.newSpeech()
			m.speaking = false
		}
	case c.inSpeech:
		c.utt = append(c.utt, frame...)
		if !fr.Speech || len(c.utt) >= maxUtteranceLen {
			c.inSpeech = false
			m.endUtterance()
		}
	default:
		c.preroll = append(c.preroll, frame)
		if len(c.preroll) > prerollFrames {
			c.preroll = c.preroll[1:]
		}
	}
}

func (m *Manager) endUtterance() {
	c := m.cascade
	if len(c.utt) < minUtteranceLen {
		return
	}
	pcm := append([]byte(nil), c.utt...)
	c.seq++
	seq := c.seq
	tr := c.tr
	m.h.background(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, transcribeLimit)
		defer cancel()
		text, err := tr.Transcribe(ctx, pcm, cascadeRate)
		m.post(func() { m.cascadeText(c, seq, text, err) })
	})
}

func (m *Manager) cascadeText(c *cascade, seq int, text string, err error) {
	if m.cascade != c || m.text == nil {
		return
	}
	if err != nil {
		m.log.Warn("transcription failed", "err", err)
		m.status(errorCode(err), map[string]any{"error": err.Error()})
		return
	}
	if text == "" || seq != c.seq {
		return // silence, or a newer utterance is on its way
	}
	m.toClient(map[string]any{"type": "user_transcript", "text": text})
	m.userText(text)
}
