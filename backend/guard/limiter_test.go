package guard_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"neko/backend/guard"
)

func TestBucket(t *testing.T) {
	b := guard.NewBucket(10, 5)
	t0 := time.Unix(1000, 0)
	for i := 0; i < 5; i++ {
		if !b.AllowN(t0, 1) {
			t.Fatalf("burst token %d refused", i)
		}
	}
	if b.AllowN(t0, 1) {
		t.Fatal("sixth token at once allowed")
	}
	if !b.AllowN(t0.Add(100*time.Millisecond), 1) {
		t.Fatal("refill after 100 ms at 10/s refused")
	}
	if b.AllowN(t0.Add(100*time.Millisecond), 1) {
		t.Fatal("only one token refilled")
	}
	// Refill never exceeds the burst.
	later := t0.Add(time.Hour)
	n := 0
	for b.AllowN(later, 1) {
		n++
	}
	if n != 5 {
		t.Fatalf("after an hour %d tokens, want 5", n)
	}
	// A clock that steps back gives nothing extra.
	if b.AllowN(t0, 1) {
		t.Fatal("token from a clock step back")
	}
}

func TestBucketConcurrent(t *testing.T) {
	b := guard.NewBucket(0, 100)
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				if b.Allow() {
					mu.Lock()
					got++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if got != 100 {
		t.Fatalf("%d tokens handed out, want exactly 100", got)
	}
}

func TestMessageGate(t *testing.T) {
	g := guard.NewMessageGate(guard.MessageLimits{MaxBytes: 1024, PerSecond: 2, Burst: 3})
	t0 := time.Unix(0, 0)
	if err := g.AdmitAt(t0, 1025); !errors.Is(err, guard.ErrMessageTooLarge) {
		t.Fatalf("oversize: %v", err)
	}
	for i := 0; i < 3; i++ {
		if err := g.AdmitAt(t0, 10); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if err := g.AdmitAt(t0, 10); !errors.Is(err, guard.ErrRateLimited) {
		t.Fatalf("flood: %v", err)
	}
	if err := g.AdmitAt(t0.Add(500*time.Millisecond), 10); err != nil {
		t.Fatalf("after refill: %v", err)
	}
	open := guard.NewMessageGate(guard.MessageLimits{})
	for i := 0; i < 1000; i++ {
		if err := open.AdmitAt(t0, 1<<30); err != nil {
			t.Fatal(err)
		}
	}
}
