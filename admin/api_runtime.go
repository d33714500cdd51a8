package admin

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/token"
)

// EventRecorder queues audit events without waiting for their write, for
// events on hot paths (a runtime token minted per SDK session).
type EventRecorder interface {
	Record(ctx context.Context, ev gatehouse.AuditEvent)
}

// auditorRecorder records hot-path events through a Service's Auditor,
// waiting for each, when no EventRecorder is given.
type auditorRecorder struct {
	audit Auditor
	log   *slog.Logger
}

func (a auditorRecorder) Record(ctx context.Context, ev gatehouse.AuditEvent) {
	if err := a.audit.RecordSync(ctx, ev); err != nil {
		a.log.ErrorContext(ctx, "audit event lost", "tenant", ev.TenantID, "action", ev.Action, "err", err)
	}
}

// Runtime tokens. A tenant's backend mints one per SDK session with a
// server API key (runtime.tokens.write) and hands it to the browser or app;
// runtime services check it at the verify endpoint or, better for
// volume, locally with the runtime JWKS.
const (
	// minRuntimeTTL is the shortest lifetime a caller may ask for: a
	// token must survive the trip to the SDK and the verifier's leeway.
	minRuntimeTTL = time.Minute

	maxExternalIDLen  = 255
	maxDisplayNameLen = 200

	// runtimeJWKSMaxAge is how long runtime services may cache the
	// runtime JWKS; a next key is published long before it signs.
	runtimeJWKSMaxAge = 5 * time.Minute

	// Verify calls per client address: verifyBurst at once, then
	// verifyRate a second. Services with more traffic verify locally.
	verifyBurst = 100
	verifyRate  = 50
	// maxVerifyTracked bounds the table of addresses.
	maxVerifyTracked = 10000
)

func (api *API) registerRuntime(r Router) {
	r.HandleAPI("POST /api/v1/runtime/tokens", api.endpoint(gatehouse.APIScopeRuntimeTokensWrite, api.mintRuntimeToken))
	r.HandleAPI("POST /api/v1/runtime/tokens/verify", http.HandlerFunc(api.verifyRuntimeToken))
	r.HandleAPI("GET /api/v1/runtime/jwks.json", http.HandlerFunc(api.serveRuntimeJWKS))
}

// RuntimeTokenInput is the body of POST /api/v1/runtime/tokens.
type RuntimeTokenInput struct {
	// ExternalID is the tenant's own id for the end user (required).
	ExternalID string `json:"external_id" doc:"The tenant's own id for the end user: 1-255 characters, no control characters."`
	// DisplayName is shown to other participants (optional).
	DisplayName string `json:"display_name,omitempty" doc:"Shown to other participants; at most 200 characters."`
	// Services are the SDK services the session may use: at least one of
	// token.RuntimeServices.
	Services []string `json:"services" doc:"SDK services the session may use: chat, audio, video, ai, reports."`
	// TTLSeconds is the lifetime; nil means token.DefaultRuntimeTokenTTL.
	TTLSeconds *int64 `json:"ttl_seconds,omitempty" doc:"Lifetime in seconds, 60 to 3600; default 900."`
}

// validate reports every invalid field (EINVALID) and returns the
// services in canonical order without repeats, and the lifetime.
func (in *RuntimeTokenInput) validate() ([]string, time.Duration, error) {
	var p gatehouse.Problems
	checkLine(&p, "external_id", in.ExternalID, true, maxExternalIDLen)
	checkLine(&p, "display_name", in.DisplayName, false, maxDisplayNameLen)
	if len(in.Services) == 0 {
		p.Add("services", "needs at least one of %s", strings.Join(token.RuntimeServices(), ", "))
	}
	for i, s := range in.Services {
		if !slices.Contains(token.RuntimeServices(), s) {
			p.Add("services["+strconv.Itoa(i)+"]", "must be one of %s", strings.Join(token.RuntimeServices(), ", "))
		}
	}
	ttl := token.DefaultRuntimeTokenTTL
	if in.TTLSeconds != nil {
		sec := *in.TTLSeconds
		lo, hi := int64(minRuntimeTTL/time.Second), int64(token.MaxRuntimeTokenTTL/time.Second)
		if sec < lo || sec > hi {
			p.Add("ttl_seconds", "must be between %d and %d", lo, hi)
		} else {
			ttl = time.Duration(sec) * time.Second
		}
	}
	if err := p.Err(); err != nil {
		return nil, 0, err
	}
	var services []string
	for _, s := range token.RuntimeServices() {
		if slices.Contains(in.Services, s) {
			services = append(services, s)
		}
	}
	return services, ttl, nil
}

