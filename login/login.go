package login

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/token"
	"github.com/gatehouse-id/gatehouse/web"
)

// Paths of the pages, relative to the issuer.
const (
	pathAuthorize         = "/oauth/authorize"
	pathSignIn            = "/login"
	pathConsent           = "/login/consent"
	pathContinue          = "/login/continue"
	pathLogout            = "/oauth/logout"
	pathLogoutConfirm     = "/oauth/logout/confirm"
	pathAccount           = "/account"
	pathRevokeSession     = "/account/sessions/revoke"
	pathRevokeApp         = "/account/apps/revoke"
	pathSignOutEverywhere = "/account/sign-out-everywhere"
	pathCredentials       = "/account/credentials"
	pathNewCredential     = "/account/credentials/new"
	pathRevokeCredential  = "/account/credentials/revoke"
	pathSetPassword       = "/password/set"
)

// Router is where the pages are registered: the server's browser-page
// route class, whose CSRF protection (cross-origin unsafe requests are
// refused) guards every form, and its exemption for the two endpoints that
// relying parties post to from their own sites.
type Router interface {
	HandlePage(pattern string, h http.Handler)
	HandleCrossSiteCallback(pattern string, h http.Handler)
}

// Store is the part of the store the pages use.
type Store interface {
	gatehouse.TenantStore
	gatehouse.UserStore
	gatehouse.ClientStore
	gatehouse.AuthRequestStore
	gatehouse.SessionStore
	gatehouse.ConsentStore
	gatehouse.JWTCredentialStore
	PasswordTokens
	CreateAuthCode(ctx context.Context, c *gatehouse.AuthCode) error
}

// PasswordHasher hashes and verifies passwords (secret.Hasher: argon2id,
// bounded concurrency). Verify returns secret.ErrPasswordMismatch for a
// wrong password.
type PasswordHasher interface {
	Hash(ctx context.Context, password string) (string, error)
	Verify(ctx context.Context, password, encoded string) error
}

// HintVerifier checks an ID token presented back as id_token_hint
// (token.Tokens).
type HintVerifier interface {
	VerifyIDTokenHint(raw, issuer string) (*token.IDClaims, error)
}

// CredentialMinter signs the JWT credentials users create on the account
// page (token.Tokens).
type CredentialMinter interface {
	Credential(c token.CredentialClaims) (raw string, hash []byte, err error)
}

// Tokens is what the pages need of token.Tokens.
type Tokens interface {
	HintVerifier
	CredentialMinter
}

// Auditor queues audit events without waiting for the write
// (audit.Recorder).
type Auditor interface {
	Record(ctx context.Context, ev gatehouse.AuditEvent)
}

// Options are the dependencies of the pages. Store, Pages, Tokens, Hasher
// and Audit are required.
type Options struct {
	Store  Store
	Pages  *web.Renderer
	Tokens Tokens
	Hasher PasswordHasher
	Audit  Auditor
	// Scopes is the scope catalog; nil uses the standard one.
	Scopes *gatehouse.ScopeCatalog
	// Clock is the time source; nil uses time.Now.
	Clock gatehouse.Clock
	// Logger receives errors; nil discards them.
	Logger *slog.Logger
	// ClientIP returns the address of the browser as the server
	// determined it (behind trusted proxies, the forwarded one). Nil uses
	// the connection's remote address.
	ClientIP func(ctx context.Context) netip.Addr
	// PlatformName titles the platform's own pages; "" means "Gatehouse".
	PlatformName string
	// Tenants reads a flow's tenant by id when the request's issuer is
	// not that tenant's own (under a tenant's issuer the server has
	// resolved the tenant already): the server's tenant cache, which keeps
	// answers for a few seconds and forgets them when a tenant changes
	// here. Nil reads the store every time.
	Tenants TenantsByID
}

// TenantsByID finds tenants by id; server.TenantCache implements it.
type TenantsByID interface {
	TenantByID(ctx context.Context, id string) (*gatehouse.Tenant, error)
}

// Login serves the browser-facing endpoints. Build it with New.
type Login struct {
	store    Store
	pages    *web.Renderer
	tokens   Tokens
	hasher   PasswordHasher
	audit    Auditor
	scopes   *gatehouse.ScopeCatalog
	clock    gatehouse.Clock
	log      *slog.Logger
	clientIP func(ctx context.Context) netip.Addr
	platform string
	tenants  TenantsByID

	// dummyHash is verified for unknown users, so that an unknown name
	// costs the same work as a wrong password.
	dummyHash string
	ipFails   *ipLimiter
	unknown   *failureCounter
}

