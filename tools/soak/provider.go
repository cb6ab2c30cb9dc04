package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"neko/backend/llm/llmtest"
)

// Provider answers every model call neko makes during the soak: the
// character's streamed replies, the memory server's summaries and reviews,
// and the agent's analyzer, planner and result summary. It is the
// protocol-exact test provider (backend/llm/llmtest) with a script; the
// counters show which parts of the app were exercised.
type Provider struct {
	srv *llmtest.Server

	Replies, Callbacks, Summaries, Reviews, Analyses, Tasks, Plans, Results atomic.Int64
	// PromptsWithMemory counts replies whose prompt carried a remembered
	// fact (memory recalled into a new session's context).
	PromptsWithMemory atomic.Int64
	next              atomic.Int64

	mu     sync.Mutex
	tasked map[string]bool // echo words already turned into a task
}

var (
	turnIDRe  = regexp.MustCompile(`\[(t[0-9a-z]+-[0-9]+)\]`)
	echoReqRe = regexp.MustCompile(`LATEST_USER_REQUEST: [^\n]*please echo ([a-z]+) `)
	echoTask  = regexp.MustCompile(`echo the word ([a-z]+)`)
	echoOut   = regexp.MustCompile(`Echo: ([a-z]+)`)
	factRe    = regexp.MustCompile(`fact ([a-z]{8,})`)
)

// replyLines are distinct enough that the session's repetition check
// (≥ 0.8 similarity to two of the last three replies) never fires.
var replyLines = []string{
	"喵～我在听呢，",
	"Okay, I have noted that down for you, ",
	"这个问题很有意思，让我想一想。",
	"Sure thing! The weather in my little world is always sunny, ",
	"嗯嗯，主人说得对，",
	"I remember everything you tell me, so keep going. ",
	"今天也要好好吃饭哦！",
	"Hmm, let me think about that for a second… ",
}

// StartProvider serves the script on 127.0.0.1:port (0 = any).
func StartProvider(port int) (*Provider, error) {
	s, err := llmtest.Start(fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, err
	}
	p := &Provider{srv: s, tasked: map[string]bool{}}
	s.ScriptChat(p.answer)
	return p, nil
}

// BaseURL is the OpenAI-compatible base URL.
func (p *Provider) BaseURL() string { return p.srv.BaseURL() }

// Close stops the provider.
func (p *Provider) Close() { p.srv.Close() }

func (p *Provider) answer(req llmtest.ChatRequest) llmtest.ChatReply {
	sys := ""
	if len(req.Messages) > 0 {
		sys = req.Messages[0].Content
	}
	last := req.LastUser()
	switch {
	case strings.Contains(sys, "task analyzer"):
		p.Analyses.Add(1)
		// A real analyzer sees the request was already served (her report
		// is in the transcript); the script remembers the words it tasked.
		if m := echoReqRe.FindStringSubmatch(last); m != nil && !strings.Contains(last, "Echo: "+m[1]) && p.firstTask(m[1]) {
			p.Tasks.Add(1)
			return llmtest.ChatReply{Text: fmt.Sprintf(`{"tasks":["echo the word %s"],"reason":"the user asked"}`, m[1])}
		}
		return llmtest.ChatReply{Text: `{"tasks":[],"reason":"small talk"}`}
	case strings.Contains(sys, "planner"):
		p.Plans.Add(1)
		word := "purr"
		if m := echoTask.FindStringSubmatch(last); m != nil {
			word = m[1]
		}
		return llmtest.ChatReply{Text: fmt.Sprintf(`{"method":"mcp","calls":[{"server":"everything","tool":"echo","arguments":{"message":%q}}]}`, word)}
	case strings.Contains(sys, "Summarise"):
		p.Results.Add(1)
		word := "nothing"
		if m := echoOut.FindStringSubmatch(allText(req)); m != nil {
			word = m[1]
		}
		return llmtest.ChatReply{Text: fmt.Sprintf(`{"summary":"The echo tool answered: Echo: %s"}`, word)}
	case strings.Contains(last, `"对话摘要"`):
		// Memory compression or settle: keep every fact the history holds, so
		// recall can still find them after compression.
		p.Summaries.Add(1)
		facts := unique(factRe.FindAllStringSubmatch(last, -1))
		b, _ := json.Marshal(map[string]string{"对话摘要": "主人和她聊了天。记住的事：" + strings.Join(facts, "，")})
		return llmtest.ChatReply{Text: string(b)}
	case strings.Contains(last, `"修正后的对话"`):
		p.Reviews.Add(1)
		return llmtest.ChatReply{Text: reviewUnchanged(last)}
	case strings.Contains(last, "[System notice]") || strings.Contains(last, "[系统通知]") || strings.Contains(last, "[システム通知]"):
		p.Callbacks.Add(1)
		word := "nothing"
		if m := echoOut.FindStringSubmatch(last); m != nil {
			word = m[1]
		}
		return llmtest.ChatReply{Chunks: []string{"任务完成啦！", "工具说：", "Echo: " + word + "。"}}
	}
	p.Replies.Add(1)
	if factRe.MatchString(sys) {
		p.PromptsWithMemory.Add(1)
	}
	id := "none"
	if m := turnIDRe.FindStringSubmatch(last); m != nil {
		id = m[1]
	}
	line := replyLines[int(p.next.Add(1))%len(replyLines)]
	return llmtest.ChatReply{Chunks: []string{line, "(" + id + ") ", "我", "记住", "了。"}}
}

func allText(req llmtest.ChatRequest) string {
	var b strings.Builder
	for _, m := range req.Messages {
		b.WriteString(m.Content)
		b.WriteByte('\n')
	}
	return b.String()
}

func unique(ms [][]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range ms {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, "fact "+m[1])
		}
	}
	return out
}

// reviewUnchanged answers the memory review with the transcript as it is
// ("speaker: text" lines after the header), which keeps memory intact.
func reviewUnchanged(prompt string) string {
	_, hist, _ := strings.Cut(prompt, "======对话记录======")
	type line struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	var out []line
	for _, l := range strings.Split(strings.TrimSpace(hist), "\n") {
		role, text, ok := strings.Cut(l, ": ")
		if !ok {
			if n := len(out); n > 0 {
				out[n-1].Content += "\n" + l
			}
			continue
		}
		out = append(out, line{Role: role, Content: text})
	}
	b, _ := json.Marshal(map[string]any{"修正说明": "无需修改", "修正后的对话": out})
	return string(b)
}

func (p *Provider) firstTask(word string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tasked[word] {
		return false
	}
	p.tasked[word] = true
	return true
}
