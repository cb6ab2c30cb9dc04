package services

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"neko/backend/agent"
	"neko/backend/bridge"
	"neko/backend/config"
	"neko/backend/llm"
	"neko/backend/mainserver"
	"neko/backend/memory"
)

// build makes one server's component. Each server reaches the others only
// through their ports (HTTP and ZeroMQ), so split mode is the same code.
func (s *Services) build(name string) (*component, error) {
	switch name {
	case "memory":
		return s.buildMemory()
	case "agent":
		return s.buildAgent()
	case "main":
		return s.buildMain()
	}
	return nil, fmt.Errorf("unknown server %q", name)
}

func (s *Services) bridgeConfig() bridge.Config {
	return bridge.Config{SessionPort: s.Ports.SessionPub, AgentPort: s.Ports.AgentPush, AnalyzePort: s.Ports.AnalyzePush,
		InstanceID: s.opts.InstanceID}
}

// endpoint resolves a model role for the llm clients; a role without a
// usable key is not configured (nothing is sent to a provider then).
func (s *Services) endpoint(role string) llm.Endpoint {
	return s.roleEndpoint(role).Endpoint
}

func (s *Services) roleEndpoint(role string) llm.RoleEndpoint {
	e, err := llm.Resolve(s.Store.Core(), s.Store.Providers, role, llm.ResolveOptions{})
	if err != nil || e.BaseURL == "" || e.Model == "" {
		return llm.RoleEndpoint{}
	}
	if e.APIKey == "" && !e.Custom && !e.Free && e.Provider != "local" {
		return llm.RoleEndpoint{}
	}
	return e
}

func (s *Services) buildMemory() (*component, error) {
	cfg := memory.DefaultConfig(s.Store.Paths.Memory)
	cfg.ReviewEnabled = func() bool { return s.Store.Core().Bool("recent_memory_auto_review", true) }
	m, err := memory.New(cfg, memory.Deps{Characters: storeCharacters{s.Store}, Endpoint: s.endpoint}, s.opts.Log)
	if err != nil {
		return nil, err
	}
	return &component{handler: m.Handler(), close: m.Close}, nil
}

// storeCharacters is characters.json as the memory server reads it.
type storeCharacters struct{ st *config.Store }

func (c storeCharacters) MasterName() string { return c.st.Characters().MasterName() }
func (c storeCharacters) Names() []string    { return c.st.Characters().Names() }
func (c storeCharacters) Profile(name string) (map[string]any, bool) {
	ch, ok := c.st.Characters().Get(name)
	if !ok {
		return nil, false
	}
	return ch.Profile.Map(), true
}

func (s *Services) buildAgent() (*component, error) {
	s.bridgeA = bridge.NewAgentSide(s.bridgeConfig(), s.opts.Log)
	a, err := agent.New(agent.DefaultConfig(filepath.Join(s.Store.Paths.Root, "agent")), agent.Deps{
		Endpoint: s.endpoint,
		Analyze:  s.bridgeA.Analyze(),
		Send:     s.bridgeA.Send,
	}, s.opts.Log)
	if err != nil {
		return nil, err
	}
	// Main mirrors the agent's switches from its status updates; a main that
	// restarted, or that heard an earlier agent process, learns them here.
	s.bridgeA.OnConnect(a.AnnounceStatus)
	s.bridgeA.Start(s.ctx)
	return &component{handler: a.Handler(), healthExtra: a.HealthExtra, run: a.Run, close: a.Close}, nil
}

func (s *Services) buildMain() (*component, error) {
	router := newAgentEvents(s.opts.Log)
	router.answers = s.agentAnswers
	s.bridgeM = bridge.NewMainSide(s.bridgeConfig(), router.handle, s.opts.Log)
	an := &analyzer{bridge: s.bridgeM}
	hub := s.newHub(func() *analyzer { return an })
	// The router is complete before the bridge starts: an agent that is
	// already up announces its status the moment the link comes up.
	router.hasSession, router.deliver, router.analyzer = hub.HasSession, hub.AgentEvent, an
	if err := s.bridgeM.Start(s.ctx); err != nil {
		hub.Close()
		return nil, err
	}
	ex, err := s.buildMainExtras(hub)
	if err != nil {
		hub.Close()
		return nil, err
	}
	agentURL := fmt.Sprintf("http://127.0.0.1:%d", s.Ports.Agent)
	ms, err := mainserver.New(mainserver.Config{InstanceID: s.opts.InstanceID, Token: s.token.Token(), OpenBrowserMode: s.opts.OpenBrowserMode,
		Origin: fmt.Sprintf("http://127.0.0.1:%d", s.Ports.Main)},
		mainserver.Deps{
			Store:         s.Store,
			Assets:        s.opts.Assets,
			Log:           s.opts.Log,
			Agent:         agent.NewProxyHandler(agentURL, agent.ProxyOptions{Logger: s.opts.Log, Client: s.internal}),
			Memory:        memory.NewBrowserHandler(s.memoryClient(), reviewSetting{s.Store}, s.opts.Log),
			WebSocket:     hub,
			Sessions:      hub,
			Voices:        ex.voices,
			Live2D:        ex.models,
			VRM:           ex.models,
			Workshop:      ex.workshop.Handler(),
			WorkshopFiles: ex.workshopFS,
			Extra:         ex.extra,
			Shutdown:      s.stop,
		})
	if err != nil {
		hub.Close()
		ex.closeWorkFS()
		return nil, err
	}
	run := func(ctx context.Context) error {
		ex.syncWorkshop(ctx) // import new workshop character cards, as the original does at start
		return nil
	}
	return &component{handler: ms.Handler(), run: run, close: func() error {
		hub.Close()
		ex.closeWorkFS()
		return ms.Close()
	}}, nil
}

// agentAnswers reports whether the agent server answers /health within
// half a second (a killed process refuses at once).
func (s *Services) agentAnswers() bool {
	ctx, cancel := context.WithTimeout(s.ctx, 500*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/health", s.Ports.Agent), nil)
	if err != nil {
		return false
	}
	resp, err := s.internal.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// newInternalClient talks to the memory and agent servers: loopback only,
// no proxy, and the instance token they require. Services builds one, so
// calls made per turn (the agent's task list for her prompt) reuse a
// keep-alive connection instead of each leaving one idle for 90 s.
func newInternalClient(instance string) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	return &http.Client{Transport: instanceAuth{next: tr, token: instance}}
}

type instanceAuth struct {
	next  http.RoundTripper
	token string
}

func (a instanceAuth) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Neko-Instance", a.token)
	return a.next.RoundTrip(r)
}

// reviewSetting is core_config's recent_memory_auto_review.
type reviewSetting struct{ st *config.Store }

func (r reviewSetting) AutoReview() bool { return r.st.Core().Bool("recent_memory_auto_review", true) }
func (r reviewSetting) SetAutoReview(on bool) error {
	_, err := r.st.UpdateCore(map[string]any{"recent_memory_auto_review": on})
	return err
}

// memoryClient calls the memory server with the instance token.
func (s *Services) memoryClient() *memory.Client {
	return memory.NewClient(fmt.Sprintf("http://127.0.0.1:%d", s.Ports.Memory), memory.WithHeader("X-Neko-Instance", s.instance))
}
