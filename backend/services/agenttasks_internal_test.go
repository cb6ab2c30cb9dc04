package services

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
)

// Her prompt asks the agent server for her running tasks on every turn:
// the calls carry the instance token and reuse one keep-alive connection
// (a client per call left one idle socket pair and three goroutines behind
// each time, for 90 s).
func TestAgentTasksReuseOneConnection(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/tasks" || r.Header.Get("X-Neko-Instance") != "inst" {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"tasks":[{"status":"running","lanlan_name":"小天","params":{"instruction":"open the calendar"}},` +
			`{"status":"completed","lanlan_name":"小天","params":{"instruction":"done already"}},` +
			`{"status":"queued","lanlan_name":"other","params":{"query":"not hers"}},` +
			`{"status":"queued","lanlan_name":"小天","params":{"query":"find a recipe"}}]}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	s := &Services{Ports: Ports{Agent: p}, internal: newInternalClient("inst")}
	want := []string{"[Running] open the calendar", "[Queued] find a recipe"}
	for range 10 {
		if got := s.agentTasks(context.Background(), "小天"); !slices.Equal(got, want) {
			t.Fatalf("tasks %q, want %q", got, want)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("10 calls opened %d connections, want 1 reused", n)
	}
}
