package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// errUsage reports a malformed command line, already explained.
var errUsage = errors.New("usage")

// Scenario names.
const (
	scClientCredentials = "client_credentials"
	scCode              = "code"
	scRefresh           = "refresh"
	scUserinfo          = "userinfo"
	scIntrospect        = "introspect"
	scSignIn            = "signin"
)

var scenarioNames = []string{scClientCredentials, scCode, scRefresh, scUserinfo, scIntrospect, scSignIn}

// weighted is one scenario of a mix.
type weighted struct {
	name   string
	weight int
}

// parseMix reads "name" or "name:weight,name:weight".
func parseMix(s string) ([]weighted, error) {
	var out []weighted
	for part := range strings.SplitSeq(s, ",") {
		name, w, hasW := strings.Cut(strings.TrimSpace(part), ":")
		if !slices.Contains(scenarioNames, name) {
			return nil, fmt.Errorf("-scenario: unknown scenario %q (known: %s)", name, strings.Join(scenarioNames, ", "))
		}
		weight := 1
		if hasW {
			n, err := strconv.Atoi(w)
			if err != nil || n <= 0 || n > 1000 {
				return nil, fmt.Errorf("-scenario: weight of %s must be 1..1000", name)
			}
			weight = n
		}
		for _, x := range out {
			if x.name == name {
				return nil, fmt.Errorf("-scenario: %s given twice", name)
			}
		}
		out = append(out, weighted{name, weight})
	}
	return out, nil
}

// runConfig is a parsed command line of the run command.
type runConfig struct {
	URL         string
	Database    string
	Scenario    string
	Concurrency int
	Duration    time.Duration
	Warmup      time.Duration
	Requests    int64
	Alg         string
	Users       int
	ServerPID   int
	JSON        bool
	// HashConcurrency bounds the tool's own argon2id hashing at setup.
	HashConcurrency int
}

// Bounds that keep a run from outgrowing a benchmark.
const (
	maxConcurrency = 2000
	maxDuration    = 10 * time.Minute
)

func parseRunFlags(args []string, stderr io.Writer) (*runConfig, error) {
	fs := flag.NewFlagSet("gatehouse-load run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &runConfig{}
	fs.StringVar(&c.URL, "url", "http://127.0.0.1:8080", "base `URL` of the server (a loopback address)")
	fs.StringVar(&c.Database, "database", "", "the server's database: SQLite `file` or PostgreSQL URL, for the fixtures")
	fs.StringVar(&c.Scenario, "scenario", scClientCredentials, "`scenario` or weighted mix: "+strings.Join(scenarioNames, ", ")+" (e.g. userinfo:4,refresh:1)")
	fs.IntVar(&c.Concurrency, "concurrency", 64, "concurrent workers, each with its own connection")
	fs.DurationVar(&c.Duration, "duration", 15*time.Second, "how long to measure (at most 10m)")
	fs.DurationVar(&c.Warmup, "warmup", 2*time.Second, "load before measuring, not counted")
	fs.Int64Var(&c.Requests, "requests", 0, "stop after this many measured operations (0: no limit but -duration)")
	fs.StringVar(&c.Alg, "alg", gatehouse.AlgES256, "ID-token algorithm of the web client: RS256, ES256 or EdDSA")
	fs.IntVar(&c.Users, "users", 0, "users to create (0: one per worker)")
	fs.IntVar(&c.ServerPID, "server-pid", 0, "server process id for CPU and memory (0: the process listening on the URL's port)")
	fs.BoolVar(&c.JSON, "json", false, "print the report as JSON")
	fs.IntVar(&c.HashConcurrency, "hash-concurrency", 2, "argon2id hashes the tool runs at once during setup")
	if err := fs.Parse(args); err != nil {
		return nil, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gatehouse-load run: unexpected argument %q\n", fs.Arg(0))
		return nil, errUsage
	}
	switch {
	case c.Concurrency < 1 || c.Concurrency > maxConcurrency:
		return nil, fmt.Errorf("-concurrency must be 1..%d", maxConcurrency)
	case c.Duration <= 0 || c.Duration > maxDuration:
		return nil, fmt.Errorf("-duration must be above 0 and at most %v", maxDuration)
	case c.Warmup < 0 || c.Warmup > time.Minute:
		return nil, errors.New("-warmup must be 0..1m")
	case c.Requests < 0:
		return nil, errors.New("-requests must not be negative")
	case !slices.Contains(gatehouse.SigningAlgorithms(), c.Alg):
		return nil, fmt.Errorf("-alg must be one of %s", strings.Join(gatehouse.SigningAlgorithms(), ", "))
	case c.Users < 0 || c.Users > 100000:
		return nil, errors.New("-users must be 0..100000")
	}
	if c.Users == 0 {
		c.Users = c.Concurrency
	}
	return c, nil
}

// runCommand sets up fixtures and drives the server.
func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseRunFlags(args, stderr)
	if err != nil {
		return err
	}
	t, err := parseTarget(c.URL)
	if err != nil {
		return err
	}
	mix, err := parseMix(c.Scenario)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, c.Database)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(stderr, "setting up %d users and their first sign-in...\n", c.Users)
	l, err := prepare(ctx, t, st, c, mix)
	if err != nil {
		return err
	}
	pid := c.ServerPID
	if pid == 0 {
		port, _ := strconv.Atoi(t.base.Port())
		if port == 0 {
			port = map[string]int{"http": 80, "https": 443}[t.base.Scheme]
		}
		if pid, err = pidListening(port); err != nil {
			fmt.Fprintf(stderr, "server process not found (%v): no CPU or memory figures\n", err)
		}
	}
	fmt.Fprintf(stderr, "running %s with %d workers for %v (warm-up %v)...\n", c.Scenario, c.Concurrency, c.Duration, c.Warmup)
	rep := l.run(ctx, runBounds{Concurrency: c.Concurrency, Duration: c.Duration, Warmup: c.Warmup,
		Requests: c.Requests, PID: pid})
	rep.Scenario, rep.Alg, rep.Concurrency = c.Scenario, c.Alg, c.Concurrency
	if c.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.print(stdout)
	return nil
}

