package postgres

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/storetest"
)

const dsnEnv = "GATEHOUSE_TEST_POSTGRES_DSN"

// testDSN returns the server to test against. Without one the test is
// skipped, except in CI, where a missing server must not pass unnoticed.
func testDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not set, and CI=true: the PostgreSQL store tests must run in CI", dsnEnv)
		}
		tb.Skipf("set %s to run the PostgreSQL store tests", dsnEnv)
	}
	return dsn
}

// newSchema creates an empty schema with a random name, dropped with
// everything in it when the test ends, and returns its name and a
// connection string whose connections use it.
func newSchema(tb testing.TB) (name, dsn string) {
	tb.Helper()
	base := testDSN(tb)
	b := make([]byte, 8)
	rand.Read(b)
	name = "gatehouse_test_" + hex.EncodeToString(b)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connect to %s: %v", dsnEnv, err)
	}
	defer admin.Close(ctx)
	if err := execExtended(ctx, admin, "CREATE SCHEMA "+pgx.Identifier{name}.Sanitize()); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("connect to drop schema %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if err := execExtended(ctx, c, "DROP SCHEMA "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name, withSearchPath(tb, base, name)
}

// withSearchPath adds search_path to a connection string. pgx passes
// parameters it does not know itself to the server in the startup
// message (ConnConfig.RuntimeParams), so every pooled connection uses the
// schema.
func withSearchPath(tb testing.TB, dsn, schema string) string {
	tb.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			tb.Fatalf("%s is not a URL: %v", dsnEnv, err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
}

// openStore opens a store on the schema without migrating it. It is
// closed when the test ends, before the schema is dropped.
func openStore(tb testing.TB, dsn string, opt Options) *Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, dsn, opt)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// newTestStore returns a migrated store on a fresh schema, with a small
// pool so that parallel tests stay within the server's connections.
func newTestStore(tb testing.TB) *Store {
	tb.Helper()
	schema, dsn := newSchema(tb)
	s := openStore(tb, dsn, Options{MaxConns: 4})
	if got := s.pool.Config().ConnConfig.RuntimeParams["search_path"]; got != schema {
		tb.Fatalf("pool search_path: got %q, want %q", got, schema)
	}
	if _, err := s.Migrate(context.Background()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return s
}

func wantCode(tb testing.TB, what string, err error, code string) {
	tb.Helper()
	if got := gatehouse.ErrorCode(err); got != code {
		tb.Fatalf("%s: got error %v (code %q), want code %q", what, err, got, code)
	}
}

// fixture is a tenant with one user and one client.
type fixture struct {
	tenant *gatehouse.Tenant
	user   *gatehouse.User
	client *gatehouse.Client
}

func newFixture(tb testing.TB, s *Store) fixture {
	tb.Helper()
	ctx := context.Background()
	slug := "t" + strings.ToLower(secret.NewID()[24:])
	f := fixture{
		tenant: &gatehouse.Tenant{Slug: slug, Name: "Tenant " + slug, Status: gatehouse.StatusActive},
	}
	if err := s.CreateTenant(ctx, f.tenant); err != nil {
		tb.Fatalf("CreateTenant: %v", err)
	}
	f.user = &gatehouse.User{TenantID: f.tenant.ID, Username: "ana", Email: "ana@example.com",
		Status: gatehouse.StatusActive, Roles: []string{"admin"}}
	if err := s.CreateUser(ctx, f.user); err != nil {
		tb.Fatalf("CreateUser: %v", err)
	}
	f.client = &gatehouse.Client{TenantID: f.tenant.ID, Name: "CRM", RedirectURIs: []string{"https://crm.example.com/cb"},
		Credentials: []gatehouse.ClientCredential{{ClientID: "crm-" + slug, SecretHash: secret.Hash("s3cret")}}}
	f.client.ApplyDefaults()
	if err := s.CreateClient(ctx, f.client); err != nil {
		tb.Fatalf("CreateClient: %v", err)
	}
	return f
}

func (f fixture) authCode(now time.Time) (string, *gatehouse.AuthCode) {
	value := secret.Token(32)
	return value, &gatehouse.AuthCode{
		Hash: secret.Hash(value), TenantID: f.tenant.ID, Client: f.client.ID, ClientID: f.client.Credentials[0].ClientID,
		UserID: f.user.ID, GrantID: secret.NewID(), RedirectURI: f.client.RedirectURIs[0],
		Scopes: []string{"openid"}, CreatedAt: now, ExpiresAt: now.Add(gatehouse.AuthCodeTTL),
	}
}

func (f fixture) grant(now time.Time) *gatehouse.Grant {
	return &gatehouse.Grant{TenantID: f.tenant.ID, Client: f.client.ID, UserID: f.user.ID,
		Scopes: []string{"openid", "offline_access"}, ExpiresAt: now.Add(gatehouse.DefaultRefreshAbsoluteTTL)}
}

func (f fixture) refreshToken(g *gatehouse.Grant, now time.Time) *gatehouse.RefreshToken {
	return &gatehouse.RefreshToken{Hash: secret.Hash(secret.Token(32)), TenantID: f.tenant.ID, GrantID: g.ID,
		Client: f.client.ID, UserID: f.user.ID, Scopes: g.Scopes, ExpiresAt: now.Add(gatehouse.DefaultRefreshIdleTTL)}
}

var testNow = time.Date(2030, 5, 6, 7, 8, 9, 123456000, time.UTC)

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	_, dsn := newSchema(t)
	s := openStore(t, dsn, Options{MaxConns: 2})
	ctx := context.Background()
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, m := range all {
		want = append(want, m.Version)
	}

	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatalf("first Migrate: %v", err)
	}
	if !slices.Equal(applied, want) {
		t.Errorf("first Migrate applied %v, want %v", applied, want)
	}
	applied, err = s.Migrate(ctx)
	if err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if len(applied) != 0 {
		t.Errorf("second Migrate applied %v, want nothing", applied)
	}
	rows, err := s.pool.Query(ctx, "SELECT version FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	recorded, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recorded, want) {
		t.Errorf("schema_migrations holds %v, want %v", recorded, want)
	}
}

