package provider

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/oauth"
	"github.com/gatehouse-id/gatehouse/token"
)

// Router is where a Provider registers its endpoints: the protocol route
// class of the server, which adds no-store caching and CORS for allowed
// origins. The pattern is a ServeMux pattern ("GET /oauth/jwks.json").
type Router interface {
	HandleProtocol(pattern string, h http.Handler)
}

// Store is what the provider reads and writes: clients and their
// credentials, users and tenants, and the token state behind the token
// endpoint. gatehouse.Store satisfies it.
type Store interface {
	GetTenant(ctx context.Context, id string) (*gatehouse.Tenant, error)
	GetUser(ctx context.Context, tenantID, id string) (*gatehouse.User, error)
	GetClient(ctx context.Context, tenantID, id string) (*gatehouse.Client, error)
	GetClientByClientID(ctx context.Context, clientID string) (*gatehouse.Client, error)
	TouchClientCredential(ctx context.Context, clientID string, at time.Time) error

	RedeemAuthCode(ctx context.Context, hash []byte, now time.Time,
		issue func(*gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error)) (*gatehouse.AuthCode, error)
	RevokeGrant(ctx context.Context, tenantID, id string, at time.Time) error
	GetRefreshToken(ctx context.Context, hash []byte) (*gatehouse.RefreshToken, error)
	RotateRefreshToken(ctx context.Context, hash []byte, now time.Time,
		issue func(old *gatehouse.RefreshToken) (*gatehouse.RefreshToken, error)) (*gatehouse.RefreshToken, error)
	RevokeAccessToken(ctx context.Context, r *gatehouse.RevokedToken) error
	AccessTokenRevoked(ctx context.Context, jti, grantID string) (bool, error)

	// The JWT bearer grant: the user's credential, and the grant each
	// exchange makes with it.
	GetJWTCredential(ctx context.Context, tenantID, id string) (*gatehouse.JWTCredential, error)
	TouchJWTCredential(ctx context.Context, tenantID, id string, at time.Time) error
	CreateGrant(ctx context.Context, g *gatehouse.Grant) error
}

var _ Store = gatehouse.Store(nil)

// Auditor queues audit events without waiting for them to be written
// (audit.Recorder's group commit): the token endpoint records an event per
// request and must not wait for a write.
type Auditor interface {
	Record(ctx context.Context, ev gatehouse.AuditEvent)
}

// Options are the dependencies of a Provider.
type Options struct {
	// Scopes is the scope catalog; discovery advertises its available
	// scopes and their claims, never the planned ones.
	Scopes *gatehouse.ScopeCatalog
	// JWKS returns the current JSON Web Key Set document, precomputed by
	// the signing-key manager; nil bytes mean no keys are loaded yet.
	JWKS func() []byte
	// Store holds clients, users and tokens. Without a Store and Tokens the
	// provider serves discovery and the JWKS only.
	Store Store
	// Tokens signs and verifies ID tokens and access tokens.
	Tokens *token.Tokens
	// Audit receives token.issue, token.reuse and token.revoke events;
	// nil records nothing.
	Audit Auditor
	// ClientIP returns the client address of the request being served,
	// for audit events; nil leaves it out.
	ClientIP func(ctx context.Context) netip.Addr
	// LogAttrs adds attributes (the OAuth client_id, the grant type) to
	// the request's access log line; nil adds none.
	LogAttrs func(ctx context.Context, attrs ...slog.Attr)
	// Clock is the time source; nil uses time.Now.
	Clock gatehouse.Clock
	// Logger receives errors; nil discards them.
	Logger *slog.Logger
}

// Provider serves the OAuth/OIDC endpoints for every issuer.
type Provider struct {
	scopes   *gatehouse.ScopeCatalog
	jwks     func() []byte
	store    Store
	tokens   *token.Tokens
	audit    Auditor
	clientIP func(ctx context.Context) netip.Addr
	logAttrs func(ctx context.Context, attrs ...slog.Attr)
	clock    gatehouse.Clock
	log      *slog.Logger

	// discovery caches the metadata document of each issuer seen.
	discovery discoveryCache
	// touches throttles the recording of client credential use.
	touches touchThrottle
	// tenants keeps the tenants of clients and tokens for a short time.
	tenants tenantCache
	// verified remembers access tokens whose signature was verified.
	verified verifiedCache
}