// checkLine validates a single line of text: valid UTF-8, at most max
// characters, no control characters, no surrounding spaces.
func checkLine(p *gatehouse.Problems, field, s string, required bool, max int) {
	switch {
	case s == "":
		if required {
			p.Add(field, "is required")
		}
	case !utf8.ValidString(s):
		p.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		p.Add(field, "must be at most %d characters", max)
	case strings.TrimSpace(s) != s:
		p.Add(field, "must not start or end with spaces")
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		p.Add(field, "must not contain control characters")
	}
}

// RuntimeTokenDoc is the answer to a mint request.
type RuntimeTokenDoc struct {
	Token     string    `json:"token"`
	TokenType string    `json:"token_type"`
	ExpiresIn int64     `json:"expires_in"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (api *API) mintRuntimeToken(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in RuntimeTokenInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	services, ttl, err := in.validate()
	if err != nil {
		return err
	}
	ctx := r.Context()
	iss, ok := gatehouse.IssuerFrom(ctx)
	if !ok {
		return gatehouse.Errorf(gatehouse.EINTERNAL, "no issuer resolved for the request")
	}
	if !iss.Admits(c.TenantID) {
		return gatehouse.Errorf(gatehouse.EFORBIDDEN, "this key belongs to another tenant than this issuer")
	}
	now := api.svc.clock()
	active, err := api.tenants.active(ctx, api.svc.store, c.TenantID, now)
	if err != nil {
		return err
	}
	if !active {
		return gatehouse.Errorf(gatehouse.EFORBIDDEN, "the tenant is disabled")
	}
	claims := token.RuntimeClaims{
		Issuer:     iss.URL,
		TenantID:   c.TenantID,
		ExternalID: in.ExternalID,
		Name:       in.DisplayName,
		Services:   services,
		JTI:        token.NewJTI(),
		IssuedAt:   now,
		Expiry:     now.Add(ttl),
	}
	raw, err := api.runtime.Mint(claims)
	if err != nil {
		return err
	}
	api.events.Record(ctx, gatehouse.AuditEvent{
		TenantID:  c.TenantID,
		Time:      now,
		Actor:     c.Actor.ID,
		Action:    "runtime.token.issue",
		Target:    "runtime:" + claims.Subject(),
		Result:    gatehouse.ResultSuccess,
		IP:        c.Actor.IP,
		UserAgent: c.Actor.UserAgent,
		Details: map[string]string{
			"external_id": in.ExternalID,
			"services":    strings.Join(services, " "),
			"jti":         claims.JTI,
			"ttl_seconds": strconv.FormatInt(int64(ttl/time.Second), 10),
		},
	})
	writeJSON(w, http.StatusOK, RuntimeTokenDoc{
		Token:     raw,
		TokenType: "Bearer",
		ExpiresIn: int64(ttl / time.Second),
		ExpiresAt: claims.Expiry.UTC().Truncate(time.Second),
	})
	return nil
}

// RuntimeVerifyInput is the body of POST /api/v1/runtime/tokens/verify.
type RuntimeVerifyInput struct {
	Token string `json:"token" doc:"The runtime token to check."`
}

// RuntimeTokenInfo is the answer of the verify endpoint: Active alone when
// the token is not valid here, the claims as well when it is.
type RuntimeTokenInfo struct {
	Active     bool     `json:"active"`
	Issuer     string   `json:"iss,omitempty"`
	Subject    string   `json:"sub,omitempty"`
	Audience   string   `json:"aud,omitempty"`
	TenantID   string   `json:"tenant_id,omitempty"`
	ExternalID string   `json:"external_id,omitempty"`
	Name       string   `json:"name,omitempty"`
	Services   []string `json:"services,omitempty"`
	IssuedAt   int64    `json:"iat,omitempty"`
	Expiry     int64    `json:"exp,omitempty"`
	JTI        string   `json:"jti,omitempty"`
}

// verifyRuntimeToken checks a runtime token for a runtime service. It takes
// no credential: holding the token is the proof, and the answer reveals
// nothing the token does not already carry. It is rate limited per client
// address, since anyone can call it.
func (api *API) verifyRuntimeToken(w http.ResponseWriter, r *http.Request) {
	if !api.verifyLimit.allow(server.ClientIP(r.Context()), api.svc.clock()) {
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, errorDoc{Error: errorBody{Code: errRateLimited,
			Message: "too many verify requests from this address; verify runtime tokens locally with the runtime JWKS"}})
		return
	}
	var in RuntimeVerifyInput
	err := decodeJSON(r, &in)
	if err == nil && in.Token == "" {
		err = &gatehouse.Error{Code: gatehouse.EINVALID, Message: "token: is required",
			Fields: []gatehouse.FieldError{{Field: "token", Message: "is required"}}}
	}
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	iss, ok := gatehouse.IssuerFrom(r.Context())
	if !ok {
		api.writeError(w, r, gatehouse.Errorf(gatehouse.EINTERNAL, "no issuer resolved for the request"))
		return
	}
	c, err := api.runtime.Verify(in.Token, iss.URL)
	switch code := gatehouse.ErrorCode(err); code {
	case "":
	case gatehouse.EUNAUTHORIZED, gatehouse.EEXPIRED:
		server.AddLogAttrs(r.Context(), slog.String("refused", gatehouse.ErrorMessage(err)))
		writeJSON(w, http.StatusOK, RuntimeTokenInfo{Active: false})
		return
	default:
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, RuntimeTokenInfo{
		Active:     true,
		Issuer:     c.Issuer,
		Subject:    c.Subject(),
		Audience:   token.RuntimeAudience,
		TenantID:   c.TenantID,
		ExternalID: c.ExternalID,
		Name:       c.Name,
		Services:   c.Services,
		IssuedAt:   c.IssuedAt.Unix(),
		Expiry:     c.Expiry.Unix(),
		JTI:        c.JTI,
	})
}

// serveRuntimeJWKS serves the public keys of runtime tokens, never an
// OAuth key. Before keys are loaded it answers 503, so that no service
// caches an empty set.
func (api *API) serveRuntimeJWKS(w http.ResponseWriter, r *http.Request) {
	doc := api.runtime.JWKS()
	if len(doc) == 0 {
		api.writeError(w, r, gatehouse.Errorf(gatehouse.EUNAVAILABLE, "signing keys are not loaded yet"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(doc)))
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(runtimeJWKSMaxAge/time.Second)))
	h.Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(doc)
	}
}

// tenantStatus remembers for a short time whether tenants are active, so
// minting, which happens once per SDK session, costs no tenant read. A
// disabled tenant stops minting within tenantStatusTTL, as it stops
// being served under its issuer within the issuer cache's lifetime.
type tenantStatus struct {
	mu sync.Mutex
	m  map[string]tenantState
}

type tenantState struct {
	active bool
	until  time.Time
}

const (
	tenantStatusTTL     = 30 * time.Second
	maxTenantStatusSize = 10000
)

// active reports whether the tenant is active, reading it from store when
// it is not known or its entry is older than tenantStatusTTL.
func (c *tenantStatus) active(ctx context.Context, store gatehouse.TenantStore, id string, now time.Time) (bool, error) {
	c.mu.Lock()
	st, ok := c.m[id]
	c.mu.Unlock()
	if ok && now.Before(st.until) {
		return st.active, nil
	}
	t, err := store.GetTenant(ctx, id)
	if err != nil {
		return false, err
	}
	st = tenantState{active: t.Status == gatehouse.StatusActive, until: now.Add(tenantStatusTTL)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxTenantStatusSize {
		// Forgetting costs one read per tenant; a bound keeps memory flat.
		c.m = make(map[string]tenantState)
	}
	c.m[id] = st
	return st.active, nil
}

// ipLimiter is a token bucket per client address (IPv4 alone, IPv6 by
// its /64, as one client usually holds them).
type ipLimiter struct {
	mu sync.Mutex
	m  map[netip.Prefix]*rate.Limiter
}

// allow spends one request of ip at now, reporting whether one was left.
// A request without a known address is not limited: it cannot be told
// apart from any other.
func (l *ipLimiter) allow(ip netip.Addr, now time.Time) bool {
	if !ip.IsValid() {
		return true
	}
	ip = ip.Unmap()
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	key, _ := ip.Prefix(bits)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = make(map[netip.Prefix]*rate.Limiter)
	}
	lim := l.m[key]
	if lim == nil {
		if len(l.m) >= maxVerifyTracked {
			l.prune(now)
		}
		lim = rate.NewLimiter(verifyRate, verifyBurst)
		l.m[key] = lim
	}
	return lim.AllowN(now, 1)
}

// prune forgets addresses whose bucket is full again, then arbitrary ones
// if that is not enough: forgetting one only gives it a fresh bucket.
func (l *ipLimiter) prune(now time.Time) {
	for k, lim := range l.m {
		if lim.TokensAt(now) >= verifyBurst {
			delete(l.m, k)
		}
	}
	for k := range l.m {
		if len(l.m) < maxVerifyTracked*9/10 {
			break
		}
		delete(l.m, k)
	}
}
