// Package launcher turns the command line into a running neko: it parses the
// flags shared by the headless and desktop binaries, sets up logging and the
// data folder, and runs the servers until a signal or a quit request.
package launcher

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"neko/backend/config"
	"neko/backend/logging"
	"neko/backend/services"
)

// Options are the parsed command line.
type Options struct {
	Command      string // "serve" (default), "testprovider", "version"
	Only         string
	Attach       bool
	PortFallback bool
	OpenBrowser  bool
	DataDir      string
	LogLevel     string
	Ports        services.Ports
	ProviderPort int // testprovider
	Args         []string
}

// Parse reads args (without the program name). Ports start from the
// defaults, then the original's environment variables, then flags.
func Parse(args []string, getenv func(string) string) (Options, error) {
	o := Options{Command: "serve"}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		o.Command, args = args[0], args[1:]
	}
	switch o.Command {
	case "serve", "version", "testprovider":
	default:
		return o, fmt.Errorf("unknown command %q (use serve, testprovider or version)", o.Command)
	}
	ports, err := services.DefaultPorts().ApplyEnv(getenv)
	if err != nil {
		return o, err
	}
	o.Ports = ports
	fsFlags := flag.NewFlagSet("neko "+o.Command, flag.ContinueOnError)
	fsFlags.SetOutput(io.Discard)
	fsFlags.StringVar(&o.Only, "only", "", "run one server: main, memory or agent (split mode)")
	fsFlags.BoolVar(&o.Attach, "attach", false, "if neko is already running, use it instead of failing")
	fsFlags.BoolVar(&o.PortFallback, "port-fallback", false, "if a port is held by another program, use the nearest free one")
	fsFlags.BoolVar(&o.OpenBrowser, "open-browser", false, "open the main page in the default browser; closing it stops neko")
	fsFlags.StringVar(&o.DataDir, "data", getenv("NEKO_DATA_DIR"), "data folder (default <Documents>/N.E.K.O)")
	fsFlags.StringVar(&o.LogLevel, "log-level", getenv("NEKO_LOG_LEVEL"), "debug, info, warn or error")
	fsFlags.IntVar(&o.Ports.Main, "main-port", o.Ports.Main, "main server port")
	fsFlags.IntVar(&o.Ports.Memory, "memory-port", o.Ports.Memory, "memory server port")
	fsFlags.IntVar(&o.Ports.Agent, "agent-port", o.Ports.Agent, "agent server port")
	fsFlags.IntVar(&o.Ports.SessionPub, "zmq-session-port", o.Ports.SessionPub, "ZeroMQ session PUB port")
	fsFlags.IntVar(&o.Ports.AgentPush, "zmq-agent-port", o.Ports.AgentPush, "ZeroMQ agent PUSH port")
	fsFlags.IntVar(&o.Ports.AnalyzePush, "zmq-analyze-port", o.Ports.AnalyzePush, "ZeroMQ analyze PUSH port")
	fsFlags.IntVar(&o.ProviderPort, "port", 0, "testprovider: port to listen on (0 = any)")
	if err := fsFlags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, errHelp{usage(fsFlags)}
		}
		return o, fmt.Errorf("%w\n%s", err, usage(fsFlags))
	}
	o.Args = fsFlags.Args()
	return o, nil
}

type errHelp struct{ text string }

func (e errHelp) Error() string { return e.text }

// IsHelp reports whether err is the -h/--help text (exit 0).
func IsHelp(err error) bool { var h errHelp; return errors.As(err, &h) }

func usage(f *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString("usage: neko [serve|testprovider|version] [flags]\n")
	f.SetOutput(&b)
	f.PrintDefaults()
	f.SetOutput(io.Discard)
	return b.String()
}

// Setup opens the logger for o; the closer flushes the log file.
func Setup(o Options, stderr io.Writer) (*slog.Logger, string, io.Closer, error) {
	root := o.DataDir
	if root == "" {
		r, err := config.DataRoot()
		if err != nil {
			return nil, "", nil, err
		}
		root = r
	}
	root, _ = filepath.Abs(root)
	level, err := logging.ParseLevel(o.LogLevel)
	if err != nil {
		return nil, "", nil, err
	}
	if err := config.NewPaths(root).Ensure(); err != nil {
		return nil, "", nil, err
	}
	log, closer, err := logging.New(logging.Options{Dir: config.NewPaths(root).Logs, Level: level, Stderr: stderr})
	if err != nil {
		return nil, "", nil, err
	}
	return log, root, closer, nil
}

// StartServices starts the servers of o.
func StartServices(ctx context.Context, o Options, root string, assets fs.FS, events *services.Events, log *slog.Logger) (*services.Services, error) {
	// Local traffic never goes through a system proxy (the original's PR #417).
	for _, k := range []string{"NO_PROXY", "no_proxy"} {
		v := os.Getenv(k)
		if !strings.Contains(v, "127.0.0.1") {
			os.Setenv(k, strings.Trim(v+",127.0.0.1,localhost,::1", ","))
		}
	}
	return services.Start(ctx, services.Options{DataRoot: root, Ports: o.Ports, Only: o.Only, Attach: o.Attach,
		PortFallback: o.PortFallback, InstanceID: os.Getenv("NEKO_INSTANCE_ID"), Assets: assets,
		OpenBrowserMode: o.OpenBrowser, Events: events, Log: log})
}

// RunHeadless runs the servers until SIGINT/SIGTERM or a quit request, then
// shuts them down in order. It returns the process exit code.
func RunHeadless(o Options, assets fs.FS, stdout, stderr io.Writer) int {
	log, root, closer, err := Setup(o, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "neko:", err)
		return 1
	}
	defer closer.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	events := services.NewEvents(stdout)
	svc, err := StartServices(context.Background(), o, root, assets, events, log)
	if err != nil {
		log.Error("startup failed", "err", err)
		var ar *services.AlreadyRunningError
		if errors.As(err, &ar) {
			return 3
		}
		return 1
	}
	if svc.Attached {
		log.Info("attached to the running neko", "main", fmt.Sprintf("http://127.0.0.1:%d/", svc.Ports.Main))
		return 0
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/", svc.Ports.Main)
	log.Info("neko is ready", "url", url, "data", root)
	if o.OpenBrowser {
		openBrowser(url, log)
	}
	select {
	case <-ctx.Done():
		log.Info("signal received; shutting down")
	case <-svc.Done():
		log.Info("shutdown requested")
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := svc.Shutdown(sctx); err != nil {
		log.Error("shutdown", "err", err)
		return 1
	}
	log.Info("bye")
	return 0
}

// Command handles the parts of the command line every flavour shares: it
// parses args, prints help, the version, or runs the test provider. serve
// is false when the process should exit with code; flavour names the build
// ("headless" or "desktop") in the version line.
func Command(args []string, version, flavour string) (o Options, code int, serve bool) {
	o, err := Parse(args, os.Getenv)
	if err != nil {
		if IsHelp(err) {
			fmt.Print(err)
			return o, 0, false
		}
		fmt.Fprintln(os.Stderr, "neko:", err)
		return o, 2, false
	}
	switch o.Command {
	case "version":
		fmt.Printf("neko %s (%s)\n", version, flavour)
		return o, 0, false
	case "testprovider":
		return o, RunTestProvider(o.ProviderPort, os.Stdout, os.Stderr), false
	}
	return o, 0, true
}