// loader holds what the workers share.
type loader struct {
	t         *target
	transport *http.Transport
	hc        *http.Client
	fx        *fixtures
	sessions  []*session
	mix       []weighted
	total     int
}

// prepare creates the fixtures and signs every user in once.
func prepare(ctx context.Context, t *target, st gatehouse.Store, c *runConfig, mix []weighted) (*loader, error) {
	fx, err := setup(ctx, st, setupOptions{Users: c.Users, Alg: c.Alg,
		Hasher: secret.NewHasher(secret.OWASPArgon2, c.HashConcurrency), Clock: time.Now})
	if err != nil {
		return nil, err
	}
	transport := newTransport(c.Concurrency)
	l := &loader{t: t, transport: transport, hc: &http.Client{Transport: transport, Timeout: 60 * time.Second,
		CheckRedirect: noRedirect}, fx: fx, mix: mix}
	for _, m := range mix {
		l.total += m.weight
	}
	// The first sign-ins run a few at a time: each costs the server an
	// argon2id verification.
	if l.sessions, err = signInAll(ctx, t, transport, fx, 8); err != nil {
		return nil, err
	}
	return l, nil
}

// runBounds bound one run.
type runBounds struct {
	Concurrency int
	Duration    time.Duration
	Warmup      time.Duration
	Requests    int64
	PID         int
}

// recorder collects one worker's results per scenario.
type recorder map[string]*result

type result struct {
	latencies []time.Duration
	errors    map[string]int64
}

func (r recorder) add(name string, d time.Duration, err error) {
	res := r[name]
	if res == nil {
		res = &result{errors: map[string]int64{}}
		r[name] = res
	}
	if err != nil {
		res.errors[errorKind(err)]++
		return
	}
	res.latencies = append(res.latencies, d)
}

// worker is one client of the load: it owns one user's session.
type worker struct {
	l   *loader
	s   *session
	rng *rand.Rand
}

// pick chooses the next scenario by weight.
func (w *worker) pick() string {
	if len(w.l.mix) == 1 {
		return w.l.mix[0].name
	}
	n := w.rng.IntN(w.l.total)
	for _, m := range w.l.mix {
		if n < m.weight {
			return m.name
		}
		n -= m.weight
	}
	return w.l.mix[0].name
}

