package llm_test

import (
	"context"
	"fmt"
	"strings"

	"neko/backend/llm"
	"neko/backend/llm/llmtest"
)

func ExampleChatClient_Stream() {
	srv, _ := llmtest.Start("127.0.0.1:0")
	defer srv.Close()
	srv.ScriptChat(func(llmtest.ChatRequest) llmtest.ChatReply {
		return llmtest.ChatReply{Chunks: []string{"Nya", "~ ", "hello!"}}
	})
	c := llm.NewChatClient(llm.Endpoint{BaseURL: srv.BaseURL(), Model: "qwen-plus"})
	var parts []string
	resp, err := c.Stream(context.Background(), llm.ChatRequest{Messages: []llm.Message{{Role: "user", Content: "hi"}}},
		func(delta string) error { parts = append(parts, delta); return nil })
	fmt.Println(strings.Join(parts, "|"), resp.Text, resp.FinishReason, err)
	// The qwen family gets enable_thinking:false automatically.
	fmt.Println(srv.Requests()[0].Body["enable_thinking"])
	// Output:
	// Nya|~ |hello! Nya~ hello! stop <nil>
	// false
}

func ExampleDialRealtime() {
	srv, _ := llmtest.Start("127.0.0.1:0")
	defer srv.Close()
	rt, err := llm.DialRealtime(context.Background(), llm.RealtimeConfig{
		URL: srv.RealtimeURL(), Model: "qwen3-omni-flash-realtime", Instructions: "You are Neko."})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Close()
	_ = rt.CreateResponse(context.Background(), "hello", false)
	for ev := range rt.Events() {
		switch ev.Kind {
		case llm.EventText:
			fmt.Println("text:", ev.Text)
		case llm.EventAudio:
			fmt.Println("audio bytes:", len(ev.Audio))
		}
		if ev.Kind == llm.EventResponseDone {
			break
		}
	}
	// Output:
	// text: hello
	// audio bytes: 480
}