// TestMigrateConcurrently starts several nodes on one empty schema at once:
// each migration must be applied exactly once and every node must succeed.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	_, dsn := newSchema(t)
	const nodes = 3
	stores := make([]*Store, nodes)
	for i := range stores {
		stores[i] = openStore(t, dsn, Options{MaxConns: 2})
	}
	results := make([][]string, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, s := range stores {
		wg.Go(func() {
			<-start
			results[i], errs[i] = s.Migrate(context.Background())
		})
	}
	close(start)
	wg.Wait()

	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for i := range nodes {
		if errs[i] != nil {
			t.Errorf("node %d: Migrate: %v", i, errs[i])
		}
		for _, v := range results[i] {
			count[v]++
		}
	}
	for _, m := range all {
		if count[m.Version] != 1 {
			t.Errorf("migration %s: applied %d times, want once", m.Version, count[m.Version])
		}
	}
}

func TestSplitStatements(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		sql     string
		want    []string
		wantErr bool
	}{
		{name: "two statements", sql: "CREATE TABLE a (x int);\nCREATE TABLE b (y int);\n",
			want: []string{"CREATE TABLE a (x int)", "CREATE TABLE b (y int)"}},
		{name: "no final semicolon", sql: "SELECT 1", want: []string{"SELECT 1"}},
		{name: "semicolon in a string", sql: "INSERT INTO t VALUES ('a;b');SELECT 2",
			want: []string{"INSERT INTO t VALUES ('a;b')", "SELECT 2"}},
		{name: "escaped quote in a string", sql: "SELECT 'it''s; fine'; SELECT 3",
			want: []string{"SELECT 'it''s; fine'", "SELECT 3"}},
		{name: "quoted identifier", sql: `CREATE TABLE "a;b" (x int); SELECT 4`,
			want: []string{`CREATE TABLE "a;b" (x int)`, "SELECT 4"}},
		{name: "line comment", sql: "-- one; two\nSELECT 5; -- trailing; comment\n",
			want: []string{"-- one; two\nSELECT 5"}},
		{name: "block comment", sql: "/* a; b */ SELECT 6; SELECT 7",
			want: []string{"/* a; b */ SELECT 6", "SELECT 7"}},
		{name: "dollar quoting", sql: "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql; SELECT 8",
			want: []string{"CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql", "SELECT 8"}},
		{name: "tagged dollar quoting", sql: "DO $body$ BEGIN PERFORM 1; END $body$; SELECT 9",
			want: []string{"DO $body$ BEGIN PERFORM 1; END $body$", "SELECT 9"}},
		{name: "positional parameter is not a dollar quote", sql: "SELECT $1; SELECT 10",
			want: []string{"SELECT $1", "SELECT 10"}},
		{name: "only comments", sql: "-- nothing here\n", want: nil},
		{name: "unterminated string", sql: "SELECT 'oops", wantErr: true},
		{name: "unterminated dollar quote", sql: "DO $$ BEGIN", wantErr: true},
		{name: "unterminated block comment", sql: "/* SELECT 1;", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := splitStatements(tt.sql)
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEmbeddedMigrations(t *testing.T) {
	t.Parallel()
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("got no embedded migrations, want at least one")
	}
	for _, m := range all {
		if len(m.Statements) == 0 {
			t.Errorf("migration %s: got no statements", m.Version)
		}
		for i, stmt := range m.Statements {
			if strings.Contains(stmt, "CONCURRENTLY") {
				t.Errorf("migration %s statement %d: CONCURRENTLY cannot run inside the migration's transaction", m.Version, i+1)
			}
		}
	}
}

func TestPoolSizes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		opt              Options
		wantMax, wantMin int32
	}{
		{name: "explicit", opt: Options{MaxConns: 10, MinConns: 3}, wantMax: 10, wantMin: 3},
		{name: "min capped by max", opt: Options{MaxConns: 1}, wantMax: 1, wantMin: 1},
		{name: "default min", opt: Options{MaxConns: 8}, wantMax: 8, wantMin: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gotMax, gotMin := poolSizes(tt.opt)
			if gotMax != tt.wantMax || gotMin != tt.wantMin {
				t.Errorf("got max %d min %d, want max %d min %d", gotMax, gotMin, tt.wantMax, tt.wantMin)
			}
		})
	}
	if gotMax, _ := poolSizes(Options{}); gotMax < 4 || gotMax > 32 {
		t.Errorf("default max: got %d, want between 4 and 32", gotMax)
	}
}