// New returns a Provider over its dependencies. A nil Scopes uses the
// standard catalog.
func New(opt Options) *Provider {
	if opt.Scopes == nil {
		opt.Scopes = gatehouse.NewScopeCatalog()
	}
	if opt.JWKS == nil {
		opt.JWKS = func() []byte { return nil }
	}
	if opt.Clock == nil {
		opt.Clock = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Provider{
		scopes:    opt.Scopes,
		jwks:      opt.JWKS,
		store:     opt.Store,
		tokens:    opt.Tokens,
		audit:     opt.Audit,
		clientIP:  opt.ClientIP,
		logAttrs:  opt.LogAttrs,
		clock:     opt.Clock,
		log:       opt.Logger,
		discovery: discoveryCache{docs: map[string][]byte{}},
		touches:   touchThrottle{last: map[string]time.Time{}},
		tenants:   tenantCache{entries: map[string]tenantEntry{}},
	}
}

// Register adds every endpoint of the provider to r: discovery and the
// JWKS always, and the token, userinfo, revocation and introspection
// endpoints when the provider has a Store and Tokens. Each endpoint also
// answers the methods it does not accept, with 405 and a JSON error rather
// than the mux's plain text, since its callers are programs.
func (p *Provider) Register(r Router) {
	r.HandleProtocol("GET "+pathOpenIDConfiguration, http.HandlerFunc(p.serveDiscovery))
	r.HandleProtocol("GET "+pathAuthorizationServer, http.HandlerFunc(p.serveDiscovery))
	r.HandleProtocol("GET "+pathJWKS, http.HandlerFunc(p.serveJWKS))
	if p.store == nil || p.tokens == nil {
		return
	}
	r.HandleProtocol("POST "+pathToken, http.HandlerFunc(p.serveToken))
	r.HandleProtocol(pathToken, methodNotAllowed(http.MethodPost))
	r.HandleProtocol("GET "+pathUserinfo, http.HandlerFunc(p.serveUserinfo))
	r.HandleProtocol("POST "+pathUserinfo, http.HandlerFunc(p.serveUserinfo))
	r.HandleProtocol(pathUserinfo, methodNotAllowed(http.MethodGet, http.MethodPost))
	r.HandleProtocol("POST "+pathRevoke, http.HandlerFunc(p.serveRevoke))
	r.HandleProtocol(pathRevoke, methodNotAllowed(http.MethodPost))
	r.HandleProtocol("POST "+pathIntrospect, http.HandlerFunc(p.serveIntrospect))
	r.HandleProtocol(pathIntrospect, methodNotAllowed(http.MethodPost))
}

// methodNotAllowed answers a method an endpoint does not accept: 405 with
// Allow and an invalid_request body a client library can read.
func methodNotAllowed(allowed ...string) http.Handler {
	allow := strings.Join(allowed, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		e := oauth.InvalidRequest("this endpoint accepts only %s", strings.Join(allowed, " and "))
		e.Status = http.StatusMethodNotAllowed
		oauth.WriteTokenError(w, e)
	})
}

// issuer returns the request's issuer. Without one the provider was
// mounted outside the server, a wiring bug: it answers server_error.
func (p *Provider) issuer(w http.ResponseWriter, r *http.Request) (gatehouse.Issuer, bool) {
	iss, ok := gatehouse.IssuerFrom(r.Context())
	if !ok || iss.URL == "" {
		p.log.Error("no issuer in the request context; is the provider mounted behind the server?", "path", r.URL.Path)
		writeError(w, http.StatusInternalServerError, "server_error", "internal error")
		return gatehouse.Issuer{}, false
	}
	return iss, true
}

// writeError writes a JSON error in the shape of RFC 6749 §5.2.
func writeError(w http.ResponseWriter, status int, code, description string) {
	body, _ := json.Marshal(struct {
		Error       string `json:"error"`
		Description string `json:"error_description,omitempty"`
	}{code, description})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// writePublic writes a public JSON document that browsers on any origin
// and shared caches may read for maxAge.
func writePublic(w http.ResponseWriter, r *http.Request, body []byte, maxAge time.Duration) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	// These documents are public and identical for every caller: the
	// protocol class's no-store does not apply.
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(maxAge.Seconds())))
	h.Del("Pragma")
	h.Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// discoveryCache holds metadata documents by issuer URL.
type discoveryCache struct {
	mu   sync.RWMutex
	docs map[string][]byte
}

// maxCachedIssuers bounds the cache; past it, it starts over. Issuers come
// from configuration and the tenant table, so this is only a backstop.
const maxCachedIssuers = 10000

func (c *discoveryCache) get(issuer string, build func() ([]byte, error)) ([]byte, error) {
	c.mu.RLock()
	doc, ok := c.docs[issuer]
	c.mu.RUnlock()
	if ok {
		return doc, nil
	}
	doc, err := build()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.docs) >= maxCachedIssuers {
		clear(c.docs)
	}
	c.docs[issuer] = doc
	c.mu.Unlock()
	return doc, nil
}