// op runs one operation of a scenario.
func (w *worker) op(ctx context.Context, name string) error {
	l := w.l
	switch name {
	case scClientCredentials:
		req, err := postForm(ctx, l.t.url("/oauth/token"), url.Values{"grant_type": {"client_credentials"}},
			l.fx.Machine.ClientID, l.fx.Machine.ClientSecret)
		if err != nil {
			return err
		}
		_, err = tokenCall(l.hc, req, "client_credentials")
		return err
	case scCode:
		_, err := login(ctx, l.t, l.transport, l.hc, l.fx.Web, w.s.Account, false)
		return err
	case scRefresh:
		if w.s.RefreshToken == "" {
			return failf("refresh: no refresh token (an earlier failure spent it)")
		}
		tk, err := refresh(ctx, l.hc, l.t, l.fx.Web, w.s.RefreshToken)
		if err != nil {
			w.s.RefreshToken = ""
			return err
		}
		w.s.RefreshToken = tk.RefreshToken
		return nil
	case scUserinfo:
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.t.url("/oauth/userinfo"), nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+w.s.AccessToken)
		resp, body, err := do(l.hc, req)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return statusError("userinfo", resp, body)
		}
		return nil
	case scIntrospect:
		req, err := postForm(ctx, l.t.url("/oauth/introspect"), url.Values{"token": {w.s.AccessToken}},
			l.fx.Resource.ClientID, l.fx.Resource.ClientSecret)
		if err != nil {
			return err
		}
		resp, body, err := do(l.hc, req)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return statusError("introspect", resp, body)
		}
		if !strings.HasPrefix(string(body), `{"active":true`) {
			return failf("introspect: inactive")
		}
		return nil
	case scSignIn:
		_, err := newBrowser(l.t, l.transport).authorize(ctx, l.fx.Web, w.s.Account, newPKCE(),
			authorizeOptions{StopAfterSignIn: true})
		return err
	}
	return fmt.Errorf("unknown scenario %q", name)
}

// recover gets a worker a new refresh token after a failed rotation, by
// signing in again, outside the measurement.
func (w *worker) recover(ctx context.Context) {
	if w.s.RefreshToken != "" {
		return
	}
	if tk, err := login(ctx, w.l.t, w.l.transport, w.l.hc, w.l.fx.Web, w.s.Account, true); err == nil {
		w.s.RefreshToken, w.s.AccessToken = tk.RefreshToken, tk.AccessToken
	}
}

// run drives the server with the workers: a warm-up, then the measured
// window, which ends at the duration, at the request count, or when ctx
// ends, whichever comes first.
func (l *loader) run(ctx context.Context, b runBounds) *report {
	ctx, cancel := context.WithTimeout(ctx, b.Warmup+b.Duration+30*time.Second)
	defer cancel()
	var measuring atomic.Bool
	var started atomic.Int64
	stop := make(chan struct{})
	var stopOnce sync.Once
	halt := func() { stopOnce.Do(func() { close(stop) }) }
	recs := make([]recorder, b.Concurrency)
	var wg sync.WaitGroup
	for i := range b.Concurrency {
		recs[i] = recorder{}
		w := &worker{l: l, s: l.sessions[i%len(l.sessions)], rng: rand.New(rand.NewPCG(uint64(i), 7))}
		if b.Concurrency > len(l.sessions) {
			// Workers sharing a user must not share a refresh chain.
			s := *w.s
			w.s = &s
		}
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				case <-ctx.Done():
					return
				default:
				}
				name := w.pick()
				counted := measuring.Load()
				if counted && b.Requests > 0 && started.Add(1) > b.Requests {
					halt()
					return
				}
				t0 := time.Now()
				err := w.op(ctx, name)
				d := time.Since(t0)
				// Over a duration, an operation counts when it ends inside
				// the measured window, wherever it started: counting only
				// those that also started inside it would leave out about
				// one latency's worth of work at the start of the window,
				// which for a sign-in of several seconds under a queue is
				// half of a 10 s window. A request count bounds the
				// operations started, and counts those.
				if measuring.Load() && (b.Requests == 0 || counted) {
					recs[i].add(name, d, err)
				}
				if name == scRefresh && err != nil {
					w.recover(ctx)
				}
			}
		})
	}
	sleep(ctx, stop, b.Warmup)
	rep := &report{}
	sampler := newSampler(b.PID)
	measuring.Store(true)
	t0 := time.Now()
	sleep(ctx, stop, b.Duration)
	measuring.Store(false)
	elapsed := time.Since(t0)
	sampler.finish(rep, -1)
	halt()
	wg.Wait()
	rep.Elapsed = elapsed.Seconds()
	rep.fill(recs, elapsed)
	return rep
}

