// Command benchstartup measures the headless binary: time from process start
// to all three /health endpoints answering (median of N runs), and the RSS of
// the idle process after it is ready. `make bench` runs it.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"
)

func main() {
	bin := flag.String("bin", "build/bin/neko", "headless binary")
	runs := flag.Int("runs", 10, "start-ups to measure")
	idle := flag.Duration("idle", 2*time.Second, "wait after ready before reading RSS")
	flag.Parse()
	var ready []time.Duration
	var rss []int
	for i := 0; i < *runs; i++ {
		d, kb, err := once(*bin, *idle)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchstartup:", err)
			os.Exit(1)
		}
		ready = append(ready, d)
		rss = append(rss, kb)
	}
	sort.Slice(ready, func(i, j int) bool { return ready[i] < ready[j] })
	sort.Ints(rss)
	fmt.Printf("| startup: process start → 3 servers healthy (median of %d) | %.1f ms | target ≤ 300 ms |\n", *runs, ms(ready[len(ready)/2]))
	fmt.Printf("| startup: slowest of %d | %.1f ms | |\n", *runs, ms(ready[len(ready)-1]))
	fmt.Printf("| idle RSS after ready (median) | %.1f MiB | target ≤ 40 MiB |\n", float64(rss[len(rss)/2])/1024)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func once(bin string, idle time.Duration) (time.Duration, int, error) {
	data, err := os.MkdirTemp("", "neko-bench-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(data)
	cmd := exec.Command(bin, "--data", data, "--main-port", "0", "--memory-port", "0", "--agent-port", "0",
		"--zmq-session-port", "0", "--zmq-agent-port", "0", "--zmq-analyze-port", "0", "--log-level", "warn")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }()
	var ports map[string]int
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "NEKO_EVENT ") || !strings.Contains(line, `"startup_ready"`) {
			continue
		}
		var ev struct {
			Payload struct {
				Ports map[string]int `json:"ports"`
			} `json:"payload"`
		}
		if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "NEKO_EVENT ")), &ev); err != nil {
			return 0, 0, err
		}
		ports = ev.Payload.Ports
		break
	}
	if ports == nil {
		return 0, 0, fmt.Errorf("no startup_ready event")
	}
	go func() { // keep draining stdout
		for sc.Scan() {
		}
	}()
	c := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil}}
	for _, svc := range []string{"main", "memory", "agent"} {
		for {
			resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/health", ports[svc]))
			if err == nil && resp.StatusCode == 200 {
				resp.Body.Close()
				break
			}
			if time.Since(t0) > 30*time.Second {
				return 0, 0, fmt.Errorf("%s never became healthy", svc)
			}
			time.Sleep(time.Millisecond)
		}
	}
	readyIn := time.Since(t0)
	time.Sleep(idle)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	kb := 0
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(l, "VmRSS:")), "%d", &kb)
		}
	}
	return readyIn, kb, nil
}
