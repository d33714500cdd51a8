package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// The wrk command measures raw throughput of the endpoints that take one
// request each (client_credentials, userinfo, introspection) with wrk,
// which costs a few microseconds of CPU per request where this tool's Go
// HTTP client costs tens: on a two-core machine shared by the load and the
// server, that difference decides what the server gets. The tool prepares
// the fixtures (clients, users, access tokens), writes them to a file the
// Lua scripts of scripts/wrk read, runs wrk for a warm-up and then for the
// measured window, and reports wrk's figures with the server's CPU and
// memory read from /proc, as the run command does.

// wrkScenarios are the scenarios a wrk script exists for.
var wrkScenarios = []string{scClientCredentials, scUserinfo, scIntrospect, scRefresh}

// wrkConfig is a parsed command line of the wrk command.
type wrkConfig struct {
	URL         string
	Database    string
	Scenario    string
	Connections int
	Threads     int
	Duration    time.Duration
	Warmup      time.Duration
	Tokens      int
	Users       int
	Scripts     string
	Wrk         string
	ServerPID   int
	JSON        bool
	Alg         string
	// FixturesOnly writes the fixtures file to this path and stops, for
	// running wrk by hand.
	FixturesOnly string
}

func parseWrkFlags(args []string, stderr io.Writer) (*wrkConfig, error) {
	fs := flag.NewFlagSet("gatehouse-load wrk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &wrkConfig{}
	fs.StringVar(&c.URL, "url", "http://127.0.0.1:8080", "base `URL` of the server (a loopback address)")
	fs.StringVar(&c.Database, "database", "", "the server's database: SQLite `file` or PostgreSQL URL, for the fixtures")
	fs.StringVar(&c.Scenario, "scenario", scClientCredentials, "`scenario`: "+strings.Join(wrkScenarios, ", "))
	fs.IntVar(&c.Connections, "connections", 64, "connections wrk keeps open")
	// One wrk thread sends well over 20,000 requests a second. A second
	// one gains nothing on a two-core machine and costs latency: with
	// the server's threads and two of wrk's runnable on two cores, the
	// kernel parks a wrk thread for a time slice now and then, and every
	// response waiting on its connections is measured that much later.
	fs.IntVar(&c.Threads, "threads", 1, "wrk threads")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "how long to measure (at most 10m)")
	fs.DurationVar(&c.Warmup, "warmup", 2*time.Second, "load before measuring, not counted")
	fs.IntVar(&c.Tokens, "tokens", 256, "distinct access tokens userinfo and introspect cycle through")
	fs.IntVar(&c.Users, "users", 32, "users whose tokens they are")
	fs.StringVar(&c.Scripts, "scripts", "scripts/wrk", "`directory` of the wrk Lua scripts")
	fs.StringVar(&c.Wrk, "wrk", "wrk", "the wrk `program`")
	fs.IntVar(&c.ServerPID, "server-pid", 0, "server process id for CPU and memory (0: the process listening on the URL's port)")
	fs.BoolVar(&c.JSON, "json", false, "print the report as JSON")
	fs.StringVar(&c.Alg, "alg", gatehouse.AlgES256, "ID-token algorithm of the web client (refresh): RS256, ES256 or EdDSA")
	fs.StringVar(&c.FixturesOnly, "fixtures-only", "", "write the fixtures to this `file` and exit, without running wrk")
	if err := fs.Parse(args); err != nil {
		return nil, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gatehouse-load wrk: unexpected argument %q\n", fs.Arg(0))
		return nil, errUsage
	}
	switch {
	case !slices.Contains(wrkScenarios, c.Scenario):
		return nil, fmt.Errorf("-scenario must be one of %s", strings.Join(wrkScenarios, ", "))
	case c.Connections < 1 || c.Connections > maxConcurrency:
		return nil, fmt.Errorf("-connections must be 1..%d", maxConcurrency)
	case c.Threads < 1 || c.Threads > c.Connections:
		return nil, errors.New("-threads must be 1..connections")
	case c.Duration < time.Second || c.Duration > maxDuration:
		return nil, fmt.Errorf("-duration must be 1s..%v", maxDuration)
	case c.Warmup < 0 || c.Warmup > time.Minute:
		return nil, errors.New("-warmup must be 0..1m")
	case c.Users < 1 || c.Users > 10000:
		return nil, errors.New("-users must be 1..10000")
	case c.Tokens < 1 || c.Tokens > 100000:
		return nil, errors.New("-tokens must be 1..100000")
	case !slices.Contains(gatehouse.SigningAlgorithms(), c.Alg):
		return nil, fmt.Errorf("-alg must be one of %s", strings.Join(gatehouse.SigningAlgorithms(), ", "))
	}
	return c, nil
}