// sleep waits for d, or until stop closes or ctx ends.
func sleep(ctx context.Context, stop <-chan struct{}, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-stop:
	case <-ctx.Done():
	}
}

// sampler reads the server's and the tool's CPU time over the measured
// window, the machine's, and what every other process used, and samples
// the server's resident memory four times a second. The tool is this
// process, or the load generator it runs (wrk), named by setTool.
type sampler struct {
	pid             int
	tool            int
	cpu0, tool0     float64
	busy0, total0   float64
	procs0          map[int]float64
	rss0            int64
	peak            atomic.Int64
	done, finished  chan struct{}
	start           time.Time
	cpuErr, toolErr error
	machineErr      error
}

func newSampler(pid int) *sampler {
	s := &sampler{pid: pid, tool: selfPID(), done: make(chan struct{}), finished: make(chan struct{}), start: time.Now()}
	s.procs0 = allProcCPU()
	s.busy0, s.total0, s.machineErr = machineCPU()
	s.tool0, s.toolErr = procCPU(s.tool)
	if pid <= 0 {
		close(s.finished)
		return s
	}
	s.cpu0, s.cpuErr = procCPU(pid)
	s.rss0, _ = procRSS(pid)
	s.peak.Store(s.rss0)
	go func() {
		defer close(s.finished)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-t.C:
			}
			if rss, err := procRSS(pid); err == nil && rss > s.peak.Load() {
				s.peak.Store(rss)
			}
		}
	}()
	return s
}

// setTool names the process that generates the load when it is not this
// one; its CPU counts from its start.
func (s *sampler) setTool(pid int) {
	s.tool, s.tool0, s.toolErr = pid, 0, nil
}

