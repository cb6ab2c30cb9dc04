package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// procStats reads VmRSS (with its RssAnon and RssFile parts) and Threads
// from /proc/pid/status and counts the entries of /proc/pid/fd.
func procStats(pid int) (s Sample, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, fmt.Errorf("read process status: %w", err)
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
			s.RSSKiB, _ = strconv.ParseInt(fields[0], 10, 64)
		case "RssAnon":
			s.AnonKiB, _ = strconv.ParseInt(fields[0], 10, 64)
		case "RssFile":
			s.FileKiB, _ = strconv.ParseInt(fields[0], 10, 64)
		case "Threads":
			s.Threads, _ = strconv.Atoi(fields[0])
		}
	}
	if err := sc.Err(); err != nil {
		return s, fmt.Errorf("read process status: %w", err)
	}
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return s, fmt.Errorf("list open files: %w", err)
	}
	if s.RSSKiB == 0 || s.Threads == 0 {
		return s, fmt.Errorf("process %d status has no VmRSS/Threads", pid)
	}
	s.OpenFiles = len(ents)
	return s, nil
}

// Sampler takes one Sample of the neko process.
type Sampler struct {
	Pid int
	API *API
}

// Take reads /proc and GET /api/debug/runtime.
func (s *Sampler) Take(ctx context.Context) (Sample, error) {
	out, err := procStats(s.Pid)
	if err != nil {
		return Sample{}, err
	}
	rt, err := s.API.Runtime(ctx)
	if err != nil {
		return Sample{}, fmt.Errorf("runtime stats: %w", err)
	}
	out.Goroutines, out.HeapAlloc, out.GoHeld = rt.Goroutines, rt.HeapAlloc, rt.Sys-min(rt.HeapReleased, rt.Sys)
	return out, nil
}
