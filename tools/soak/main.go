// Command soak runs the real headless neko for a long time under a
// scripted load and watches it for leaks (issue 11, item 5). It starts
// build/bin/neko as a child process on spare ports with a temporary data
// folder, points every model role at a scripted, protocol-exact test
// provider (and TTS at a test OpenAI speech server), creates three
// characters, switches the agent on with an MCP server (the npm
// server-everything, its echo tool), and drives conversations on all three
// over real WebSockets for the whole duration: streamed text turns, facts
// that memory must recall, sessions that end (memory settles and
// compresses), agent tasks, reconnects and dropped sockets.
//
// Every interval it samples the process (VmRSS, threads, /proc/pid/fd,
// goroutines and heap from GET /api/debug/runtime), prints a table, writes
// it to build/test-artifacts/soak.csv, and at the end judges the run (see
// Judge): exit 0 pass, 1 fail, 2 could not run.
//
//	go run ./tools/soak -duration 10m
//	SOAK_DURATION=2h make soak
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"neko/backend/config"
	"neko/backend/tts/ttstest"
)

type options struct {
	duration, interval, think time.Duration
	idle                      time.Duration
	bin, csv, logPath, mcp    string
	keep, verbose             bool
	seed                      int
}

func parse(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	o := options{}
	def := 10 * time.Minute
	if v := strings.TrimSpace(getenv("SOAK_DURATION")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return o, fmt.Errorf("SOAK_DURATION=%q: want a duration such as 10m or 2h", v)
		}
		def = d
	}
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&o.duration, "duration", def, "how long to drive the load (env SOAK_DURATION)")
	fs.DurationVar(&o.interval, "interval", 0, "sampling interval (0 = duration/60, between 5 s and 60 s)")
	fs.DurationVar(&o.idle, "idle", 30*time.Second, "after the load, how long to measure neko's CPU use at rest (0 = skip)")
	fs.DurationVar(&o.think, "think", 1500*time.Millisecond, "mean pause between a character's turns")
	fs.StringVar(&o.bin, "bin", "build/bin/neko", "the headless neko binary")
	fs.StringVar(&o.csv, "csv", "build/test-artifacts/soak.csv", "CSV of the samples")
	fs.StringVar(&o.logPath, "log", "build/test-artifacts/soak-neko.log", "neko's own output")
	fs.StringVar(&o.mcp, "mcp-entry", "backend/agent/testdata/mcpservers/node_modules/@modelcontextprotocol/server-everything/dist/index.js",
		"MCP server-everything entry point (npm ci in backend/agent/testdata/mcpservers)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary data folder")
	fs.IntVar(&o.seed, "seed", 5000, "archived messages each character starts with (a lived-in archive; 0 = none)")
	fs.BoolVar(&o.verbose, "v", false, "log every status message")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.duration <= 0 {
		return o, errors.New("-duration must be positive")
	}
	if o.interval <= 0 {
		o.interval = min(max(o.duration/60, 5*time.Second), 60*time.Second)
	}
	return o, nil
}

