package faults_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"neko/backend/config"
	"neko/backend/llm/llmtest"
	"neko/backend/services"
)

// voiceRig is the whole app with a realtime voice provider (the test
// provider's OpenAI-Realtime WebSocket) and one page in a voice session.
type voiceRig struct {
	t    testing.TB
	prov *llmtest.Server
	s    *services.Services
	p    *page
}

func newVoiceRig(t testing.TB) *voiceRig {
	prov := llmtest.New(t)
	prov.ScriptRealtime(func(req llmtest.RealtimeRequest) llmtest.RealtimeReply {
		return llmtest.RealtimeReply{Chunks: []string{"I hear ", "you."}}
	})
	data := t.TempDir()
	configure(t, data, prov.BaseURL())
	store, err := config.Open(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.UpdateCore(map[string]any{"omniModelUrl": prov.RealtimeURL(), "omniModelId": "gpt-realtime", "omniModelApiKey": "k"}); err != nil {
		t.Fatal(err)
	}
	s, _, _ := start(t, services.Options{DataRoot: data})
	p := openPage(t, s, "test")
	p.send(map[string]any{"action": "start_session", "input_type": "audio"})
	p.waitFor(15*time.Second, "session_started", func(m map[string]any) bool { return m["type"] == "session_started" })
	return &voiceRig{t: t, prov: prov, s: s, p: p}
}

// nextConn is the next realtime connection the app opens.
func (r *voiceRig) nextConn(d time.Duration) *llmtest.RealtimeConn {
	r.t.Helper()
	select {
	case c := <-r.prov.RealtimeConns():
		return c
	case <-time.After(d):
		r.t.Fatalf("no new realtime connection within %v; page saw %s", d, r.p.summary())
		return nil
	}
}

// mic sends 100 ms of microphone audio.
func (r *voiceRig) mic() {
	frame := make([]int, 480)
	for i := range frame {
		frame[i] = (i % 40) * 300
	}
	for i := 0; i < 10; i++ {
		r.p.send(map[string]any{"action": "stream_data", "input_type": "audio", "data": frame})
	}
}

// turn speaks one line into conn and returns her answer as the page saw it.
func (r *voiceRig) turn(conn *llmtest.RealtimeConn, said string, d time.Duration) string {
	r.t.Helper()
	r.mic()
	if !eventually(d, func() bool { return conn.ReceivedAudio() > 0 }) {
		r.t.Fatalf("mic audio never reached the provider; page saw %s", r.p.summary())
	}
	conn.SpeechStarted()
	conn.InputTranscript(said)
	conn.SpeechStopped()
	conn.Respond()
	return r.p.reply(d)
}

// statusCode returns the code of a status message ("" for other types).
func statusCode(m map[string]any) (string, map[string]any) {
	if m["type"] != "status" {
		return "", nil
	}
	var st struct {
		Code    string         `json:"code"`
		Details map[string]any `json:"details"`
	}
	s, _ := m["message"].(string)
	if json.Unmarshal([]byte(s), &st) != nil {
		return s, nil
	}
	return st.Code, st.Details
}

// The provider's WebSocket drops in the middle of a voice conversation: the
// page gets a status message (not a dead session), a new connection is
// opened, and the next thing the user says is answered, within 3 s.
func TestRealtimeProviderDrop(t *testing.T) {
	r := newVoiceRig(t)
	first := r.nextConn(10 * time.Second)
	if got := r.turn(first, "hello there", 10*time.Second); got != "I hear you." {
		t.Fatalf("first answer %q", got)
	}

	first.Drop() // the TCP connection is cut, no close frame
	dropped := time.Now()
	r.p.waitFor(3*time.Second, "a status message about the drop", func(m map[string]any) bool {
		if m["type"] == "session_ended_by_server" {
			t.Fatalf("the session was ended instead of rebuilt")
		}
		code, details := statusCode(m)
		return code == "CONNECTION_CLOSED_ABNORMAL" && details["reconnecting"] == true
	})
	second := r.nextConn(3 * time.Second)
	// Speech right after the drop is not lost: it waits for the new
	// connection.
	if got := r.turn(second, "are you back", 3*time.Second); got != "I hear you." {
		t.Fatalf("answer after the drop %q", got)
	}
	took := time.Since(dropped)
	t.Logf("rebuilt and answered %v after the drop", took.Round(time.Millisecond))
	if took > 3*time.Second {
		t.Fatalf("rebuilding took %v (limit 3 s)", took)
	}
	for _, m := range r.p.seen {
		if m["type"] == "session_ended_by_server" || m["type"] == "session_failed" {
			t.Fatalf("the page saw %v", m["type"])
		}
	}
	// A provider going away (restarting) is rebuilt the same way.
	second.CloseWith(1001, "going away")
	third := r.nextConn(3 * time.Second)
	if got := r.turn(third, "once more", 3*time.Second); got != "I hear you." {
		t.Fatalf("answer after the close %q", got)
	}
}

// The provider drops the connection and refuses the first redial too (a
// blip): the app tries again and the conversation goes on.
func TestRealtimeProviderRefusesRedial(t *testing.T) {
	r := newVoiceRig(t)
	first := r.nextConn(10 * time.Second)
	if first.WaitType(5*time.Second, "response.create") == nil {
		t.Fatal("connection never warmed up")
	}
	r.prov.FailHandshakes(1, 503, `{"error":{"message":"overloaded"}}`)
	first.Drop()
	dropped := time.Now()
	second := r.nextConn(3 * time.Second)
	if got := r.turn(second, "still there?", 3*time.Second); got != "I hear you." {
		t.Fatalf("answer after a refused redial %q", got)
	}
	t.Logf("answered %v after the drop, one redial refused", time.Since(dropped).Round(time.Millisecond))
}

// A provider that hangs up on every new connection is not redialled
// forever: after a few attempts the session ends as the original's does,
// and the page is told.
func TestRealtimeProviderKeepsDropping(t *testing.T) {
	r := newVoiceRig(t)
	conn := r.nextConn(10 * time.Second)
	opened := 1
	for {
		if conn.WaitType(5*time.Second, "response.create") == nil { // warmed up: the app is using it
			t.Fatal("connection never warmed up")
		}
		conn.Drop()
		select {
		case conn = <-r.prov.RealtimeConns():
			opened++
			if opened > 6 {
				t.Fatalf("still redialling after %d connections", opened)
			}
			continue
		case <-time.After(3 * time.Second):
		}
		break
	}
	r.p.waitFor(5*time.Second, "session_ended_by_server", func(m map[string]any) bool { return m["type"] == "session_ended_by_server" })
	t.Logf("gave up after %d connections", opened)
	if opened != 4 {
		t.Fatalf("%d connections; want the first and 3 reconnects", opened)
	}
	// The user can still start again.
	r.p.send(map[string]any{"action": "start_session", "input_type": "audio"})
	r.p.waitFor(10*time.Second, "session_started", func(m map[string]any) bool { return m["type"] == "session_started" })
	if !strings.Contains(r.p.summary(), "CHARACTER_DISCONNECTED") {
		t.Fatalf("the page was not told why: %s", r.p.summary())
	}
}

// BenchmarkRealtimeRebuild measures how long a voice conversation is
// interrupted when the provider's connection drops: from the drop to the
// next user turn answered on the new connection.
func BenchmarkRealtimeRebuild(b *testing.B) {
	r := newVoiceRig(b)
	conn := r.nextConn(10 * time.Second)
	r.turn(conn, "hello", 10*time.Second)
	var total, worst time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		conn.Drop()
		t0 := time.Now()
		conn = r.nextConn(3 * time.Second)
		if got := r.turn(conn, "again", 3*time.Second); got != "I hear you." {
			b.Fatalf("answer %q", got)
		}
		d := time.Since(t0)
		total += d
		worst = max(worst, d)
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/drop-to-answer")
	b.ReportMetric(float64(worst.Microseconds())/1000, "ms-worst")
}
