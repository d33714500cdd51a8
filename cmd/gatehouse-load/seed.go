package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the driver behind the SQLite seed

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// The seed command fills a store with rows the way years of use would:
// users, one grant per user for a web client, and refresh tokens in
// rotation chains (each grant's older tokens rotated, its newest live).
// It writes straight into the tables with bulk inserts, which is much
// faster than the store's one-row methods and good enough for data no
// request will authenticate with: every user shares one password hash,
// and the refresh tokens' values are thrown away (only their hashes are
// stored). A share of the tokens is expired already, for the background
// sweep to find.

// seedConfig is a parsed command line of the seed command.
type seedConfig struct {
	Database      string
	Users         int
	RefreshTokens int
	ExpiredShare  float64
	Tenant        string
}

func parseSeedFlags(args []string, stderr io.Writer) (*seedConfig, error) {
	fs := flag.NewFlagSet("gatehouse-load seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &seedConfig{}
	fs.StringVar(&c.Database, "database", "", "SQLite `file` or PostgreSQL URL of a migrated store")
	fs.IntVar(&c.Users, "users", 1000000, "users to insert")
	fs.IntVar(&c.RefreshTokens, "refresh-tokens", 5000000, "refresh tokens to insert, spread over one grant per user")
	fs.Float64Var(&c.ExpiredShare, "expired", 0.2, "share of the refresh tokens (and their grants) already expired")
	fs.StringVar(&c.Tenant, "tenant", "seed", "slug of the tenant that receives the rows (created when missing)")
	if err := fs.Parse(args); err != nil {
		return nil, errUsage
	}
	switch {
	case c.Database == "":
		return nil, errors.New("-database is required")
	case c.Users < 1 || c.Users > 50_000_000:
		return nil, errors.New("-users must be 1..50000000")
	case c.RefreshTokens < 0 || c.RefreshTokens > 200_000_000:
		return nil, errors.New("-refresh-tokens must be 0..200000000")
	case c.ExpiredShare < 0 || c.ExpiredShare > 1:
		return nil, errors.New("-expired must be 0..1")
	}
	return c, nil
}

// seedCommand creates the tenant and client through the store, then bulk
// inserts the rest.
func seedCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseSeedFlags(args, stderr)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, c.Database)
	if err != nil {
		return err
	}
	tn, err := st.GetTenantBySlug(ctx, c.Tenant)
	if gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		tn = &gatehouse.Tenant{Slug: c.Tenant, Name: "Seeded"}
		tn.Normalize()
		err = st.CreateTenant(ctx, tn)
	}
	if err != nil {
		st.Close()
		return fmt.Errorf("tenant: %w", err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	web, err := createClient(ctx, st, tn.ID, now, &gatehouse.Client{
		Name:         "Seeded web app",
		RedirectURIs: []string{redirectURI},
		Scopes:       []string{"email", "offline_access", "openid", "profile"},
		GrantTypes:   []string{gatehouse.GrantAuthorizationCode, gatehouse.GrantRefreshToken},
	})
	if err != nil {
		st.Close()
		return err
	}
	cl, err := st.GetClientByClientID(ctx, web.ClientID)
	st.Close()
	if err != nil {
		return err
	}
	hash, err := secret.NewHasher(secret.OWASPArgon2, 1).Hash(ctx, secret.Token(18))
	if err != nil {
		return err
	}
	p := seedPlan{tenantID: tn.ID, client: cl.ID, hash: hash, users: c.Users, tokens: c.RefreshTokens,
		expired: int(float64(c.RefreshTokens) * c.ExpiredShare), now: now, run: secret.Token(4)}
	start := time.Now()
	if isPostgres(c.Database) {
		err = p.postgres(ctx, c.Database, stderr)
	} else {
		err = p.sqlite(ctx, strings.TrimPrefix(c.Database, "sqlite:"), stderr)
	}
	if err != nil {
		return err
	}
	d := time.Since(start)
	rows := p.users*2 + p.tokens
	fmt.Fprintf(stdout, "seeded tenant %s: %d users, %d grants, %d refresh tokens (%d expired) in %v (%.0f rows/s)\n",
		c.Tenant, p.users, p.users, p.tokens, p.expired, d.Round(time.Second), float64(rows)/d.Seconds())
	return nil
}

// seedPlan says what rows to write.
type seedPlan struct {
	tenantID, client, hash string
	users, tokens, expired int
	now                    time.Time
	// run makes this seed's ids and usernames distinct from an earlier
	// seed's in the same tenant.
	run string
}

func (p *seedPlan) userID(i int) string  { return fmt.Sprintf("%s-u-%09d", p.run, i) }
func (p *seedPlan) grantID(i int) string { return fmt.Sprintf("%s-g-%09d", p.run, i) }

// tokenHash is a distinct 32-byte value per token, standing for the
// SHA-256 of a value nobody holds.
func (p *seedPlan) tokenHash(i int) []byte {
	var b [40]byte
	copy(b[:], p.run)
	binary.BigEndian.PutUint64(b[8:], uint64(i))
	sum := sha256.Sum256(b[:])
	return sum[:]
}

// token describes refresh token i: its grant (tokens go round-robin over
// the grants, so each grant gets a chain), whether it is rotated (all but
// the newest of its grant) and its expiry (the first `expired` tokens are
// past theirs).
func (p *seedPlan) token(i int) (grant int, rotated bool, expires time.Time) {
	grant = i % p.users
	rotated = i+p.users < p.tokens
	expires = p.now.Add(30 * 24 * time.Hour)
	if i < p.expired {
		expires = p.now.Add(-time.Hour)
	}
	return grant, rotated, expires
}

// grantExpiry is grant i's end: the grants whose tokens are all expired
// ended too (long enough ago for the sweep to take them).
func (p *seedPlan) grantExpiry(i int) time.Time {
	if p.expired >= p.tokens && p.tokens > 0 {
		return p.now.Add(-gatehouse.MaxAccessTokenTTL - time.Hour)
	}
	return p.now.Add(90 * 24 * time.Hour)
}

// sqliteBatch is how many rows one SQLite transaction inserts.
const sqliteBatch = 50000

// sqlite inserts the rows with prepared statements in large transactions,
// with the driver's pragmas for a bulk load.
func (p *seedPlan) sqlite(ctx context.Context, path string, progress io.Writer) error {
	// A large page cache: refresh tokens are keyed by a random hash, so
	// their inserts land all over the table's B-tree.
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"+
		"&_pragma=synchronous(OFF)&_pragma=cache_size(-1048576)&_txlock=immediate")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	now := p.now.UnixMicro()
	insertBatches := func(what string, n int, query string, args func(i int) []any) error {
		for start := 0; start < n; start += sqliteBatch {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			st, err := tx.PrepareContext(ctx, query)
			if err != nil {
				tx.Rollback()
				return err
			}
			for i := start; i < min(start+sqliteBatch, n); i++ {
				if _, err := st.ExecContext(ctx, args(i)...); err != nil {
					tx.Rollback()
					return fmt.Errorf("insert %s %d: %w", what, i, err)
				}
			}
			st.Close()
			if err := tx.Commit(); err != nil {
				return err
			}
			fmt.Fprintf(progress, "\r%s: %d/%d", what, min(start+sqliteBatch, n), n)
		}
		fmt.Fprintln(progress)
		return nil
	}
	if err := insertBatches("users", p.users, `INSERT INTO users (id, tenant_id, username, email, email_verified,
		name, picture, password_hash, status, created_at, updated_at, revision)
		VALUES (?, ?, ?, ?, 1, ?, '', ?, 'active', ?, ?, 1)`, func(i int) []any {
		name := fmt.Sprintf("seed-%s-%d", p.run, i)
		return []any{p.userID(i), p.tenantID, name, name + "@example.com", name, p.hash, now, now}
	}); err != nil {
		return err
	}
	if err := insertBatches("grants", p.users, `INSERT INTO grants (id, tenant_id, client, user_id, scopes,
		session_id, created_at, expires_at) VALUES (?, ?, ?, ?, '["openid","offline_access"]', '', ?, ?)`,
		func(i int) []any {
			return []any{p.grantID(i), p.tenantID, p.client, p.userID(i), now, p.grantExpiry(i).UnixMicro()}
		}); err != nil {
		return err
	}
	return insertBatches("refresh tokens", p.tokens, `INSERT INTO refresh_tokens (hash, tenant_id, grant_id,
		client, user_id, scopes, session_id, auth_time, amr, acr, created_at, expires_at, rotated_at)
		VALUES (?, ?, ?, ?, ?, '["openid","offline_access"]', '', ?, '["pwd"]', '', ?, ?, ?)`, func(i int) []any {
		g, rotated, exp := p.token(i)
		var rot any
		if rotated {
			rot = now
		}
		return []any{p.tokenHash(i), p.tenantID, p.grantID(g), p.client, p.userID(g), now, now, exp.UnixMicro(), rot}
	})
}

