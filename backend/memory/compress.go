package memory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"neko/backend/llm"
	"neko/backend/memory/msg"
)

func fill(tmpl string, kv ...string) string {
	r := strings.NewReplacer(kv...)
	return r.Replace(tmpl)
}

// displayName maps a role to the name the prompts use.
func (s *Server) displayName(char, role string) string {
	switch role {
	case msg.Human:
		return s.masterName()
	case msg.AI:
		return char
	}
	return "SYSTEM_MESSAGE"
}

func (s *Server) transcript(char string, msgs []msg.Message) string {
	var b strings.Builder
	for _, m := range msgs {
		fmt.Fprintf(&b, "%s: %s\n", s.displayName(char, m.Role), m.Text)
	}
	return b.String()
}

var errNoModel = errors.New("model not configured")

// complete runs one JSON-mode chat call for role and returns the reply text.
func (s *Server) complete(ctx context.Context, role, prompt string, temp float64) (string, error) {
	ep := s.endpoint(role)
	if ep.BaseURL == "" {
		if role == RoleCorrection {
			ep = s.endpoint(RoleSummary) // the original falls back to the summary model
		}
		if ep.BaseURL == "" {
			return "", fmt.Errorf("%s: %w", role, errNoModel)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.LLMTimeout)
	defer cancel()
	resp, err := llm.NewChatClient(ep, llm.WithLogger(s.log)).Complete(ctx, llm.ChatRequest{
		Messages: []llm.Message{{Role: "user", Content: prompt}}, Temperature: &temp, JSONMode: true})
	if err != nil {
		return "", fmt.Errorf("%s call: %w", role, err)
	}
	return resp.Text, nil
}

// parseJSONObject reads the first JSON object of a model reply, tolerating
// code fences and text around it.
func parseJSONObject(text string, v any) error {
	start := strings.IndexByte(text, '{')
	end := strings.LastIndexByte(text, '}')
	if start < 0 || end < start {
		return errors.New("reply holds no JSON object")
	}
	return json.Unmarshal([]byte(text[start:end+1]), v)
}

// summarize condenses msgs into at most MemoMaxChars characters. Long
// histories are split into chunks summarised separately (map) and then
// summarised together (reduce); beyond MaxChunks the oldest chunks are
// dropped. A summary still too long gets a second pass and then a hard cut.
func (s *Server) summarize(ctx context.Context, char string, msgs []msg.Message, detailed bool) (string, error) {
	chunks := splitChunks(s.transcript(char, msgs), s.cfg.ChunkChars)
	if len(chunks) > s.cfg.MaxChunks {
		chunks = chunks[len(chunks)-s.cfg.MaxChunks:]
	}
	tmpl := summaryPromptConcise
	if detailed {
		tmpl = summaryPromptDetailed
	}
	limit := fmt.Sprint(s.cfg.MemoMaxChars)
	var parts []string
	for _, ch := range chunks {
		out, err := s.summaryCall(ctx, fill(tmpl, "{master}", s.masterName(), "{name}", char, "{limit}", limit, "{history}", ch))
		if err != nil {
			return "", err
		}
		parts = append(parts, out)
	}
	sum := strings.Join(parts, "\n")
	if len(parts) > 1 || utf8.RuneCountInString(sum) > s.cfg.MemoMaxChars {
		out, err := s.summaryCall(ctx, fill(furtherSummarizePrompt, "{limit}", limit, "{history}", sum))
		if err != nil {
			return "", err
		}
		sum = out
	}
	if r := []rune(sum); len(r) > s.cfg.MemoMaxChars {
		sum = string(r[:s.cfg.MemoMaxChars])
	}
	return sum, nil
}

func (s *Server) summaryCall(ctx context.Context, prompt string) (string, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		text, err := s.complete(ctx, RoleSummary, prompt, 0.3)
		if err != nil {
			if errors.Is(err, errNoModel) || ctx.Err() != nil {
				return "", err
			}
			lastErr = err
			continue
		}
		var out struct {
			Summary string `json:"对话摘要"`
		}
		if err := parseJSONObject(text, &out); err != nil || strings.TrimSpace(out.Summary) == "" {
			lastErr = fmt.Errorf("summary reply not usable: %q", truncate(text, 200))
			continue
		}
		return strings.TrimSpace(out.Summary), nil
	}
	return "", lastErr
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// splitChunks cuts a transcript at line ends into pieces of about size
// bytes.
func splitChunks(text string, size int) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.SplitAfter(text, "\n") {
		if cur.Len() > 0 && cur.Len()+len(line) > size {
			out = append(out, cur.String())
			cur.Reset()
		}
		cur.WriteString(line)
	}
	if strings.TrimSpace(cur.String()) != "" {
		out = append(out, cur.String())
	}
	return out
}

// compressRecent folds everything but the last MaxRecent-1 messages into
// one memo (reference §9.3). If the summary model fails, the messages are
// kept (they are archived anyway) up to three times MaxRecent. Callers
// hold c.mu.
func (c *character) compressRecent(ctx context.Context, detailed bool) error {
	s := c.srv
	keep := s.cfg.MaxRecent - 1
	if len(c.recent) <= s.cfg.MaxRecent {
		return nil
	}
	old, tail := c.recent[:len(c.recent)-keep], c.recent[len(c.recent)-keep:]
	sum, err := s.summarize(ctx, c.name, old, detailed)
	if err != nil {
		s.log.Warn("recent memory not compressed", "character", c.name, "err", err)
		if limit := 3 * s.cfg.MaxRecent; len(c.recent) > limit {
			c.recent = append([]msg.Message(nil), c.recent[len(c.recent)-limit:]...)
			return c.writeRecent(ctx)
		}
		return nil
	}
	c.recent = append([]msg.Message{{Role: msg.System, Text: msg.MemoPrefix + sum}}, tail...)
	return c.writeRecent(ctx)
}
