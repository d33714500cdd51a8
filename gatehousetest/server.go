package gatehousetest

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/admin"
	"github.com/gatehouse-id/gatehouse/app"
	"github.com/gatehouse-id/gatehouse/config"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/sqlite"
	"github.com/gatehouse-id/gatehouse/token"
)

// Clock is a settable time source shared by the server and the test.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time; pass it as a gatehouse.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Server is a running Gatehouse.
type Server struct {
	// URL is the platform issuer, http://127.0.0.1:port.
	URL   string
	App   *app.App
	Store gatehouse.Store
	Clock *Clock
	// Dir is the data directory (SQLite file, no key file: the master key
	// is generated in memory).
	Dir string
	// Log holds the server's log lines, for tests that check what is (not)
	// logged.
	Log *SyncBuffer
}

// Option changes the server MustRunServer starts.
type Option func(*options)

type options struct {
	wrapStore func(gatehouse.Store) gatehouse.Store
}

// WithStore has the server use wrap's answer in place of its SQLite store
// (a TextStore, say). Server.Store stays the SQLite store, for the test's
// own reads and writes.
func WithStore(wrap func(gatehouse.Store) gatehouse.Store) Option {
	return func(o *options) { o.wrapStore = wrap }
}

// MustRunServer starts a Gatehouse on 127.0.0.1 with SQLite in t.TempDir()
// and stops it when the test ends. The clock starts at the current time
// (truncated to the second) and moves only when the test moves it.
func MustRunServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	clock := NewClock(time.Now().UTC().Truncate(time.Second))
	now := clock.Now
	ctx := context.Background()
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	url := "http://" + ln.Addr().String()

	cfg := config.Default()
	cfg.Issuer = url
	cfg.Addr = ln.Addr().String()
	cfg.DataDir = dir
	cfg.Database = filepath.Join(dir, "gatehouse.db")
	// Longer than the 5 s after which the server drops connections a client
	// opened but never used, so an idle test client cannot fail shutdown.
	cfg.ShutdownTimeout = 10 * time.Second
	if err := cfg.Validate(); err != nil {
		ln.Close()
		t.Fatalf("config: %v", err)
	}

	st, err := sqlite.Open(ctx, cfg.DatabaseSource(), sqlite.Options{Clock: now})
	if err != nil {
		ln.Close()
		t.Fatalf("open store: %v", err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		ln.Close()
		st.Close()
		t.Fatalf("migrate: %v", err)
	}
	logBuf := &SyncBuffer{}
	log := slog.New(slog.NewJSONHandler(io.MultiWriter(logBuf, testLogWriter()), &slog.HandlerOptions{Level: slog.LevelDebug}))
	var served gatehouse.Store = st
	if o.wrapStore != nil {
		served = o.wrapStore(st)
	}
	a, err := app.New(ctx, app.Options{
		Config:          cfg,
		Store:           served,
		MasterKey:       newMasterKey(),
		Logger:          log,
		Clock:           now,
		HashConcurrency: 2,
	})
	if err != nil {
		ln.Close()
		st.Close()
		t.Fatalf("build app: %v", err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx, ln) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("server stopped with: %v", err)
		}
		st.Close()
	})
	s := &Server{URL: url, App: a, Store: st, Clock: clock, Dir: dir, Log: logBuf}
	s.waitReady(t)
	return s
}

func (s *Server) waitReady(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("server at %s did not become ready", s.URL)
}

func newMasterKey() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

// testLogWriter shows server logs only when asked, to keep test output
// readable: set GATEHOUSE_TEST_LOG=1.
func testLogWriter() io.Writer {
	if os.Getenv("GATEHOUSE_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}

// SyncBuffer is a bytes buffer safe for concurrent writes and reads.
type SyncBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// Actor is the audit actor of fixtures created by tests.
func Actor() admin.Actor { return admin.Actor{ID: "test"} }

// MustTenant creates a tenant with the given slug.
func (s *Server) MustTenant(t testing.TB, slug string) *gatehouse.Tenant {
	t.Helper()
	tn, err := s.App.Admin.CreateTenant(context.Background(), Actor(), admin.TenantInput{Slug: slug, Name: "Tenant " + slug})
	if err != nil {
		t.Fatalf("create tenant %s: %v", slug, err)
	}
	return tn
}

// MustUser creates a user with a password and roles.
func (s *Server) MustUser(t testing.TB, tenantID, username, password string, roles ...string) *gatehouse.User {
	t.Helper()
	u, err := s.App.Admin.CreateUser(context.Background(), Actor(), tenantID, admin.UserInput{
		Username: username, Email: username + "@example.com", EmailVerified: true,
		Name: "User " + username, Password: password, Roles: roles,
	})
	if err != nil {
		t.Fatalf("create user %s: %v", username, err)
	}
	return u
}

// Client is a registered client with the credential created with it.
type Client struct {
	*gatehouse.Client
	ClientID     string
	ClientSecret string // empty for a public client
}

// MustClient registers a client. modify fills in the fields the test
// needs; by default it is a confidential client with redirect URI
// http://127.0.0.1/callback and scopes openid profile email offline_access.
func (s *Server) MustClient(t testing.TB, tenantID string, modify func(*gatehouse.Client)) *Client {
	t.Helper()
	c := &gatehouse.Client{
		Name:         "Test App",
		RedirectURIs: []string{"http://127.0.0.1/callback"},
		Scopes:       []string{"openid", "profile", "email", "offline_access"},
	}
	if modify != nil {
		modify(c)
	}
	c, issued, err := s.App.Admin.CreateClient(context.Background(), Actor(), tenantID, c)
	if err != nil {
		t.Fatalf("create client: %v", err)
	}
	return &Client{Client: c, ClientID: issued.ClientID, ClientSecret: issued.Secret}
}

// MustAuditEvents returns the first 1000 events of a tenant's audit
// chain with one action (any action when action is ""), in chain order,
// once every event queued so far is written.
func (s *Server) MustAuditEvents(t testing.TB, tenantID, action string) []*gatehouse.AuditEvent {
	t.Helper()
	ctx := context.Background()
	if err := s.App.Audit.Flush(ctx); err != nil {
		t.Fatalf("write the queued audit events: %v", err)
	}
	evs, _, err := s.Store.ListAuditEvents(ctx, gatehouse.AuditFilter{TenantID: tenantID, Action: action, Limit: 1000})
	if err != nil {
		t.Fatalf("list audit events: %v", err)
	}
	return evs
}

// MustSession signs u in behind the pages' back, for an hour from the
// server's clock, and returns the session with its cookie value.
func (s *Server) MustSession(tb testing.TB, u *gatehouse.User) (*gatehouse.Session, string) {
	tb.Helper()
	value, hash := token.NewHandle()
	now := s.Clock.Now()
	sess := &gatehouse.Session{
		ID: secret.NewID(), TokenHash: hash, TenantID: u.TenantID, UserID: u.ID,
		AuthTime: now, AMR: []string{"pwd"}, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour),
	}
	if err := s.Store.CreateSession(context.Background(), sess); err != nil {
		tb.Fatalf("create session: %v", err)
	}
	return sess, value
}