// New builds the pages over their dependencies. It hashes a random
// password once, with the hasher's own parameters, to have a hash to
// verify against when a user is unknown; it fails when a required
// dependency is missing or that hash cannot be made.
func New(ctx context.Context, o Options) (*Login, error) {
	switch {
	case o.Store == nil:
		return nil, errors.New("login: Store is required")
	case o.Pages == nil:
		return nil, errors.New("login: Pages is required")
	case o.Tokens == nil:
		return nil, errors.New("login: Tokens is required")
	case o.Hasher == nil:
		return nil, errors.New("login: Hasher is required")
	case o.Audit == nil:
		return nil, errors.New("login: Audit is required")
	}
	if o.Scopes == nil {
		o.Scopes = gatehouse.NewScopeCatalog()
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.ClientIP == nil {
		o.ClientIP = func(context.Context) netip.Addr { return netip.Addr{} }
	}
	if o.PlatformName == "" {
		o.PlatformName = "Gatehouse"
	}
	dummy, err := o.Hasher.Hash(ctx, newHandleValue())
	if err != nil {
		return nil, fmt.Errorf("login: prepare the unknown-user hash: %w", err)
	}
	return &Login{
		store:     o.Store,
		pages:     o.Pages,
		tokens:    o.Tokens,
		hasher:    o.Hasher,
		audit:     o.Audit,
		scopes:    o.Scopes,
		clock:     o.Clock,
		log:       o.Logger,
		clientIP:  o.ClientIP,
		platform:  o.PlatformName,
		tenants:   o.Tenants,
		dummyHash: dummy,
		ipFails:   newIPLimiter(),
		unknown:   newFailureCounter(),
	}, nil
}

// newHandleValue returns a random value that nobody knows.
func newHandleValue() string {
	v, _ := token.NewHandle()
	return v
}

// Register adds every page to r. The authorization and logout endpoints
// accept cross-site POSTs (relying parties post to them); every other form
// is a CSRF-protected page.
func (l *Login) Register(r Router) {
	r.HandlePage("GET "+pathAuthorize, http.HandlerFunc(l.serveAuthorize))
	r.HandleCrossSiteCallback("POST "+pathAuthorize, http.HandlerFunc(l.serveAuthorize))
	r.HandlePage("GET "+pathSignIn, http.HandlerFunc(l.serveSignInPage))
	r.HandlePage("POST "+pathSignIn, http.HandlerFunc(l.serveSignIn))
	r.HandlePage("GET "+pathConsent, http.HandlerFunc(l.serveConsentPage))
	r.HandlePage("POST "+pathConsent, http.HandlerFunc(l.serveConsent))
	r.HandlePage("POST "+pathContinue, http.HandlerFunc(l.serveContinue))
	r.HandlePage("GET "+pathLogout, http.HandlerFunc(l.serveLogout))
	r.HandleCrossSiteCallback("POST "+pathLogout, http.HandlerFunc(l.serveLogout))
	r.HandlePage("POST "+pathLogoutConfirm, http.HandlerFunc(l.serveLogoutConfirm))
	r.HandlePage("GET "+pathAccount, http.HandlerFunc(l.serveAccount))
	r.HandlePage("POST "+pathRevokeSession, http.HandlerFunc(l.serveRevokeSession))
	r.HandlePage("POST "+pathRevokeApp, http.HandlerFunc(l.serveRevokeApp))
	r.HandlePage("POST "+pathSignOutEverywhere, http.HandlerFunc(l.serveSignOutEverywhere))
	r.HandlePage("GET "+pathNewCredential, http.HandlerFunc(l.serveNewCredential))
	r.HandlePage("POST "+pathCredentials, http.HandlerFunc(l.serveCreateCredential))
	r.HandlePage("POST "+pathRevokeCredential, http.HandlerFunc(l.serveRevokeCredential))
	r.HandlePage("GET "+pathSetPassword, http.HandlerFunc(l.serveSetPasswordPage))
	r.HandlePage("POST "+pathSetPassword, http.HandlerFunc(l.serveSetPassword))
}

// issuer returns the request's issuer. Without one the pages were mounted
// outside the server, a wiring bug.
func (l *Login) issuer(w http.ResponseWriter, r *http.Request) (gatehouse.Issuer, bool) {
	iss, ok := gatehouse.IssuerFrom(r.Context())
	if !ok || iss.URL == "" {
		l.log.Error("no issuer in the request context; are the pages mounted behind the server?", "path", r.URL.Path)
		l.renderError(w, r, gatehouse.Issuer{}, nil, web.InternalError())
		return gatehouse.Issuer{}, false
	}
	return iss, true
}

// formIssuer is issuer for a posted form: it also reads the form, and
// answers one that cannot be read.
func (l *Login) formIssuer(w http.ResponseWriter, r *http.Request) (gatehouse.Issuer, bool) {
	iss, ok := l.issuer(w, r)
	if !ok {
		return iss, false
	}
	if err := r.ParseForm(); err != nil {
		l.renderError(w, r, iss, nil, errBadRequest)
		return iss, false
	}
	return iss, true
}

// base returns the path of the issuer ("" or "/t/acme"), which every link
// and form of its pages starts with: the server strips it before routing.
func base(iss gatehouse.Issuer) string {
	u, err := url.Parse(iss.URL)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(u.Path, "/")
}

// link returns the path of a page of iss with a query.
func link(iss gatehouse.Issuer, path string, query url.Values) string {
	p := base(iss) + path
	if len(query) > 0 {
		p += "?" + query.Encode()
	}
	return p
}

// redirect sends the browser to another of our pages (303: the next
// request is a GET whatever this one was).
func redirect(w http.ResponseWriter, location string) {
	w.Header().Set("Location", location)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusSeeOther)
}

