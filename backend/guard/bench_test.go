package guard_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"neko/backend/guard"
)

func benchHandler() http.Handler {
	return guard.Middleware(guard.Config{Token: testToken}, nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
}

// BenchmarkGuardGET is the guard's cost on a plain API read.
func BenchmarkGuardGET(b *testing.B) {
	h := benchHandler()
	r := httptest.NewRequest("GET", "http://127.0.0.1:48911/api/config/core_api", nil)
	r.Header.Set("Origin", "http://127.0.0.1:48911")
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
}

// BenchmarkGuardPOSTJSON is the cost on a 1 KiB JSON mutation: Host,
// Origin and token checks, body buffering and the depth scan.
func BenchmarkGuardPOSTJSON(b *testing.B) {
	h := benchHandler()
	body := `{"text":"` + strings.Repeat("a", 1000) + `"}`
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r := httptest.NewRequest("POST", "http://127.0.0.1:48911/api/x", strings.NewReader(body))
		r.Header.Set("Origin", "http://127.0.0.1:48911")
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set(guard.TokenHeader, testToken)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// BenchmarkCheckJSONDepth scans a 1 MiB document (the body limit).
func BenchmarkCheckJSONDepth(b *testing.B) {
	doc := []byte(`[` + strings.Repeat(`{"a":"b\"[{","c":[1,2,3]},`, 1<<20/26) + `{}]`)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if err := guard.CheckJSONDepth(doc, 64); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/MiB-body")
}