// wrkCommand prepares fixtures and runs wrk against the server.
func wrkCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseWrkFlags(args, stderr)
	if err != nil {
		return err
	}
	t, err := parseTarget(c.URL)
	if err != nil {
		return err
	}
	script := filepath.Join(c.Scripts, c.Scenario+".lua")
	if c.FixturesOnly == "" {
		if _, err := os.Stat(script); err != nil {
			return fmt.Errorf("-scripts: %w", err)
		}
		if c.Wrk, err = exec.LookPath(c.Wrk); err != nil {
			return fmt.Errorf("-wrk: %w", err)
		}
	}
	st, err := openStore(ctx, c.Database)
	if err != nil {
		return err
	}
	defer st.Close()
	users, tokens := min(c.Users, c.Tokens), c.Tokens
	switch c.Scenario {
	case scClientCredentials:
		users = 1
	case scRefresh:
		// A chain per user, more than the connections, so a thread always
		// has one that is not in flight.
		users, tokens = c.Connections+4*c.Threads, c.Connections+4*c.Threads
	}
	fmt.Fprintf(stderr, "setting up %d users and %d access tokens...\n", users, tokens)
	fx, toks, chains, err := wrkFixtures(ctx, t, st, users, tokens, c.Alg)
	if err != nil {
		return err
	}
	file := c.FixturesOnly
	if file == "" {
		dir, err := os.MkdirTemp("", "gatehouse-wrk-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		file = filepath.Join(dir, "fixtures")
	}
	// A refresh chain can be spent once: the warm-up gets chains of its
	// own, from a second sign-in of every user.
	warmFile := file
	if c.Scenario == scRefresh && c.Warmup > 0 && c.FixturesOnly == "" {
		warmChains, err := moreChains(ctx, t, fx)
		if err != nil {
			return err
		}
		warmFile = file + "-warmup"
		if err := writeWrkFixtures(warmFile, fx, toks, warmChains); err != nil {
			return err
		}
	}
	if err := writeWrkFixtures(file, fx, toks, chains); err != nil {
		return err
	}
	if c.FixturesOnly != "" {
		fmt.Fprintf(stderr, "fixtures written to %s\n", file)
		return nil
	}
	// One request the way wrk will send it, to fail early with a reason
	// rather than report a rate of errors.
	if c.Scenario != scRefresh {
		if err := wrkProbe(ctx, t, c.Scenario, fx, toks[0]); err != nil {
			return fmt.Errorf("probe request: %w", err)
		}
	}
	pid := c.ServerPID
	if pid == 0 {
		port, _ := strconv.Atoi(t.base.Port())
		if pid, err = pidListening(port); err != nil {
			fmt.Fprintf(stderr, "server process not found (%v): no CPU or memory figures\n", err)
		}
	}
	if c.Warmup > 0 {
		fmt.Fprintf(stderr, "warming up for %v...\n", c.Warmup)
		if _, _, err := runWrk(ctx, c, t, script, warmFile, c.Warmup, nil); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "running wrk %s with %d connections, %d threads for %v...\n", c.Scenario, c.Connections, c.Threads, c.Duration)
	sm := newSampler(pid)
	res, toolCPU, err := runWrk(ctx, c, t, script, file, c.Duration, sm)
	rep := &report{Scenario: c.Scenario, Alg: c.Alg, Concurrency: c.Connections}
	sm.finish(rep, toolCPU)
	if err != nil {
		return err
	}
	res.fill(rep, c.Scenario)
	if c.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.print(stdout)
	return nil
}