// postgres copies the rows in with COPY, one table at a time.
func (p *seedPlan) postgres(ctx context.Context, dsn string, progress io.Writer) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	scopes := []string{"openid", "offline_access"}
	copyRows := func(what string, table string, cols []string, n int, row func(i int) []any) error {
		i := 0
		src := pgx.CopyFromFunc(func() ([]any, error) {
			if i >= n {
				return nil, nil
			}
			r := row(i)
			i++
			if i%100000 == 0 {
				fmt.Fprintf(progress, "\r%s: %d/%d", what, i, n)
			}
			return r, nil
		})
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{table}, cols, src); err != nil {
			return fmt.Errorf("copy %s: %w", what, err)
		}
		fmt.Fprintf(progress, "\r%s: %d/%d\n", what, n, n)
		return nil
	}
	if err := copyRows("users", "users", []string{"id", "tenant_id", "username", "email", "email_verified", "name",
		"password_hash", "status", "created_at", "updated_at", "revision"}, p.users, func(i int) []any {
		name := fmt.Sprintf("seed-%s-%d", p.run, i)
		return []any{p.userID(i), p.tenantID, name, name + "@example.com", true, name, p.hash, "active",
			p.now, p.now, int64(1)}
	}); err != nil {
		return err
	}
	if err := copyRows("grants", "grants", []string{"id", "tenant_id", "client", "user_id", "scopes", "created_at",
		"expires_at"}, p.users, func(i int) []any {
		return []any{p.grantID(i), p.tenantID, p.client, p.userID(i), scopes, p.now, p.grantExpiry(i)}
	}); err != nil {
		return err
	}
	if err := copyRows("refresh tokens", "refresh_tokens", []string{"hash", "tenant_id", "grant_id", "client",
		"user_id", "scopes", "auth_time", "amr", "created_at", "expires_at", "rotated_at"}, p.tokens, func(i int) []any {
		g, rotated, exp := p.token(i)
		var rot *time.Time
		if rotated {
			rot = &p.now
		}
		return []any{p.tokenHash(i), p.tenantID, p.grantID(g), p.client, p.userID(g), scopes, p.now,
			[]string{"pwd"}, p.now, exp, rot}
	}); err != nil {
		return err
	}
	// Fresh statistics, so that the planner sees the tables as they are,
	// and a vacuum now rather than autovacuum's during the measurement:
	// millions of inserted rows trigger one, which reads every page of
	// the table to set its visibility map.
	for _, table := range []string{"users", "grants", "refresh_tokens"} {
		if err := conn.PgConn().ExecParams(ctx, "VACUUM (ANALYZE) "+table, nil, nil, nil, nil).Read().Err; err != nil {
			return fmt.Errorf("vacuum %s: %w", table, err)
		}
	}
	return nil
}
