package mainserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
)

func getRuntime(t *testing.T, e *env) map[string]any {
	t.Helper()
	resp, err := http.Get(e.srv.URL + "/api/debug/runtime")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("GET /api/debug/runtime = %d %q %s", resp.StatusCode, resp.Header.Get("Cache-Control"), raw)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("body %s: %v", raw, err)
	}
	return out
}

func TestRuntimeStatsCountsGoroutines(t *testing.T) {
	e := newEnv(t)
	before := getRuntime(t, e)
	var keys []string
	for k := range before {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if got := strings.Join(keys, ","); got != "goroutines,heap_alloc,heap_released,heap_sys,num_cgo_call,num_gc,sys" {
		t.Fatalf("fields %s", got)
	}
	if before["goroutines"].(float64) < 1 || before["heap_alloc"].(float64) <= 0 ||
		before["heap_sys"].(float64) < before["heap_alloc"].(float64) {
		t.Fatalf("implausible stats %v", before)
	}
	// 200 parked goroutines show up in the count, and are gone once released.
	const n = 200
	release := make(chan struct{})
	started := make(chan struct{}, n)
	done := make(chan struct{}, n)
	for range n {
		go func() { started <- struct{}{}; <-release; done <- struct{}{} }()
	}
	for range n {
		<-started
	}
	during := getRuntime(t, e)
	close(release)
	for range n {
		<-done
	}
	if d := during["goroutines"].(float64) - before["goroutines"].(float64); d < n {
		t.Fatalf("goroutines grew by %v with %d parked", d, n)
	}
}

func TestRuntimeStatsIsReadOnly(t *testing.T) {
	e := newEnv(t)
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		req, _ := http.NewRequest(m, e.srv.URL+"/api/debug/runtime", strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed && resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%s = %d, want 404 or 405", m, resp.StatusCode)
		}
	}
}