func main() {
	o, err := parse(os.Args[1:], os.Getenv, os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, o, os.Stdout)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, o options, out io.Writer) int {
	level := slog.LevelInfo
	if o.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	fail := func(format string, a ...any) int {
		fmt.Fprintf(out, "soak: could not run: "+format+"\n", a...)
		return 2
	}
	if _, err := os.Stat(o.bin); err != nil {
		return fail("%s: %v (run make build)", o.bin, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return fail("node not found (apt-get install nodejs): the agent's MCP server needs it")
	}
	mcp, _ := filepath.Abs(o.mcp)
	if _, err := os.Stat(mcp); err != nil {
		return fail("%s: %v (run npm ci in backend/agent/testdata/mcpservers)", o.mcp, err)
	}

	prov, err := StartProvider(0)
	if err != nil {
		return fail("test provider: %v", err)
	}
	defer prov.Close()
	speech := ttstest.NewOpenAI(ttstest.Script{Chunks: 2, ChunkMillis: 40})
	defer speech.Close()

	data, err := os.MkdirTemp("", "neko-soak-")
	if err != nil {
		return fail("data folder: %v", err)
	}
	if !o.keep {
		defer os.RemoveAll(data)
	}
	if err := os.MkdirAll(filepath.Dir(o.logPath), 0o755); err != nil {
		return fail("log folder: %v", err)
	}
	logf, err := os.Create(o.logPath)
	if err != nil {
		return fail("neko log: %v", err)
	}
	defer logf.Close()

	n, err := StartNeko(ctx, o.bin, data, logf)
	if err != nil {
		return fail("%v", err)
	}
	stopped := false
	defer func() {
		if !stopped {
			n.Stop()
		}
	}()
	base := fmt.Sprintf("http://127.0.0.1:%d", n.Main)
	token, err := readToken(ctx, base, data)
	if err != nil {
		return fail("CSRF token: %v", err)
	}
	api := NewAPI(base, token)
	inst, err := os.ReadFile(config.NewPaths(data).File(".neko_instance"))
	if err != nil {
		return fail("instance token: %v", err)
	}
	mem := NewMemory(fmt.Sprintf("http://127.0.0.1:%d", n.Memory), strings.TrimSpace(string(inst)))
	names := []string{"soakA", "soakB", "小雪"}
	setupCtx, cancelSetup := context.WithTimeout(ctx, 2*time.Minute)
	err = api.Configure(setupCtx, Setup{ProviderURL: prov.BaseURL(), TTSURL: speech.URL + "/v1", Characters: names, Node: node, MCPEntry: mcp})
	cancelSetup()
	if err != nil {
		return fail("%v", err)
	}
	if o.seed > 0 {
		seedCtx, cancelSeed := context.WithTimeout(ctx, 10*time.Minute)
		rng := rand.New(rand.NewPCG(1, 2))
		for _, name := range names {
			if err := mem.Seed(seedCtx, name, o.seed, rng); err != nil {
				cancelSeed()
				return fail("%v", err)
			}
		}
		for _, name := range names {
			if err := mem.WaitEmbedded(seedCtx, name, 5*time.Minute); err != nil {
				cancelSeed()
				return fail("seeded archive not embedded: %v", err)
			}
		}
		cancelSeed()
	}
	fmt.Fprintf(out, "soak: neko pid %d at %s, data %s, %s of load, a sample every %s; %d archived messages per character to start with\n", n.Pid(), base, data, o.duration, o.interval, o.seed)

	var c Counters
	stopLoad := make(chan struct{})
	var wg sync.WaitGroup
	for i, name := range names {
		d := &Driver{Name: name, Tag: string(rune('a' + i)), API: api, Mem: mem, C: &c, Log: log, Think: o.think,
			BridgeReconnects: n.BridgeReconnects.Load}
		wg.Add(1)
		go func() { defer wg.Done(); d.Run(ctx, stopLoad) }()
	}
	loadDone := make(chan struct{})
	go func() { wg.Wait(); close(loadDone) }()

	rep, err := NewReport(out, o.csv)
	if err != nil {
		close(stopLoad)
		<-loadDone
		return fail("%v", err)
	}
	sampler := &Sampler{Pid: n.Pid(), API: api}
	start := time.Now()
	var samples []Sample
	take := func() {
		sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		s, err := sampler.Take(sctx)
		cancel()
		if err != nil {
			c.SampleErrors.Add(1)
			log.Warn("sample failed", "err", err)
			return
		}
		s.Elapsed, s.Turns, s.Errors = time.Since(start), c.Turns.Load(), c.Errors()
		samples = append(samples, s)
		if err := rep.Add(s); err != nil {
			log.Warn("csv", "err", err)
		}
	}
	take()
	tick := time.NewTicker(o.interval)
	end := time.NewTimer(o.duration)
	crashed, interrupted := false, false
loop:
	for {
		select {
		case <-tick.C:
			take()
		case <-end.C:
			break loop
		case <-n.Exited():
			crashed = true
			break loop
		case <-ctx.Done():
			interrupted = true
			break loop
		}
	}
	tick.Stop()
	close(stopLoad)
	if !crashed && !interrupted && (len(samples) == 0 || time.Since(start)-samples[len(samples)-1].Elapsed > time.Second) {
		take() // the end of the load, unless the last tick just took it
	}
	select {
	case <-loadDone:
	case <-time.After(3 * time.Minute):
		log.Warn("drivers did not finish within 3 min of the end")
	}
	_ = rep.Close()
	idle := -1.0 // share of one core at rest after the load; <0: not measured
	if !crashed && !interrupted && o.idle > 0 {
		idle, crashed, interrupted = measureIdle(ctx, n, o.idle)
	}
	stopped = true
	clean, stopErr := n.Stop()

	fmt.Fprintf(out, "\nload: %d turns (%d failed), %d agent tasks (%d reported, %d failed), %d memory recalls (%d missed),\n"+
		"      %d connections (%d dropped by the server, %d dial errors), %d session ends, %.1f MiB speech audio, %d status messages\n",
		c.Turns.Load(), c.FailedTurns.Load(), c.Tasks.Load(), c.TasksOK.Load(), c.TasksFailed.Load(), c.Recalls.Load(),
		c.RecallMisses.Load(), c.Connects.Load(), c.Drops.Load(), c.DialErrors.Load(), c.Settles.Load(),
		float64(c.AudioBytes.Load())/(1<<20), c.StatusMessages.Load())
	fmt.Fprintf(out, "model calls: %d replies (%d with remembered facts in the prompt), %d task reports, %d memory summaries, %d reviews,\n"+
		"      %d analyses (%d tasks), %d plans, %d result summaries\n",
		prov.Replies.Load(), prov.PromptsWithMemory.Load(), prov.Callbacks.Load(), prov.Summaries.Load(), prov.Reviews.Load(),
		prov.Analyses.Load(), prov.Tasks.Load(), prov.Plans.Load(), prov.Results.Load())
	fmt.Fprintf(out, "neko log: %d warnings, %d errors, %d ZeroMQ bridge reconnects (main side); %s\nsamples: %s\n",
		n.Warnings.Load(), n.Errors.Load(), n.BridgeReconnects.Load(), o.logPath, o.csv)

	v := Judge(samples, o.duration, c.Errors(), DefaultLimits())
	if idle >= 0 {
		v.JudgeIdle(idle, o.idle, DefaultLimits())
	}
	switch {
	case crashed:
		v.Pass = false
		v.Reasons = append(v.Reasons, fmt.Sprintf("neko exited during the soak (%v); see %s", stopErr, o.logPath))
	case interrupted:
		v.Pass = false
		v.Reasons = append(v.Reasons, "interrupted")
	case !clean:
		v.Pass = false
		v.Reasons = append(v.Reasons, fmt.Sprintf("neko did not shut down cleanly: %v", stopErr))
	case stopErr != nil:
		v.Pass = false
		v.Reasons = append(v.Reasons, fmt.Sprintf("neko exited with an error after SIGTERM: %v", stopErr))
	}
	fmt.Fprint(out, v.String())
	if !v.Pass {
		return 1
	}
	return 0
}

// measureIdle lets neko rest for d after the load (its background work
// settles first: 10 s) and returns the share of one core it used meanwhile.
func measureIdle(ctx context.Context, n *Neko, d time.Duration) (share float64, crashed, interrupted bool) {
	wait := func(d time.Duration) bool {
		select {
		case <-time.After(d):
			return true
		case <-n.Exited():
			crashed = true
		case <-ctx.Done():
			interrupted = true
		}
		return false
	}
	if !wait(10 * time.Second) {
		return -1, crashed, interrupted
	}
	c0, err := cpuTime(n.Pid())
	t0 := time.Now()
	if err != nil || !wait(d) {
		return -1, crashed, interrupted
	}
	c1, err := cpuTime(n.Pid())
	if err != nil {
		return -1, false, false
	}
	return (c1 - c0).Seconds() / time.Since(t0).Seconds(), false, false
}

var metaToken = regexp.MustCompile(`<meta\s+name="neko-token"\s+content="([^"]+)"`)

// readToken takes the CSRF token from the page, as our frontend does, and
// falls back to the install's token file.
func readToken(ctx context.Context, base, data string) (string, error) {
	var page string
	if err := NewAPI(base, "").get(ctx, "/", &page); err == nil {
		if m := metaToken.FindStringSubmatch(page); m != nil {
			return m[1], nil
		}
	}
	b, err := os.ReadFile(config.NewPaths(data).File(".neko_token"))
	if err != nil {
		return "", fmt.Errorf("not in the page and no token file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}