func TestPoolSizeFromConnectionString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		dsn              string
		opt              Options
		wantMax, wantMin int32
	}{
		{name: "URL", dsn: "postgres://u@db/gh?pool_max_conns=24&pool_min_conns=6", wantMax: 24, wantMin: 6},
		{name: "key=value", dsn: "host=db dbname=gh pool_max_conns=24", wantMax: 24, wantMin: 2},
		{name: "options win", dsn: "postgres://u@db/gh?pool_max_conns=24", opt: Options{MaxConns: 10}, wantMax: 10, wantMin: 2},
		{name: "min above max", dsn: "postgres://u@db/gh?pool_max_conns=3&pool_min_conns=5", wantMax: 3, wantMin: 3},
		{name: "a database named like the parameter", dsn: "postgres://u@db/pool_max_conns", opt: Options{MaxConns: 9}, wantMax: 9, wantMin: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := pgxpool.ParseConfig(tt.dsn)
			if err != nil {
				t.Fatal(err)
			}
			gotMax, gotMin := poolSizes(withDSNPool(tt.opt, tt.dsn, cfg))
			if gotMax != tt.wantMax || gotMin != tt.wantMin {
				t.Errorf("got max %d min %d, want max %d min %d", gotMax, gotMin, tt.wantMax, tt.wantMin)
			}
		})
	}
	// Without either parameter the defaults apply, not pgx's.
	cfg, err := pgxpool.ParseConfig("postgres://u@db/gh")
	if err != nil {
		t.Fatal(err)
	}
	if gotMax, gotMin := poolSizes(withDSNPool(Options{}, "postgres://u@db/gh", cfg)); gotMax < 4 || gotMin != 2 {
		t.Errorf("defaults: got max %d min %d, want at least 4 and 2", gotMax, gotMin)
	}
}

