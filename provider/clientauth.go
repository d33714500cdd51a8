package provider

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/oauth"
)

// clientAuthFailed is the one description of every failed client
// authentication: an unknown client, a wrong, missing or unexpected
// secret, an expired credential and a client of another issuer all read
// the same, so that nobody can probe which client_ids exist.
const clientAuthFailed = "client authentication failed"

// authedClient is a client that authenticated a request.
type authedClient struct {
	*gatehouse.Client
	// ClientID is the OAuth client_id it presented, one of its
	// credentials: what tokens name in client_id and aud.
	ClientID string
	// Tenant is the client's tenant, active.
	Tenant *gatehouse.Tenant
}

// authenticateClient authenticates the client of a token, revocation or
// introspection request (RFC 6749 §2.3.1): client_secret_basic or
// client_secret_post for a confidential client, which must send its
// secret, and client_id alone (none) for a public client, which must not
// send one. The credential must not have expired, the client's tenant
// must be one the request's issuer serves and must be active. Every
// failure is invalid_client with a fixed description (invalid_request for
// a malformed request); a store failure is returned as it is.
func (p *Provider) authenticateClient(ctx context.Context, r *http.Request, iss gatehouse.Issuer) (*authedClient, error) {
	auth, err := oauth.ParseClientAuth(r)
	if err != nil {
		return nil, err
	}
	p.addLogAttrs(ctx, slog.String("client_id", auth.ClientID))
	// Hash before the lookup, so an unknown client costs what a known one
	// does.
	presented := secret.Hash(auth.Secret)
	c, err := p.store.GetClientByClientID(ctx, auth.ClientID)
	switch {
	case gatehouse.IsCode(err, gatehouse.ENOTFOUND):
		return nil, oauth.InvalidClient(clientAuthFailed)
	case err != nil:
		return nil, fmt.Errorf("authenticate client: %w", err)
	}
	now := p.clock()
	cred, ok := c.Credential(auth.ClientID)
	if !ok || cred.Expired(now) || !iss.Admits(c.TenantID) {
		return nil, oauth.InvalidClient(clientAuthFailed)
	}
	if c.IsPublic() {
		if auth.Method != oauth.AuthMethodNone {
			return nil, oauth.InvalidClient(clientAuthFailed)
		}
	} else {
		// Either secret method is accepted, whichever the client
		// registered: both carry the same secret over TLS.
		if auth.Method == oauth.AuthMethodNone || len(cred.SecretHash) == 0 ||
			!secret.Equal(presented, cred.SecretHash) {
			return nil, oauth.InvalidClient(clientAuthFailed)
		}
	}
	t, err := p.activeTenant(ctx, iss, c.TenantID)
	if err != nil {
		if gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
			return nil, oauth.InvalidClient(clientAuthFailed)
		}
		return nil, err
	}
	p.touch(ctx, cred, now)
	defaultLifetimes(c)
	return &authedClient{Client: c, ClientID: auth.ClientID, Tenant: t}, nil
}

// defaultLifetimes gives a client's unset token lifetimes their defaults,
// as Client.ApplyDefaults does when a client is created: a zero lifetime
// means the default, never a token that is born expired.
func defaultLifetimes(c *gatehouse.Client) {
	if c.AccessTokenTTL <= 0 {
		c.AccessTokenTTL = gatehouse.DefaultAccessTokenTTL
	}
	if c.IDTokenTTL <= 0 {
		c.IDTokenTTL = gatehouse.DefaultIDTokenTTL
	}
	if c.RefreshIdleTTL <= 0 {
		c.RefreshIdleTTL = gatehouse.DefaultRefreshIdleTTL
	}
	if c.RefreshAbsoluteTTL <= 0 {
		c.RefreshAbsoluteTTL = max(gatehouse.DefaultRefreshAbsoluteTTL, c.RefreshIdleTTL)
	}
}

// activeTenant returns the tenant with id when it is active: the issuer's
// own tenant costs nothing, any other comes from the tenant cache. A
// missing or disabled tenant is ENOTFOUND.
func (p *Provider) activeTenant(ctx context.Context, iss gatehouse.Issuer, id string) (*gatehouse.Tenant, error) {
	t := iss.Tenant
	if t == nil || t.ID != id {
		var err error
		t, err = p.tenants.get(ctx, id, p.clock(), p.store.GetTenant)
		if err != nil {
			if gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
				return nil, err
			}
			return nil, fmt.Errorf("load tenant: %w", err)
		}
	}
	if t.Status != gatehouse.StatusActive {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "tenant is not active")
	}
	return t, nil
}

// touchInterval is how often the use of one credential is recorded: the
// last-used time is for people deciding whether a secret is still in use,
// and a write per request would cost more than every read of the request.
const touchInterval = time.Minute

// maxTouches bounds the throttle's memory; past it, it forgets entries
// older than touchInterval, or everything.
const maxTouches = 10000

// touchThrottle remembers when this node last recorded the use of each
// credential.
type touchThrottle struct {
	mu   sync.Mutex
	last map[string]time.Time // by credential id
}

// due reports whether a use of credential id at now should be recorded,
// and if so notes it as recorded.
func (t *touchThrottle) due(id string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if last, ok := t.last[id]; ok && now.Sub(last) < touchInterval && !now.Before(last) {
		return false
	}
	if len(t.last) >= maxTouches {
		for k, v := range t.last {
			if now.Sub(v) >= touchInterval {
				delete(t.last, k)
			}
		}
		if len(t.last) >= maxTouches {
			clear(t.last)
		}
	}
	t.last[id] = now
	return true
}

// touch records that the credential was used, at most once per
// touchInterval: the stored last-used time throttles across nodes, the
// in-memory one within this node. A failure is logged, never returned: a
// client must not be refused because a statistic could not be written.
func (p *Provider) touch(ctx context.Context, cred *gatehouse.ClientCredential, now time.Time) {
	if !cred.LastUsedAt.IsZero() && now.Sub(cred.LastUsedAt) < touchInterval && !now.Before(cred.LastUsedAt) {
		return
	}
	if !p.touches.due(cred.ID, now) {
		return
	}
	if err := p.store.TouchClientCredential(ctx, cred.ClientID, now); err != nil {
		p.log.Warn("record client credential use", "client_id", cred.ClientID, "err", err)
	}
}