// brand returns how the pages of a tenant look, or the platform's when t
// is nil.
func (l *Login) brand(t *gatehouse.Tenant) web.Brand {
	if t == nil {
		return web.Brand{Name: l.platform}
	}
	return web.Brand{
		Name:            t.Name,
		LogoURI:         t.Branding.LogoURI,
		LogoDarkURI:     t.Branding.LogoDarkURI,
		PrimaryColor:    t.Branding.PrimaryColor,
		BackgroundColor: t.Branding.BackgroundColor,
	}
}

// render writes a page and logs a rendering failure (a bug: the renderer
// has already answered 500).
func (l *Login) render(w http.ResponseWriter, r *http.Request, status int, p web.Page) {
	if err := l.pages.Render(w, status, p); err != nil {
		l.log.ErrorContext(r.Context(), "render page", "path", r.URL.Path, "err", err)
	}
}

// badLink is a failure of a link an application sent the browser with:
// status 400 and the title the pages share for it, with a message that
// says what is wrong.
func badLink(message string) *web.PageError {
	return &web.PageError{Status: http.StatusBadRequest, Title: "Something is wrong with this link", Message: message}
}

// The pages' own fixed failures; web builds the ones every page shares
// (web.InternalError, web.UnavailableError).
var (
	errBadRequest     = badLink("This request could not be read. Go back to the application and try again.")
	errNoClient       = badLink("The application that sent you here did not say who it is. Go back to it and try again.")
	errUnknownClient  = badLink("The application that sent you here is not registered. Ask its developer to check its client ID.")
	errRepeatedClient = badLink("The application that sent you here gave its client ID or redirect URI more than once.")
	errNoRedirect     = badLink("The application that sent you here did not say where to return. Ask its developer to send the redirect URI.")
	errBadRedirect    = badLink("The application that sent you here asked to return to an address it has not registered. Ask its developer to check its redirect URIs.")
	errWrongIssuer    = badLink("This application belongs to another organization and cannot sign in here.")
	errClientGone     = badLink("The application you were signing in to is no longer registered.")
	errBadHint        = badLink("The application that sent you here gave a sign-out request that is not valid.")
	errHintMismatch   = badLink("The application that sent you here gave a sign-out request for another application.")

	errTenantDisabled = &web.PageError{Status: http.StatusBadRequest, Title: "Sign-in is not available",
		Message: "The organization this application belongs to is not active."}
	errExpired = &web.PageError{Status: http.StatusBadRequest, Title: "This sign-in has expired",
		Message: "This sign-in request has expired or was already used. Go back to the application and start again."}
)

// storeError maps a store failure to the page shown for it and logs it.
// A value the store refused to keep is the request's fault, not the
// server's.
func (l *Login) storeError(r *http.Request, op string, err error) *web.PageError {
	switch {
	case gatehouse.IsCode(err, gatehouse.EUNAVAILABLE):
		l.log.WarnContext(r.Context(), op, "err", err)
		return web.UnavailableError()
	case gatehouse.IsCode(err, gatehouse.EINVALID):
		l.log.WarnContext(r.Context(), op, "err", err)
		return errBadRequest
	}
	l.log.ErrorContext(r.Context(), op, "err", err)
	return web.InternalError()
}

// renderError shows e on the tenant's page (the platform's when t is nil).
func (l *Login) renderError(w http.ResponseWriter, r *http.Request, iss gatehouse.Issuer, t *gatehouse.Tenant, e *web.PageError) {
	if t == nil {
		t = iss.Tenant
	}
	l.render(w, r, e.Status, e.Page(l.brand(t)))
}

// remoteIP returns the browser's address for audit and rate limits.
func (l *Login) remoteIP(r *http.Request) netip.Addr {
	if ip := l.clientIP(r.Context()); ip.IsValid() {
		return ip.Unmap()
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return ip.Unmap()
}

// maxUserAgent bounds what is kept of a User-Agent header.
const maxUserAgent = 256

func userAgent(r *http.Request) string {
	ua := r.UserAgent()
	if len(ua) > maxUserAgent {
		ua = ua[:maxUserAgent]
	}
	return strings.ToValidUTF8(ua, "")
}

// record queues an audit event about the browser's request. Details never
// hold a password, token or code.
func (l *Login) record(r *http.Request, tenantID, actor, action, target, result string, details map[string]string) {
	ip := ""
	if a := l.remoteIP(r); a.IsValid() {
		ip = a.String()
	}
	// The event must be queued even when the browser has gone away.
	l.audit.Record(context.WithoutCancel(r.Context()), gatehouse.AuditEvent{
		TenantID:  tenantID,
		Actor:     actor,
		Action:    action,
		Target:    target,
		Result:    result,
		IP:        ip,
		UserAgent: userAgent(r),
		Details:   details,
	})
}

func userActor(id string) string { return "user:" + id }
