package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// procStats reads VmRSS and Threads from /proc/pid/status and counts the
// entries of /proc/pid/fd.
func procStats(pid int) (rssKiB int64, threads, files int, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, 0, fmt.Errorf("read process status: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		switch k {
		case "VmRSS":
			rssKiB, _ = strconv.ParseInt(fields[0], 10, 64)
		case "Threads":
			threads, _ = strconv.Atoi(fields[0])
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, 0, fmt.Errorf("read process status: %w", err)
	}
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0, 0, 0, fmt.Errorf("list open files: %w", err)
	}
	if rssKiB == 0 || threads == 0 {
		return 0, 0, 0, fmt.Errorf("process %d status has no VmRSS/Threads", pid)
	}
	return rssKiB, threads, len(ents), nil
}

// Sampler takes one Sample of the neko process.
type Sampler struct {
	Pid int
	API *API
}

// Take reads /proc and GET /api/debug/runtime.
func (s *Sampler) Take(ctx context.Context) (Sample, error) {
	rss, threads, files, err := procStats(s.Pid)
	if err != nil {
		return Sample{}, err
	}
	g, heap, err := s.API.Runtime(ctx)
	if err != nil {
		return Sample{}, fmt.Errorf("runtime stats: %w", err)
	}
	return Sample{RSSKiB: rss, Threads: threads, OpenFiles: files, Goroutines: g, HeapAlloc: heap}, nil
}
