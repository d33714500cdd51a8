package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
	"github.com/gatehouse-id/gatehouse/oauth"
)

func TestParseForm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		page       string
		wantAction string
		wantFields url.Values
		wantNames  []string
		wantErr    bool
	}{
		{
			name: "sign-in page",
			page: `<html><form method="get" action="/other"></form>
<form method="post" action="/login?x=1&amp;y=2" class="stack">
<input type="hidden" name="req" value="a&#43;b">
<input id="username" name="username" type="text" required maxlength="320" value="">
<input id="password" name="password" type="password" required>
<button type="submit" class="primary">Sign in</button>
</form>`,
			wantAction: "/login?x=1&y=2",
			wantFields: url.Values{"req": {"a+b"}},
			wantNames:  []string{"req", "username", "password"},
		},
		{
			name: "consent page",
			page: `<form method="post" action="/login/consent">
<input type="hidden" name="req" value="r1"><input type="hidden" name="csrf" value='q"q'>
<button type="submit" name="decision" value="deny">Deny</button>
<button type="submit" name="decision" value="allow">Allow</button></form>`,
			wantAction: "/login/consent",
			wantFields: url.Values{"req": {"r1"}, "csrf": {`q"q`}},
			wantNames:  []string{"req", "csrf", "decision"},
		},
		{name: "no form", page: `<p>hello</p>`, wantErr: true},
		{name: "unterminated", page: `<form method="post" action="/x"><input name="a"`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := parseForm(tt.page)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parseForm: got %+v, want an error", f)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseForm: %v", err)
			}
			if f.Action != tt.wantAction {
				t.Errorf("action: got %q, want %q", f.Action, tt.wantAction)
			}
			if got, want := f.Fields.Encode(), tt.wantFields.Encode(); got != want {
				t.Errorf("hidden fields: got %s, want %s", got, want)
			}
			for _, n := range tt.wantNames {
				if !f.Names[n] {
					t.Errorf("names: %q missing from %v", n, f.Names)
				}
			}
		})
	}
}

func TestNewPKCE(t *testing.T) {
	t.Parallel()
	p := newPKCE()
	if err := oauth.CheckVerifier(p.Verifier); err != nil {
		t.Fatalf("verifier %q: %v", p.Verifier, err)
	}
	sum := sha256.Sum256([]byte(p.Verifier))
	if got, want := p.Challenge, base64.RawURLEncoding.EncodeToString(sum[:]); got != want {
		t.Errorf("challenge: got %s, want %s", got, want)
	}
	if !oauth.VerifyS256(p.Verifier, p.Challenge) {
		t.Errorf("the server's check refuses the pair")
	}
	if q := newPKCE(); q.Verifier == p.Verifier {
		t.Errorf("two verifiers are equal")
	}
}

func TestParseTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url    string
		wantOK bool
	}{
		{"http://127.0.0.1:8080", true},
		{"http://127.0.0.1:8080/", true},
		{"http://127.1.2.3:80", true},
		{"http://[::1]:8080", true},
		{"https://127.0.0.1", true},
		{"http://localhost:8080", false},
		{"http://10.0.0.1:8080", false},
		{"http://192.168.1.1", false},
		{"http://example.com", false},
		{"http://0.0.0.0:8080", false},
		{"ftp://127.0.0.1", false},
		{"http://127.0.0.1:8080/oauth", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			_, err := parseTarget(tt.url)
			if (err == nil) != tt.wantOK {
				t.Errorf("parseTarget(%q): got error %v, want ok %v", tt.url, err, tt.wantOK)
			}
		})
	}
}