// finish stops the sampling and writes the figures into rep. toolCPU, when
// not negative, is the tool's CPU seconds as measured by its parent (a
// child that has exited can no longer be read from /proc).
func (s *sampler) finish(rep *report, toolCPU float64) {
	wall := time.Since(s.start).Seconds()
	close(s.done)
	<-s.finished
	if wall <= 0 {
		return
	}
	switch {
	case toolCPU >= 0:
		rep.ToolCPUCores = toolCPU / wall
	case s.toolErr == nil:
		if cpu, err := procCPU(s.tool); err == nil {
			rep.ToolCPUCores = (cpu - s.tool0) / wall
		}
	}
	if busy, total, err := machineCPU(); err == nil && s.machineErr == nil && total > s.total0 {
		rep.MachineCPUs = runtime.NumCPU()
		rep.MachineBusy = (busy - s.busy0) / (total - s.total0)
	}
	rep.OtherCPUCores = otherCPU(s.procs0, allProcCPU(), s.pid, s.tool, selfPID()) / wall
	if s.pid <= 0 || s.cpuErr != nil {
		return
	}
	rep.ServerPID = s.pid
	if cpu, err := procCPU(s.pid); err == nil {
		rep.ServerCPUCores = (cpu - s.cpu0) / wall
	}
	rss, _ := procRSS(s.pid)
	rep.ServerRSSStartMiB = mib(s.rss0)
	rep.ServerRSSPeakMiB = mib(max(s.peak.Load(), rss))
	rep.ServerRSSEndMiB = mib(rss)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// report is what a run measured.
type report struct {
	Scenario          string            `json:"scenario"`
	Alg               string            `json:"alg"`
	Concurrency       int               `json:"concurrency"`
	Elapsed           float64           `json:"elapsed_seconds"`
	Total             scenarioReport    `json:"total"`
	Scenarios         []*scenarioReport `json:"scenarios"`
	ServerPID         int               `json:"server_pid,omitempty"`
	ServerCPUCores    float64           `json:"server_cpu_cores"`
	ServerRSSStartMiB float64           `json:"server_rss_start_mib"`
	ServerRSSPeakMiB  float64           `json:"server_rss_peak_mib"`
	ServerRSSEndMiB   float64           `json:"server_rss_end_mib"`
	ToolCPUCores      float64           `json:"tool_cpu_cores"`
	// MachineBusy is the share of the machine's CPU time (all CPUs) that
	// was busy, the kernel's included; OtherCPUCores what processes other
	// than the server and the load generator used: a figure taken while
	// it is not near zero was shared with other work.
	MachineCPUs   int     `json:"machine_cpus"`
	MachineBusy   float64 `json:"machine_busy"`
	OtherCPUCores float64 `json:"other_cpu_cores"`
}

// scenarioReport is the figures of one scenario (or of all).
type scenarioReport struct {
	Name      string           `json:"name"`
	OK        int64            `json:"ok"`
	Errors    int64            `json:"errors"`
	PerSecond float64          `json:"per_second"`
	P50       float64          `json:"p50_ms"`
	P95       float64          `json:"p95_ms"`
	P99       float64          `json:"p99_ms"`
	Max       float64          `json:"max_ms"`
	ByKind    map[string]int64 `json:"errors_by_kind,omitempty"`
}

// fill merges the workers' results.
func (r *report) fill(recs []recorder, elapsed time.Duration) {
	merged := map[string]*result{}
	all := &result{errors: map[string]int64{}}
	for _, rec := range recs {
		for name, res := range rec {
			m := merged[name]
			if m == nil {
				m = &result{errors: map[string]int64{}}
				merged[name] = m
			}
			m.latencies = append(m.latencies, res.latencies...)
			all.latencies = append(all.latencies, res.latencies...)
			for k, n := range res.errors {
				m.errors[k] += n
				all.errors[name+": "+k] += n
			}
		}
	}
	for _, name := range scenarioNames {
		if m := merged[name]; m != nil {
			r.Scenarios = append(r.Scenarios, summarize(name, m, elapsed))
		}
	}
	r.Total = *summarize("total", all, elapsed)
}

func summarize(name string, res *result, elapsed time.Duration) *scenarioReport {
	slices.Sort(res.latencies)
	s := &scenarioReport{Name: name, OK: int64(len(res.latencies))}
	for _, n := range res.errors {
		s.Errors += n
	}
	if len(res.errors) > 0 {
		s.ByKind = res.errors
	}
	if sec := elapsed.Seconds(); sec > 0 {
		s.PerSecond = float64(s.OK) / sec
	}
	s.P50, s.P95, s.P99 = pct(res.latencies, 50), pct(res.latencies, 95), pct(res.latencies, 99)
	if n := len(res.latencies); n > 0 {
		s.Max = ms(res.latencies[n-1])
	}
	return s
}

// pct returns the p-th percentile of sorted latencies in milliseconds
// (nearest rank).
func pct(sorted []time.Duration, p int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return ms(sorted[min(max(i-1, 0), len(sorted)-1)])
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// print writes the report as a table.
func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "scenario %s, alg %s, %d workers, %.1fs measured\n\n", r.Scenario, r.Alg, r.Concurrency, r.Elapsed)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tok\terrors\treq/s\tp50 ms\tp95 ms\tp99 ms\tmax ms\t")
	rows := r.Scenarios
	if len(rows) > 1 {
		rows = append(slices.Clone(rows), &r.Total)
	}
	for _, s := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t\n", s.Name, s.OK, s.Errors, s.PerSecond, s.P50, s.P95, s.P99, s.Max)
	}
	tw.Flush()
	if len(r.Total.ByKind) > 0 {
		fmt.Fprintln(w, "\nerrors by kind:")
		kinds := make([]string, 0, len(r.Total.ByKind))
		for k := range r.Total.ByKind {
			kinds = append(kinds, k)
		}
		slices.Sort(kinds)
		for _, k := range kinds {
			fmt.Fprintf(w, "  %8d  %s\n", r.Total.ByKind[k], k)
		}
	}
	fmt.Fprintln(w)
	if r.ServerPID > 0 {
		fmt.Fprintf(w, "server pid %d: CPU %.2f cores; RSS %.1f MiB before, %.1f MiB peak, %.1f MiB after\n",
			r.ServerPID, r.ServerCPUCores, r.ServerRSSStartMiB, r.ServerRSSPeakMiB, r.ServerRSSEndMiB)
	}
	fmt.Fprintf(w, "load tool: CPU %.2f cores\n", r.ToolCPUCores)
	if r.MachineCPUs > 0 {
		fmt.Fprintf(w, "machine: %.0f%% of %d CPUs busy (kernel included); other processes %.2f cores\n",
			100*r.MachineBusy, r.MachineCPUs, r.OtherCPUCores)
	}
}
