package llmtest

import (
	"context"
	"strings"
	"time"
)

// DemoGreeting is the answer DemoChat gives to an ordinary message.
const DemoGreeting = "Hello there, nice to meet you!"

// DemoLong is the answer DemoChat gives to a message containing "long":
// several sentences, so its speech lasts long enough to be interrupted.
const DemoLong = "Let me tell you a long story about a cat who lived by the sea. " +
	"Every morning she walked along the shore and counted the boats. " +
	"In the evening she sat on the warm stones and listened to the waves. " +
	"One day a seagull landed next to her and they became friends."

// DemoSummary is the summary DemoChat gives to the memory server.
const DemoSummary = "The master and the cat had a friendly chat."

// DemoChat is the chat script of the `neko testprovider` subcommand, for
// the frontend's end-to-end tests and manual runs: the memory server's
// summary prompt (it asks for JSON with a "对话摘要" field) gets DemoSummary
// in that field; other JSON-mode requests (the emotion classifier) get
// {"emotion":"happy","confidence":0.9}; a message containing "long" gets
// DemoLong; anything else gets DemoGreeting. Text is streamed word by
// word, 30 ms apart.
func DemoChat(req ChatRequest) ChatReply {
	for _, m := range req.Messages {
		if strings.Contains(m.Content, "对话摘要") {
			return ChatReply{Text: `{"对话摘要": "` + DemoSummary + `"}`}
		}
	}
	if req.JSONMode {
		return ChatReply{Text: `{"emotion": "happy", "confidence": 0.9}`}
	}
	text := DemoGreeting
	if strings.Contains(strings.ToLower(req.LastUser()), "long") {
		text = DemoLong
	}
	return ChatReply{Text: text, ChunkDelay: 30 * time.Millisecond}
}

// DemoRealtime is the realtime script of `neko testprovider`: DemoGreeting
// as two transcript deltas with one second of a 440 Hz tone (PCM16 24 kHz,
// ten 100 ms deltas).
func DemoRealtime(RealtimeRequest) RealtimeReply {
	tone := tonePCM(24000, 1000)
	const step = 24000 * 2 / 10
	audio := make([][]byte, 0, 10)
	for off := 0; off < len(tone); off += step {
		audio = append(audio, tone[off:min(off+step, len(tone))])
	}
	return RealtimeReply{Chunks: []string{"Hello there, ", "nice to meet you!"}, Audio: audio, Delay: 20 * time.Millisecond}
}

// DemoVAD plays a provider's server-side voice detection on c, for manual
// runs and the frontend tests: each time another per bytes of input audio
// have arrived (the user's microphone), it reports a finished utterance
// ("hello") and answers it with the realtime script. It returns when ctx
// ends or the connection closes.
func DemoVAD(ctx context.Context, c *RealtimeConn, per int) {
	if c.Gemini {
		return // OpenAI-family events only
	}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	mark := c.ReceivedAudio()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.Done():
			return
		case <-t.C:
		}
		if n := c.ReceivedAudio(); n-mark >= per {
			mark = n
			c.SpeechStarted()
			c.SpeechStopped()
			c.InputTranscript("hello")
			c.Respond()
		}
	}
}
