package llmtest

import (
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