func TestParseMix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []weighted
		wantErr bool
	}{
		{in: "userinfo", want: []weighted{{"userinfo", 1}}},
		{in: "client_credentials:4,refresh:1", want: []weighted{{"client_credentials", 4}, {"refresh", 1}}},
		{in: "password", wantErr: true},
		{in: "refresh:0", wantErr: true},
		{in: "refresh,refresh", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := parseMix(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parseMix(%q): got %v, want an error", tt.in, got)
				}
				return
			}
			if err != nil || len(got) != len(tt.want) {
				t.Fatalf("parseMix(%q): got %v, %v; want %v", tt.in, got, err, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("parseMix(%q)[%d]: got %v, want %v", tt.in, i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestScenarios runs every scenario for a few requests against a real
// server, and the mix of all of them.
func TestScenarios(t *testing.T) {
	s := gatehousetest.MustRunServer(t)
	tg, err := parseTarget(s.URL)
	if err != nil {
		t.Fatalf("parseTarget: %v", err)
	}
	ctx := t.Context()
	const workers = 2
	cfg := &runConfig{Users: workers, Concurrency: workers, Alg: gatehouse.AlgES256, HashConcurrency: 1}
	l, err := prepare(ctx, tg, s.Store, cfg, nil)
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	pid := selfPID() // the test server runs in this process
	for _, sc := range append(scenarioNames, "client_credentials:2,code:1,refresh:1,userinfo:2,introspect:2,signin:1") {
		t.Run(sc, func(t *testing.T) {
			mix, err := parseMix(sc)
			if err != nil {
				t.Fatalf("parseMix: %v", err)
			}
			l.mix, l.total = mix, 0
			for _, m := range mix {
				l.total += m.weight
			}
			rep := l.run(ctx, runBounds{Concurrency: workers, Duration: time.Minute, Requests: 4, PID: pid})
			if rep.Total.Errors != 0 {
				t.Fatalf("errors: got %v, want none", rep.Total.ByKind)
			}
			if rep.Total.OK < 1 || rep.Total.OK > 4 {
				t.Errorf("operations: got %d, want 1..4", rep.Total.OK)
			}
			if rep.ServerRSSPeakMiB <= 0 {
				t.Errorf("server RSS: got %v MiB, want a reading", rep.ServerRSSPeakMiB)
			}
			var out bytes.Buffer
			rep.print(&out)
			if !strings.Contains(out.String(), "p99 ms") {
				t.Errorf("report without its table:\n%s", out.String())
			}
		})
	}
}

// TestRefreshReuseIsReported checks that a run reports a refused refresh
// token as an error of its kind rather than as a success.
func TestRefreshReuseIsReported(t *testing.T) {
	s := gatehousetest.MustRunServer(t)
	tg, _ := parseTarget(s.URL)
	ctx := t.Context()
	l, err := prepare(ctx, tg, s.Store, &runConfig{Users: 1, Concurrency: 1, Alg: gatehouse.AlgRS256, HashConcurrency: 1},
		[]weighted{{scRefresh, 1}})
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	spent := l.sessions[0].RefreshToken
	w := &worker{l: l, s: l.sessions[0]}
	if err := w.op(ctx, scRefresh); err != nil {
		t.Fatalf("first rotation: %v", err)
	}
	w.s.RefreshToken = spent
	err = w.op(ctx, scRefresh)
	if got := errorKind(err); got != "refresh: 400 invalid_grant" {
		t.Errorf("reused refresh token: got %q, want %q", got, "refresh: 400 invalid_grant")
	}
}

// TestPIDListening finds the test's own listening socket.
func TestPIDListening(t *testing.T) {
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		t.Skip("no /proc/net/tcp here")
	}
	s := gatehousetest.MustRunServer(t)
	tg, _ := parseTarget(s.URL)
	port := tg.base.Port()
	var p int
	for _, c := range port {
		p = p*10 + int(c-'0')
	}
	pid, err := pidListening(p)
	if err != nil {
		t.Fatalf("pidListening: %v", err)
	}
	if pid != selfPID() {
		t.Errorf("pid: got %d, want %d", pid, selfPID())
	}
}

// TestSeedSQLite seeds a small store and checks the rows through the
// store's own methods.
func TestSeedSQLite(t *testing.T) {
	s := gatehousetest.MustRunServer(t)
	db := s.Dir + "/gatehouse.db"
	var out bytes.Buffer
	if err := seedCommand(context.Background(), []string{"-database", db, "-users", "10", "-refresh-tokens", "30",
		"-expired", "0.5"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatalf("seed: %v", err)
	}
	tn, err := s.Store.GetTenantBySlug(t.Context(), "seed")
	if err != nil {
		t.Fatalf("seeded tenant: %v", err)
	}
	users, _, err := s.Store.ListUsers(t.Context(), tn.ID, gatehouse.ListOptions{Limit: 100})
	if err != nil || len(users) != 10 {
		t.Fatalf("seeded users: got %d, %v; want 10", len(users), err)
	}
	// Half the tokens expired an hour ago; the sweep finds them.
	res, err := s.Store.DeleteExpired(t.Context(), time.Now(), 1000)
	if err != nil {
		t.Fatalf("DeleteExpired: %v", err)
	}
	if res.RefreshTokens != 15 {
		t.Errorf("expired refresh tokens swept: got %d, want 15", res.RefreshTokens)
	}
	p := &seedPlan{run: "abcd"}
	if a, b := p.tokenHash(1), p.tokenHash(2); string(a) == string(b) || len(a) != 32 {
		t.Errorf("token hashes: got %x and %x, want distinct 32-byte values", a, b)
	}
}
