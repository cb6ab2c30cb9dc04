package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/pid/stat times (100 on Linux
// whatever the kernel's own tick rate).
const clockTicks = 100

// cpuTime reads the user+system CPU time neko has used from /proc/pid/stat.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read process stat: %w", err)
	}
	// The command name in field 2 may hold spaces: count from its ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, fmt.Errorf("process stat %q: no command name", b)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("process stat %q: too few fields", b)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("process stat: bad utime/stime %q %q", f[11], f[12])
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// procStats reads VmRSS (with its RssAnon and RssFile parts) and Threads
// from /proc/pid/status, the CPU time used, and counts the entries of
// /proc/pid/fd.
func procStats(pid int) (s Sample, err error) {
	if s.CPU, err = cpuTime(pid); err != nil {
		return s, err
	}
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
