package launcher

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"neko/backend/llm/llmtest"
)

// RunTestProvider serves the scriptable, protocol-exact test provider on
// 127.0.0.1:port (0 = any) until SIGINT/SIGTERM, for manual and frontend
// tests: point a provider's URL at the printed base URL. Chat answers follow
// llmtest.DemoChat; /v1/audio/speech makes it a custom TTS server too;
// realtime connections hear an utterance per 3 s of microphone audio and
// answer with llmtest.DemoRealtime.
func RunTestProvider(port int, stdout, stderr io.Writer) int {
	s, err := llmtest.Start(fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		fmt.Fprintln(stderr, "neko testprovider:", err)
		return 1
	}
	defer s.Close()
	s.ScriptChat(llmtest.DemoChat)
	s.ScriptRealtime(llmtest.DemoRealtime)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case c := <-s.RealtimeConns():
				go llmtest.DemoVAD(ctx, c, 3*24000*2) // an utterance per 3 s of microphone audio
			}
		}
	}()
	fmt.Fprintf(stdout, "test provider listening\n  chat/embeddings/speech: %s\n  realtime: %s\n  gemini live: %s\n", s.BaseURL(), s.RealtimeURL(), s.GeminiURL())
	<-ctx.Done()
	return 0
}
