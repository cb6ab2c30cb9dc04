// Command probe attacks a running neko instance the way a hostile web page
// or local process would — DNS-rebinding Host headers, foreign Origins,
// missing or wrong tokens, path traversal on static mounts and file
// endpoints, oversized and deeply nested bodies, secret leaks in GET replies
// and the WebSocket greeting — and prints what got through. It exits 1 when
// it found anything, 2 when it could not run.
//
//	go run ./tools/probe -url http://127.0.0.1:48911 \
//	    -memory-url http://127.0.0.1:48912 -agent-url http://127.0.0.1:48915
//
// Some checks change data when the target is vulnerable (a mutating route
// that should have been refused runs); -plant writes a marker key. Point it
// at an instance with a throwaway data folder.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses args, probes and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", "http://127.0.0.1:48911", "main server base URL")
	memURL := fs.String("memory-url", "", "memory server base URL (instance-token checks)")
	agentURL := fs.String("agent-url", "", "agent server base URL (instance-token checks)")
	token := fs.String("token", "", "CSRF token (default: read from the <meta name=neko-token> of the page)")
	tokenFile := fs.String("token-file", "", "read the CSRF token from this file (<data>/config/.neko_token)")
	routesFile := fs.String("routes", "", "file of extra \"METHOD /path\" routes to attack")
	noDefaults := fs.Bool("no-default-routes", false, "attack only the main-server routes given with -routes (memory/agent routes stay)")
	uploads := fs.String("uploads", "", "comma-separated upload routes (default: the N.E.K.O. upload routes)")
	mounts := fs.String("mounts", strings.Join(defaultMounts, ","), "comma-separated static mounts")
	fileEPs := fs.String("file-endpoints", "", "comma-separated file endpoints, \"/path?param\" or \"/path/{name}\" (default: the N.E.K.O. ones)")
	wsPath := fs.String("ws", "/ws/nekoprobe", "conversation WebSocket path (\"\" to skip)")
	plant := fs.String("plant", "", "route that stores a key, e.g. \"POST /api/config/core_api\" (writes a marker key!)")
	plantBody := fs.String("plant-body", `{"coreApi":"qwen","coreApiKey":"{{MARKER}}","enableCustomApi":false}`, "JSON body for -plant; {{MARKER}} is replaced by the marker key")
	dataDir := fs.String("data", "", "data folder of the target: plant symlinks in <data>/live2d and <data>/vrm")
	symlinks := fs.String("symlinks", "", "comma-separated mount=folder pairs for the symlink check (overrides -data)")
	maxBody := fs.Int64("max-body", 1<<20, "the JSON body limit the target should enforce")
	timeout := fs.Duration("timeout", 5*time.Second, "per-request timeout")
	uploadWait := fs.Duration("upload-wait", 5*time.Second, "how long an announced 300 MiB upload may go unanswered")
	verbose := fs.Bool("v", false, "print every check, not only findings")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "probe: "+format+"\n", a...)
		return 2
	}
	opt := options{WSPath: *wsPath, MaxBody: *maxBody, Timeout: *timeout, UploadWait: *uploadWait, Verbose: *verbose, Out: stdout}
	var err error
	if opt.Base, err = parseBase(*base); err != nil {
		return fail("-url: %v", err)
	}
	if *memURL != "" {
		if opt.MemoryURL, err = parseBase(*memURL); err != nil {
			return fail("-memory-url: %v", err)
		}
	}
	if *agentURL != "" {
		if opt.AgentURL, err = parseBase(*agentURL); err != nil {
			return fail("-agent-url: %v", err)
		}
	}
	if !*noDefaults {
		opt.Routes = append(opt.Routes, defaultMainRoutes...)
		opt.UploadRoutes = defaultUploadRoutes
		opt.FileEndpoints = defaultFileEndpoints
	}
	opt.MemoryRoutes, opt.AgentRoutes = defaultMemoryRoutes, defaultAgentRoutes
	if *routesFile != "" {
		extra, err := readRoutesFile(*routesFile)
		if err != nil {
			return fail("%v", err)
		}
		opt.Routes = append(opt.Routes, extra...)
	}
	if *uploads != "" {
		opt.UploadRoutes = nil
		for _, s := range splitList(*uploads) {
			rt, err := parseRoute(s)
			if err != nil {
				return fail("-uploads: %v", err)
			}
			opt.UploadRoutes = append(opt.UploadRoutes, rt)
		}
	}
	opt.Mounts = splitList(*mounts)
	if *fileEPs != "" {
		opt.FileEndpoints = nil
		for _, s := range splitList(*fileEPs) {
			path, param, _ := strings.Cut(s, "?")
			opt.FileEndpoints = append(opt.FileEndpoints, fileEndpoint{Path: path, Param: param})
		}
	}
	if *plant != "" {
		rt, err := parseRoute(*plant)
		if err != nil {
			return fail("-plant: %v", err)
		}
		opt.PlantRoute, opt.PlantBody = &rt, *plantBody
	}
	opt.Symlinks = map[string]string{}
	if *dataDir != "" {
		opt.Symlinks["/user_live2d"] = *dataDir + string(os.PathSeparator) + "live2d"
		opt.Symlinks["/user_vrm"] = *dataDir + string(os.PathSeparator) + "vrm"
	}
	if *symlinks != "" {
		opt.Symlinks = map[string]string{}
		for _, s := range splitList(*symlinks) {
			m, dir, ok := strings.Cut(s, "=")
			if !ok {
				return fail("-symlinks: %q is not mount=folder", s)
			}
			opt.Symlinks[m] = dir
		}
	}
	opt.Token = *token
	if opt.Token == "" && *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return fail("-token-file: %v", err)
		}
		opt.Token = strings.TrimSpace(string(b))
	}
	return probe(ctx, opt, stderr)
}

// probe runs every check against opt.Base and prints the summary.
func probe(ctx context.Context, opt options, stderr io.Writer) int {
	p := newProber(opt)
	health := p.do(ctx, request{Method: "GET", Path: "/health"})
	if health.Err != nil {
		fmt.Fprintf(stderr, "probe: %s is not reachable: %v\n", opt.Base, health.Err)
		return 2
	}
	source := "given"
	if p.opt.Token == "" {
		p.opt.Token = p.tokenFromPage(ctx)
		source = "read from the page"
	}
	if p.opt.Token == "" {
		source = "none found; checks that need it are skipped"
	}
	fmt.Fprintf(opt.Out, "neko probe: %s (health %d, token %s)\n", opt.Base, health.Status, source)
	c, err := newCanary()
	if err != nil {
		fmt.Fprintf(stderr, "probe: %v\n", err)
		return 2
	}
	p.canary = c
	defer c.remove()

	p.plant(ctx)
	p.checkLeaks(ctx)
	p.checkHost(ctx)
	p.checkOrigin(ctx)
	p.checkWebSocket(ctx)
	p.checkTraversal(ctx)
	p.checkSymlinks(ctx)
	p.checkBodies(ctx)
	p.checkInstance(ctx)
	p.checkToken(ctx) // last: on a vulnerable target these requests really run
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "probe: interrupted")
		return 2
	}
	fmt.Fprintf(opt.Out, "checks: %d, findings: %d, skipped: %d\n", p.checks+len(p.findings), len(p.findings), len(p.skipped))
	if len(p.findings) > 0 {
		return 1
	}
	return 0
}

func parseBase(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(s, "/"))
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http(s) base URL", s)
	}
	if u.Port() == "" {
		if u.Scheme == "https" {
			u.Host += ":443"
		} else {
			u.Host += ":80"
		}
	}
	return u, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