func TestOpenRefusesBadConnectionStrings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		dsn      string
		wantCode string
	}{
		{name: "simple protocol", dsn: "postgres://u:pw@127.0.0.1:1/db?default_query_exec_mode=simple_protocol",
			wantCode: gatehouse.EINVALID},
		{name: "malformed", dsn: "postgres://u:pw@127.0.0.1:1/db?sslmode=sometimes", wantCode: gatehouse.EINVALID},
		// Port 1 on the loopback address refuses at once.
		{name: "unreachable", dsn: "postgres://u:pw@127.0.0.1:1/db?connect_timeout=2", wantCode: gatehouse.EUNAVAILABLE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := Open(context.Background(), tt.dsn, Options{})
			if err == nil {
				s.Close()
			}
			wantCode(t, "Open", err, tt.wantCode)
			if msg := gatehouse.ErrorMessage(err); strings.Contains(msg, "pw") {
				t.Errorf("message %q shows the password", msg)
			}
		})
	}
}

func TestDBError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		err      error
		wantCode string
		wantMsg  string
	}{
		{name: "unique", err: &pgconn.PgError{Code: "23505", ConstraintName: "tenants_slug_key",
			Message: `duplicate key value violates unique constraint "tenants_slug_key"`},
			wantCode: gatehouse.ECONFLICT, wantMsg: "the tenant slug is taken"},
		{name: "unknown unique", err: &pgconn.PgError{Code: "23505", ConstraintName: "other_key"},
			wantCode: gatehouse.ECONFLICT, wantMsg: "the value is taken"},
		{name: "missing tenant", err: &pgconn.PgError{Code: "23503", ConstraintName: "users_tenant_fkey"},
			wantCode: gatehouse.ENOTFOUND, wantMsg: "tenant not found"},
		{name: "missing credential", err: &pgconn.PgError{Code: "23503", ConstraintName: "grants_credential_fkey"},
			wantCode: gatehouse.ENOTFOUND, wantMsg: "JWT credential not found"},
		{name: "serialization", err: &pgconn.PgError{Code: "40001"}, wantCode: gatehouse.ECONFLICT,
			wantMsg: "the change collided with a concurrent one; try again"},
		{name: "nul byte", err: &pgconn.PgError{Code: "22021"}, wantCode: gatehouse.EINVALID,
			wantMsg: "a value cannot be stored"},
		{name: "shutdown", err: &pgconn.PgError{Code: "57P01"}, wantCode: gatehouse.EUNAVAILABLE,
			wantMsg: "the database is unavailable"},
		{name: "syntax", err: &pgconn.PgError{Code: "42601", Message: "syntax error at or near SELEC"},
			wantCode: gatehouse.EINTERNAL, wantMsg: "internal error"},
		{name: "domain error passes", err: gatehouse.Errorf(gatehouse.EUSED, "used"),
			wantCode: gatehouse.EUSED, wantMsg: "used"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := dbError("op", tt.err)
			if got := gatehouse.ErrorCode(err); got != tt.wantCode {
				t.Errorf("code: got %q, want %q", got, tt.wantCode)
			}
			if got := gatehouse.ErrorMessage(err); got != tt.wantMsg {
				t.Errorf("message: got %q, want %q", got, tt.wantMsg)
			}
		})
	}
	if err := dbError("op", nil); err != nil {
		t.Errorf("dbError(nil): got %v, want nil", err)
	}
}

