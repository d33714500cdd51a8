package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/postgres"
	"github.com/gatehouse-id/gatehouse/sqlite"
)

// isPostgres reports whether a -database value names a PostgreSQL server
// rather than an SQLite file.
func isPostgres(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

// openStore opens the server's store without changing its schema: the
// server migrated it.
func openStore(ctx context.Context, database string) (gatehouse.Store, error) {
	if database == "" {
		return nil, fmt.Errorf("-database is required: the SQLite file or PostgreSQL URL the server uses")
	}
	if isPostgres(database) {
		return postgres.Open(ctx, database, postgres.Options{MaxConns: 4})
	}
	return sqlite.Open(ctx, strings.TrimPrefix(database, "sqlite:"), sqlite.Options{})
}

// fixtures are what a run creates for itself.
type fixtures struct {
	Tenant *gatehouse.Tenant
	// Web is the relying party of the code, refresh, userinfo and
	// sign-in scenarios; its ID tokens use the run's algorithm.
	Web webClient
	// Machine uses client_credentials.
	Machine webClient
	// Resource introspects access tokens.
	Resource webClient
	Accounts []account
}

// redirectURI is where the web client's codes go: nothing listens there,
// the browser stops at the redirect.
const redirectURI = "http://127.0.0.1/callback"

// setupOptions size the fixtures.
type setupOptions struct {
	Users int
	// Alg is the ID-token algorithm of the web client.
	Alg string
	// Hasher hashes the users' password once; every user shares it.
	Hasher *secret.Hasher
	Clock  gatehouse.Clock
}

// setup creates a tenant with a fresh slug, the three clients and the
// users, straight in the store.
func setup(ctx context.Context, st gatehouse.Store, o setupOptions) (*fixtures, error) {
	now := o.Clock().UTC()
	tn := &gatehouse.Tenant{Slug: "load-" + strings.ToLower(secret.Token(6)), Name: "Load test"}
	tn.Slug = strings.Map(func(r rune) rune {
		// Token's alphabet has '-' and '_': neither may end a slug.
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return 'x'
	}, tn.Slug)
	tn.Normalize()
	if err := tn.Validate(); err != nil {
		return nil, fmt.Errorf("tenant: %w", err)
	}
	if err := st.CreateTenant(ctx, tn); err != nil {
		return nil, fmt.Errorf("create tenant: %w", err)
	}
	f := &fixtures{Tenant: tn}
	var err error
	if f.Web, err = createClient(ctx, st, tn.ID, now, &gatehouse.Client{
		Name:         "Load web app",
		RedirectURIs: []string{redirectURI},
		Scopes:       []string{"email", "offline_access", "openid", "profile"},
		GrantTypes:   []string{gatehouse.GrantAuthorizationCode, gatehouse.GrantRefreshToken},
		IDTokenAlg:   o.Alg,
	}); err != nil {
		return nil, err
	}
	f.Web.Scope = "openid profile email offline_access"
	if f.Machine, err = createClient(ctx, st, tn.ID, now, &gatehouse.Client{
		Name:       "Load machine",
		Scopes:     []string{"profile"},
		GrantTypes: []string{gatehouse.GrantClientCredentials},
	}); err != nil {
		return nil, err
	}
	if f.Resource, err = createClient(ctx, st, tn.ID, now, &gatehouse.Client{
		Name:       "Load resource server",
		Scopes:     []string{"profile"},
		GrantTypes: []string{gatehouse.GrantClientCredentials},
	}); err != nil {
		return nil, err
	}
	password := secret.Token(18)
	hash, err := o.Hasher.Hash(ctx, password)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	for i := range o.Users {
		u := &gatehouse.User{
			TenantID:      tn.ID,
			Username:      fmt.Sprintf("load-%d", i),
			Email:         fmt.Sprintf("load-%d@example.com", i),
			EmailVerified: true,
			Name:          fmt.Sprintf("Load user %d", i),
			PasswordHash:  hash,
			Status:        gatehouse.StatusActive,
		}
		u.Normalize()
		if err := st.CreateUser(ctx, u); err != nil {
			return nil, fmt.Errorf("create user %s: %w", u.Username, err)
		}
		f.Accounts = append(f.Accounts, account{Username: u.Username, Password: password})
	}
	return f, nil
}

// createClient registers a confidential client with one fresh credential
// and returns how a relying party presents it.
func createClient(ctx context.Context, st gatehouse.Store, tenantID string, now time.Time, c *gatehouse.Client) (webClient, error) {
	c.TenantID = tenantID
	c.Type = gatehouse.ClientConfidential
	c.ApplyDefaults()
	if err := c.Validate(gatehouse.NewScopeCatalog()); err != nil {
		return webClient{}, fmt.Errorf("client %s: %w", c.Name, err)
	}
	sec := secret.NewPrefixed(gatehouse.PrefixClientSecret)
	clientID := gatehouse.PrefixClientID + secret.Token(16)
	c.Credentials = []gatehouse.ClientCredential{{
		TenantID: tenantID, ClientID: clientID, Name: gatehouse.ClientCredentialDefaultName,
		SecretHash: sec.Hash, SecretHint: sec.Hint, CreatedAt: now,
	}}
	if err := st.CreateClient(ctx, c); err != nil {
		return webClient{}, fmt.Errorf("create client %s: %w", c.Name, err)
	}
	w := webClient{ClientID: clientID, ClientSecret: sec.Value}
	if len(c.RedirectURIs) > 0 {
		w.RedirectURI = c.RedirectURIs[0]
	}
	return w, nil
}

// session is one worker's user and the tokens it holds.
type session struct {
	Account      account
	AccessToken  string
	RefreshToken string
}

// signInAll runs the code flow once for every account, consenting, with
// at most conc flows at once, and returns each account's tokens.
func signInAll(ctx context.Context, t *target, transport http.RoundTripper, f *fixtures, conc int) ([]*session, error) {
	hc := &http.Client{Transport: transport, Timeout: 60 * time.Second}
	out := make([]*session, len(f.Accounts))
	errs := make([]error, len(f.Accounts))
	sem := make(chan struct{}, max(conc, 1))
	var wg sync.WaitGroup
	for i, a := range f.Accounts {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			tk, err := login(ctx, t, transport, hc, f.Web, a, true)
			if err != nil {
				errs[i] = fmt.Errorf("first sign-in of %s: %w", a.Username, err)
				return
			}
			out[i] = &session{Account: a, AccessToken: tk.AccessToken, RefreshToken: tk.RefreshToken}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