// wrkFixtures creates the tenant, clients and users (the web client's ID
// tokens signed with alg), signs the users in, and returns the fixtures
// with n access tokens (each user's first, then more from rotating the
// users' refresh tokens in turn) and each user's current refresh token.
func wrkFixtures(ctx context.Context, t *target, st gatehouse.Store, users, n int, alg string) (*fixtures, []string, []string, error) {
	fx, err := setup(ctx, st, setupOptions{Users: users, Alg: alg,
		Hasher: secret.NewHasher(secret.OWASPArgon2, 2), Clock: time.Now})
	if err != nil {
		return nil, nil, nil, err
	}
	transport := newTransport(8)
	defer transport.CloseIdleConnections()
	sessions, err := signInAll(ctx, t, transport, fx, 8)
	if err != nil {
		return nil, nil, nil, err
	}
	hc := &http.Client{Transport: transport, Timeout: 60 * time.Second}
	toks := make([]string, 0, n)
	for i := 0; len(toks) < n; i++ {
		s := sessions[i%len(sessions)]
		if i < len(sessions) {
			toks = append(toks, s.AccessToken)
			continue
		}
		tk, err := refresh(ctx, hc, t, fx.Web, s.RefreshToken)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("refresh for another access token: %w", err)
		}
		s.RefreshToken = tk.RefreshToken
		toks = append(toks, tk.AccessToken)
	}
	chains := make([]string, len(sessions))
	for i, s := range sessions {
		chains[i] = s.RefreshToken
	}
	return fx, toks, chains, nil
}

// moreChains signs every account in once more and returns the refresh
// token of each new grant.
func moreChains(ctx context.Context, t *target, fx *fixtures) ([]string, error) {
	transport := newTransport(8)
	defer transport.CloseIdleConnections()
	sessions, err := signInAll(ctx, t, transport, fx, 8)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(sessions))
	for i, s := range sessions {
		out[i] = s.RefreshToken
	}
	return out, nil
}

// basic is the HTTP Basic credential of a client (RFC 6749 §2.3.1: both
// parts form-encoded first).
func basic(c webClient) string {
	return base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(c.ClientID) + ":" + url.QueryEscape(c.ClientSecret)))
}

// writeWrkFixtures writes the file the Lua scripts read, readable by this
// user only: it holds client secrets and live tokens.
func writeWrkFixtures(path string, fx *fixtures, toks, chains []string) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "machine_basic %s\n", basic(fx.Machine))
	fmt.Fprintf(&b, "resource_basic %s\n", basic(fx.Resource))
	fmt.Fprintf(&b, "web_basic %s\n", basic(fx.Web))
	for _, tok := range toks {
		fmt.Fprintf(&b, "token %s\n", tok)
	}
	for _, rt := range chains {
		fmt.Fprintf(&b, "refresh %s\n", rt)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		return fmt.Errorf("write fixtures: %w", err)
	}
	return nil
}

// wrkProbe sends one request of the scenario and checks its answer.
func wrkProbe(ctx context.Context, t *target, scenario string, fx *fixtures, tok string) error {
	hc := &http.Client{Timeout: 30 * time.Second, Transport: newTransport(1)}
	var req *http.Request
	var err error
	switch scenario {
	case scClientCredentials:
		req, err = postForm(ctx, t.url("/oauth/token"), url.Values{"grant_type": {"client_credentials"}},
			fx.Machine.ClientID, fx.Machine.ClientSecret)
	case scUserinfo:
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, t.url("/oauth/userinfo"), nil)
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
	case scIntrospect:
		req, err = postForm(ctx, t.url("/oauth/introspect"), url.Values{"token": {tok}},
			fx.Resource.ClientID, fx.Resource.ClientSecret)
	}
	if err != nil {
		return err
	}
	resp, body, err := do(hc, req)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return statusError(scenario, resp, body)
	}
	if scenario == scIntrospect && !bytes.HasPrefix(body, []byte(`{"active":true`)) {
		return failf("introspect: the token is inactive")
	}
	return nil
}

