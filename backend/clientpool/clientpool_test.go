package clientpool_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"neko/backend/clientpool"
)

func TestOneClientPerKey(t *testing.T) {
	builds := map[time.Duration]int{}
	var mu sync.Mutex
	p := clientpool.New(func(d time.Duration) *http.Client {
		mu.Lock()
		builds[d]++
		mu.Unlock()
		return &http.Client{Transport: &http.Transport{IdleConnTimeout: d}}
	})
	var wg sync.WaitGroup
	got := make([]*http.Client, 16)
	for i := range got {
		wg.Go(func() { got[i] = p.Get(time.Duration(1+i%2) * time.Second) })
	}
	wg.Wait()
	for i, hc := range got {
		if hc != got[i%2] {
			t.Fatalf("call %d got another client for the same key", i)
		}
	}
	if got[0] == got[1] || builds[time.Second] != 1 || builds[2*time.Second] != 1 {
		t.Fatalf("builds %v, want one per key", builds)
	}
	if tr := got[1].Transport.(*http.Transport); tr.IdleConnTimeout != 2*time.Second {
		t.Fatalf("key 2s built a client with %v", tr.IdleConnTimeout)
	}
}