// TestErrorsFromTheServer checks the mapping on real failures and that no
// domain error carries SQL or server text.
func TestErrorsFromTheServer(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	f := newFixture(t, s)

	dup := &gatehouse.Tenant{Slug: f.tenant.Slug, Name: "Copy", Status: gatehouse.StatusActive}
	err := s.CreateTenant(ctx, dup)
	wantCode(t, "CreateTenant with a taken slug", err, gatehouse.ECONFLICT)
	checkSafe(t, err)

	orphan := &gatehouse.User{TenantID: secret.NewID(), Username: "bo", Status: gatehouse.StatusActive}
	err = s.CreateUser(ctx, orphan)
	wantCode(t, "CreateUser in a missing tenant", err, gatehouse.ENOTFOUND)
	checkSafe(t, err)

	nul := &gatehouse.User{TenantID: f.tenant.ID, Username: "nul\x00byte", Status: gatehouse.StatusActive}
	err = s.CreateUser(ctx, nul)
	wantCode(t, "CreateUser with a NUL byte", err, gatehouse.EINVALID)
	if msg := gatehouse.ErrorMessage(err); strings.Contains(msg, "0x00") || strings.Contains(msg, "SQLSTATE") {
		t.Errorf("message %q quotes the server", msg)
	}

	stale := *f.user
	stale.Revision = 99
	wantCode(t, "UpdateUser with a stale revision", s.UpdateUser(ctx, &stale), gatehouse.ECONFLICT)
}

func checkSafe(t *testing.T, err error) {
	t.Helper()
	for _, leak := range []string{"SQLSTATE", "violates", "constraint", "INSERT", "duplicate key"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("error %q contains %q", err.Error(), leak)
		}
	}
}