// wrkResult is the JSON line the scripts print when wrk is done.
type wrkResult struct {
	WRK      int   `json:"wrk"`
	Requests int64 `json:"requests"`
	// Lost counts the refresh chains a failed rotation ended.
	Lost       int64 `json:"lost"`
	DurationUS int64 `json:"duration_us"`
	Bytes      int64 `json:"bytes"`
	Errors     struct {
		Connect int64 `json:"connect"`
		Read    int64 `json:"read"`
		Write   int64 `json:"write"`
		Status  int64 `json:"status"`
		Timeout int64 `json:"timeout"`
	} `json:"errors"`
	Latency struct {
		P50  int64   `json:"p50"`
		P90  int64   `json:"p90"`
		P95  int64   `json:"p95"`
		P99  int64   `json:"p99"`
		Max  int64   `json:"max"`
		Mean float64 `json:"mean"`
	} `json:"latency_us"`
}

// runWrk runs wrk for d and returns its figures and the CPU seconds it
// used. It is killed if it outlives d by much. sm, when set, is told
// wrk's process id.
func runWrk(ctx context.Context, c *wrkConfig, t *target, script, fixtures string, d time.Duration, sm *sampler) (*wrkResult, float64, error) {
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	secs := max(int(d.Round(time.Second)/time.Second), 1)
	cmd := exec.CommandContext(ctx, c.Wrk,
		"-t", strconv.Itoa(c.Threads), "-c", strconv.Itoa(c.Connections), "-d", strconv.Itoa(secs)+"s",
		"--timeout", "10s", "-s", script, t.base.String(), "--", fixtures, strconv.Itoa(c.Threads))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		return nil, 0, fmt.Errorf("wrk: %w", err)
	}
	if sm != nil {
		sm.setTool(cmd.Process.Pid)
	}
	if err := cmd.Wait(); err != nil {
		return nil, 0, fmt.Errorf("wrk: %w: %s", err, strings.TrimSpace(errOut.String()))
	}
	var cpu float64
	if ps := cmd.ProcessState; ps != nil {
		cpu = (ps.UserTime() + ps.SystemTime()).Seconds()
	}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte(`{"wrk":`)) {
			continue
		}
		var r wrkResult
		if err := json.Unmarshal(line, &r); err != nil {
			return nil, 0, fmt.Errorf("wrk: malformed report: %w", err)
		}
		return &r, cpu, nil
	}
	return nil, 0, fmt.Errorf("wrk printed no report: %s", strings.TrimSpace(out.String()))
}

// fill writes wrk's figures into rep as one scenario.
func (r *wrkResult) fill(rep *report, name string) {
	elapsed := float64(r.DurationUS) / 1e6
	rep.Elapsed = elapsed
	s := scenarioReport{Name: name}
	e := r.Errors
	byKind := map[string]int64{}
	for kind, n := range map[string]int64{"connect": e.Connect, "read": e.Read, "write": e.Write,
		"status not 2xx/3xx": e.Status, "timeout": e.Timeout} {
		if n > 0 {
			byKind[name+": "+kind] = n
			s.Errors += n
		}
	}
	// wrk counts a response with a bad status among its requests too.
	s.OK = max(r.Requests-e.Status, 0)
	if elapsed > 0 {
		s.PerSecond = float64(s.OK) / elapsed
	}
	toMS := func(us int64) float64 { return float64(us) / 1000 }
	s.P50, s.P95, s.P99, s.Max = toMS(r.Latency.P50), toMS(r.Latency.P95), toMS(r.Latency.P99), toMS(r.Latency.Max)
	if r.Lost > 0 {
		byKind[name+": chains ended by a failed rotation"] = r.Lost
	}
	if len(byKind) > 0 {
		s.ByKind = byKind
	}
	rep.Scenarios = []*scenarioReport{&s}
	rep.Total = s
}
