//go:build !windows

package workshop_test

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"neko/backend/workshop"
)

// A FIFO named like a card, or a symlink loop, must be refused without
// blocking the scan or the read-file route.
func TestSpecialFilesDoNotBlock(t *testing.T) {
	st := newSteamTree(t)
	item := filepath.Join(st.Content1, "1003")
	if err := syscall.Mkfifo(filepath.Join(item, "fifo.chara.json"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	symlink(t, "loop.vrm", filepath.Join(item, "loop.vrm"))

	done := make(chan workshop.Item, 1)
	go func() {
		it, err := workshop.ScanItem(context.Background(), item, workshop.Limits{})
		if err != nil {
			t.Error(err)
		}
		done <- it
	}()
	select {
	case it := <-done:
		if !strings.Contains(rejected(it, "fifo.chara.json"), "regular") || rejected(it, "loop.vrm") == "" {
			t.Errorf("rejections = %+v", it.Rejected)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("scan blocked on a FIFO")
	}

	api := newAPI(t, st, nil)
	codes := make(chan int, 1)
	go func() {
		code, _ := api.do("GET", "/read-file?path="+q(filepath.Join(item, "fifo.chara.json")), "")
		codes <- code
	}()
	select {
	case code := <-codes:
		if code != 400 {
			t.Errorf("read FIFO = %d, want 400", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("read-file blocked on a FIFO")
	}
}