func TestTimesComeBackInUTC(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	f := newFixture(t, s)
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	at := time.Date(2030, 1, 2, 3, 4, 5, 678901234, zone)

	sess := &gatehouse.Session{TokenHash: secret.Hash("cookie"), TenantID: f.tenant.ID, UserID: f.user.ID,
		AuthTime: at, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	if err := s.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetSession(ctx, f.tenant.ID, sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := at.Truncate(time.Microsecond).UTC()
	for name, v := range map[string]time.Time{"AuthTime": got.AuthTime, "CreatedAt": got.CreatedAt} {
		if v.Location() != time.UTC || !v.Equal(want) {
			t.Errorf("%s: got %v, want %v", name, v, want)
		}
	}
	if !got.LastSeenAt.IsZero() || !got.RevokedAt.IsZero() {
		t.Errorf("unset times: got LastSeenAt %v, RevokedAt %v, want zero", got.LastSeenAt, got.RevokedAt)
	}
	if sess.AuthTime != want {
		t.Errorf("argument AuthTime: got %v, want it normalized to %v", sess.AuthTime, want)
	}
}

// TestRedeemAuthCodeOnce races redemptions of one code through two stores,
// as two nodes would: exactly one issues, the others see EUSED with the
// code.
func TestRedeemAuthCodeOnce(t *testing.T) {
	t.Parallel()
	_, dsn := newSchema(t)
	nodeA := openStore(t, dsn, Options{MaxConns: 4})
	if _, err := nodeA.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	nodeB := openStore(t, dsn, Options{MaxConns: 4})
	ctx := context.Background()
	f := newFixture(t, nodeA)
	_, code := f.authCode(testNow)
	if err := nodeA.CreateAuthCode(ctx, code); err != nil {
		t.Fatal(err)
	}

	const callers = 8
	var issued atomic.Int32
	errs := make([]error, callers)
	got := make([]*gatehouse.AuthCode, callers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range callers {
		node := nodeA
		if i%2 == 1 {
			node = nodeB
		}
		wg.Go(func() {
			<-start
			got[i], errs[i] = node.RedeemAuthCode(ctx, code.Hash, testNow.Add(time.Second),
				func(c *gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error) {
					issued.Add(1)
					g := f.grant(testNow)
					g.ID = c.GrantID
					return g, f.refreshToken(g, testNow), nil
				})
		})
	}
	close(start)
	wg.Wait()

	wins := 0
	for i, err := range errs {
		switch gatehouse.ErrorCode(err) {
		case "":
			wins++
			if got[i] == nil || got[i].UsedAt.IsZero() {
				t.Errorf("caller %d won but got code %+v, want it marked used", i, got[i])
			}
		case gatehouse.EUSED:
			if got[i] == nil || got[i].GrantID != code.GrantID {
				t.Errorf("caller %d: EUSED without the code (got %+v)", i, got[i])
			}
		default:
			t.Errorf("caller %d: got %v, want success or EUSED", i, err)
		}
	}
	if wins != 1 || issued.Load() != 1 {
		t.Errorf("got %d winners and %d issue calls, want exactly 1 of each", wins, issued.Load())
	}
	if _, err := nodeB.GetGrant(ctx, f.tenant.ID, code.GrantID); err != nil {
		t.Errorf("the winner's grant: %v", err)
	}
}

// TestRotateRefreshTokenOnce races rotations of one token through two
// stores: exactly one claim wins and only its new token is stored. issue
// may run for callers that then lose, but what it returned is not stored.
func TestRotateRefreshTokenOnce(t *testing.T) {
	t.Parallel()
	_, dsn := newSchema(t)
	nodeA := openStore(t, dsn, Options{MaxConns: 4})
	if _, err := nodeA.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	nodeB := openStore(t, dsn, Options{MaxConns: 4})
	ctx := context.Background()
	f := newFixture(t, nodeA)
	g := f.grant(testNow)
	if err := nodeA.CreateGrant(ctx, g); err != nil {
		t.Fatal(err)
	}
	old := f.refreshToken(g, testNow)
	if err := nodeA.CreateRefreshToken(ctx, old); err != nil {
		t.Fatal(err)
	}

	const callers = 8
	nexts := make([]*gatehouse.RefreshToken, callers)
	for i := range nexts {
		nexts[i] = f.refreshToken(g, testNow.Add(time.Minute))
	}
	errs := make([]error, callers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range callers {
		node := nodeA
		if i%2 == 1 {
			node = nodeB
		}
		wg.Go(func() {
			<-start
			_, errs[i] = node.RotateRefreshToken(ctx, old.Hash, testNow.Add(time.Minute),
				func(*gatehouse.RefreshToken) (*gatehouse.RefreshToken, error) { return nexts[i], nil })
		})
	}
	close(start)
	wg.Wait()

	winner := storetest.SoleWinner(t, "RotateRefreshToken on two nodes", errs, gatehouse.EUSED)
	var n int
	if err := nodeA.pool.QueryRow(ctx, "SELECT count(*) FROM refresh_tokens WHERE grant_id = $1", g.ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("refresh tokens of the grant: got %d, want 2 (the old and the one new)", n)
	}
	if _, err := nodeB.GetRefreshToken(ctx, nexts[winner].Hash); err != nil {
		t.Errorf("the winner's token: %v", err)
	}
}

// TestIssueFailureChangesNothing checks that a failing callback leaves the
// code and the token spendable.
func TestIssueFailureChangesNothing(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	f := newFixture(t, s)
	refused := errors.New("refused")

	_, code := f.authCode(testNow)
	if err := s.CreateAuthCode(ctx, code); err != nil {
		t.Fatal(err)
	}
	_, err := s.RedeemAuthCode(ctx, code.Hash, testNow, func(*gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error) {
		return nil, nil, refused
	})
	if err != refused {
		t.Fatalf("RedeemAuthCode with a failing issue: got %v, want the callback's error", err)
	}
	if _, err := s.RedeemAuthCode(ctx, code.Hash, testNow, func(*gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error) {
		return nil, nil, nil
	}); err != nil {
		t.Fatalf("RedeemAuthCode after a failed issue: got %v, want success", err)
	}

	g := f.grant(testNow)
	if err := s.CreateGrant(ctx, g); err != nil {
		t.Fatal(err)
	}
	rt := f.refreshToken(g, testNow)
	if err := s.CreateRefreshToken(ctx, rt); err != nil {
		t.Fatal(err)
	}
	// A token whose grant does not exist fails the insert after the
	// UPDATE: the rotation must roll back.
	_, err = s.RotateRefreshToken(ctx, rt.Hash, testNow, func(o *gatehouse.RefreshToken) (*gatehouse.RefreshToken, error) {
		n := f.refreshToken(g, testNow)
		n.GrantID = secret.NewID()
		return n, nil
	})
	wantCode(t, "RotateRefreshToken storing a token of a missing grant", err, gatehouse.ENOTFOUND)
	got, err := s.GetRefreshToken(ctx, rt.Hash)
	if err != nil {
		t.Fatal(err)
	}
	if !got.RotatedAt.IsZero() {
		t.Errorf("RotatedAt after a failed rotation: got %v, want zero", got.RotatedAt)
	}
}

// traceWriter collects a protocol trace from every connection of a pool.
type traceWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *traceWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// simpleQueries returns the text of every simple-protocol Query message
// the frontend sent.
func (w *traceWriter) simpleQueries() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(w.buf.Bytes()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fields := strings.SplitN(sc.Text(), "\t", 4)
		if len(fields) == 4 && fields[0] == "F" && fields[1] == "Query" {
			out = append(out, strings.Trim(strings.TrimSpace(fields[3]), `"`))
		}
	}
	return out
}

// parses counts the Parse messages the frontend sent whose SQL text
// starts with prefix.
func (w *traceWriter) parses(prefix string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(w.buf.Bytes()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		// F, Parse, length, then the statement name and the SQL text,
		// each double-quoted; the SQL's own lines follow on lines of
		// their own.
		fields := strings.SplitN(sc.Text(), "\t", 4)
		if len(fields) == 4 && fields[0] == "F" && fields[1] == "Parse" {
			if _, sql, ok := strings.Cut(fields[3], `" "`); ok && strings.HasPrefix(sql, prefix) {
				n++
			}
		}
	}
	return n
}

// TestAuditInsertParsedOnce appends audit events in several transactions
// over one connection and checks that no append pays per event: the
// chain's head is read with a statement the server parsed once (pgx keeps
// it prepared per connection), and each batch's rows go in with one COPY,
// never an INSERT per event.
func TestAuditInsertParsedOnce(t *testing.T) {
	t.Parallel()
	_, dsn := newSchema(t)
	trace := &traceWriter{}
	s := openStore(t, dsn, Options{MaxConns: 1, afterConnect: func(_ context.Context, c *pgx.Conn) error {
		c.PgConn().Frontend().Trace(trace, pgproto3.TracerOptions{SuppressTimestamps: true})
		return nil
	}})
	ctx := context.Background()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const batches, perBatch = 3, 4
	seq := int64(0)
	for range batches {
		var events []*gatehouse.AuditEvent
		for range perBatch {
			seq++
			events = append(events, &gatehouse.AuditEvent{Seq: seq, Time: testNow, Actor: "system",
				Action: "token.issue", Result: gatehouse.ResultSuccess})
		}
		if err := s.AppendAuditEvents(ctx, events); err != nil {
			t.Fatalf("AppendAuditEvents: %v", err)
		}
	}
	if head, err := s.LastAuditEvent(ctx, ""); err != nil || head.Seq != seq {
		t.Fatalf("LastAuditEvent: got %v, %v; want the event at %d", head, err, seq)
	}
	if got := trace.parses("SELECT coalesce(max(seq), 0) FROM audit_events"); got != 1 {
		t.Errorf("Parse messages of the chain head query for %d batches: got %d, want 1", batches, got)
	}
	if got := trace.parses("INSERT INTO audit_events"); got != 0 {
		t.Errorf("Parse messages of an audit INSERT: got %d, want none (COPY)", got)
	}
	copies := 0
	for _, q := range trace.simpleQueries() {
		if strings.HasPrefix(q, `copy "audit_events"`) || strings.HasPrefix(q, `COPY "audit_events"`) {
			copies++
		}
	}
	if copies != batches {
		t.Errorf("COPY statements for %d batches: got %d, want %d", batches, copies, batches)
	}
}

// TestValuesTravelAsParameters runs a request's worth of operations with
// the wire traced and checks that none of our statements went over the
// simple protocol: only pgx's own transaction control does.
func TestValuesTravelAsParameters(t *testing.T) {
	t.Parallel()
	_, dsn := newSchema(t)
	trace := &traceWriter{}
	s := openStore(t, dsn, Options{MaxConns: 2, afterConnect: func(_ context.Context, c *pgx.Conn) error {
		c.PgConn().Frontend().Trace(trace, pgproto3.TracerOptions{SuppressTimestamps: true})
		return nil
	}})
	ctx := context.Background()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, s)
	_, code := f.authCode(testNow)
	if err := s.CreateAuthCode(ctx, code); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RedeemAuthCode(ctx, code.Hash, testNow, func(c *gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error) {
		g := f.grant(testNow)
		g.ID = c.GrantID
		return g, f.refreshToken(g, testNow), nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetClientByClientID(ctx, f.client.Credentials[0].ClientID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AccessTokenRevoked(ctx, "jti", code.GrantID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuditTenants(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}

	queries := trace.simpleQueries()
	allowed := []string{"begin", "commit", "rollback", "-- ping"}
	for _, q := range queries {
		if !slices.Contains(allowed, strings.ToLower(q)) {
			t.Errorf("simple-protocol Query message %q, want only %v", q, allowed)
		}
	}
	if !slices.Contains(queries, "begin") {
		t.Errorf("trace has no transaction (%d Query messages): the trace hook did not run", len(queries))
	}
}

// TestParentNames checks the constraint-name convention the ENOTFOUND
// messages rely on against the schema itself.
func TestParentNames(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	rows, err := s.pool.Query(context.Background(), `SELECT conname FROM pg_constraint
		WHERE contype = 'f' AND connamespace = current_schema()::regnamespace`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("got no foreign keys in the schema")
	}
	for _, n := range names {
		if got := parentName(n); got == "parent row" {
			t.Errorf("foreign key %s: no parent name for its message", n)
		}
	}
	rows, err = s.pool.Query(context.Background(), `SELECT c.relname FROM pg_index i
		JOIN pg_class c ON c.oid = i.indexrelid
		WHERE i.indisunique AND c.relnamespace = current_schema()::regnamespace AND c.relname NOT LIKE '%\_seq\_idx'
		AND c.relname NOT LIKE '%\_tenant\_id\_key' AND c.relname <> 'schema_migrations_pkey'`)
	if err != nil {
		t.Fatal(err)
	}
	uniques, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	// Rows of these tables are written with ON CONFLICT: they never
	// report a conflict.
	upserted := []string{"user_roles_pkey", "consents_pkey", "revoked_tokens_pkey"}
	for _, n := range uniques {
		if _, ok := uniqueMessage(n); !ok && !slices.Contains(upserted, n) {
			t.Errorf("unique index %s: no message for its conflicts", n)
		}
	}
}

func ExampleOpen() {
	ctx := context.Background()
	s, err := Open(ctx, "postgres://gatehouse@db.internal:5432/gatehouse?sslmode=verify-full", Options{})
	if err != nil {
		fmt.Println(gatehouse.ErrorCode(err))
		return
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		fmt.Println(gatehouse.ErrorCode(err))
	}
}
