package login

import (
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/oauth"
	"github.com/gatehouse-id/gatehouse/web"
)

// Error codes of OpenID Connect Core §3.1.2.6 that the oauth package has
// no constructor for: the authorization endpoint is their only user.
const (
	codeRequestNotSupported    = "request_not_supported"
	codeRequestURINotSupported = "request_uri_not_supported"
)

// Values of the prompt parameter (OpenID Connect Core §3.1.2.1).
const (
	promptNone          = "none"
	promptLogin         = "login"
	promptConsent       = "consent"
	promptSelectAccount = "select_account"
)

// Bounds on parameters that are stored with a pending request, so a
// request cannot make a large row. Longer values are invalid_request.
var maxParamLen = map[string]int{
	"state":          2048,
	"nonce":          512,
	"login_hint":     320,
	"ui_locales":     256,
	"claims_locales": 256,
	"acr_values":     256,
	"display":        32,
	"prompt":         64,
	"max_age":        10,
	"response_mode":  32,
	"scope":          1024,
	"id_token_hint":  16 << 10,
}

// storedParams are the parameters kept as they came with a pending
// request; the others are checked against fixed values first.
var storedParams = []string{"state", "nonce", "login_hint", "ui_locales", "acr_values"}

// maxMaxAge is the largest max_age kept: a session never lives that long,
// so a larger one asks for nothing more, and PostgreSQL keeps max_age in
// an integer column.
const maxMaxAge = math.MaxInt32

// maxClientIDLen and maxRedirectURILen bound the two values checked before
// anything else.
const (
	maxClientIDLen    = 256
	maxRedirectURILen = 2048
)

// flow is an authorization request being served: its issuer, client and
// tenant, the request itself (stored once the user has to act), and where
// responses go.
type flow struct {
	iss    gatehouse.Issuer
	tenant *gatehouse.Tenant
	client *gatehouse.Client
	req    *gatehouse.AuthRequest
	// stored is set once req is in the store; handle names it to the
	// browser.
	stored bool
	// target is the validated redirect URI: req.RedirectURI, or the
	// client's only registered one when the request gave none.
	target string
}

// handle is how the browser names a stored request: its tenant and its
// random id.
func (f *flow) handle() string { return f.req.TenantID + "." + f.req.ID }

// splitHandle parses a handle; ok is false for anything malformed.
func splitHandle(h string) (tenantID, id string, ok bool) {
	if len(h) > 128 {
		return "", "", false
	}
	tenantID, id, ok = strings.Cut(h, ".")
	return tenantID, id, ok && tenantID != "" && id != "" && gatehouse.StorableText(h)
}

// has reports whether the request asked for a prompt value.
func (f *flow) has(prompt string) bool { return slices.Contains(f.req.Prompt, prompt) }

// serveAuthorize is the authorization endpoint, GET and POST (OpenID
// Connect Core §3.1.2.1).
func (l *Login) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	iss, p, ok := l.endpointParams(w, r, pathAuthorize)
	if !ok {
		return
	}
	f, perr := l.checkClient(r, iss, p)
	if perr != nil {
		var t *gatehouse.Tenant
		if f != nil {
			t = f.tenant
		}
		l.renderError(w, r, iss, t, perr)
		return
	}
	if oerr := l.checkRequest(f, p); oerr != nil {
		l.redirectError(w, r, f, oerr)
		return
	}
	sess, err := l.currentSession(r, iss)
	if err != nil {
		l.renderError(w, r, iss, f.tenant, l.storeError(r, "read session", err))
		return
	}
	d, err := l.decide(r, f, sess, false)
	if err != nil {
		l.renderError(w, r, iss, f.tenant, l.storeError(r, "authorize", err))
		return
	}
	if f.has(promptNone) {
		// OpenID Connect Core §3.1.2.6: no page may be shown.
		switch d.step {
		case stepIssue:
			l.issue(w, r, f, d)
		case stepConsent:
			l.redirectError(w, r, f, oauth.ConsentRequired("the user has not consented to this client"))
		default:
			l.redirectError(w, r, f, oauth.LoginRequired("the user is not signed in"))
		}
		return
	}
	if d.step == stepIssue {
		// A usable session and consent on record: nothing to ask, nothing
		// to store.
		l.issue(w, r, f, d)
		return
	}
	now := l.clock()
	f.req.ID = newRequestID()
	f.req.Issuer = iss.URL
	f.req.CreatedAt = now
	f.req.ExpiresAt = now.Add(gatehouse.AuthRequestTTL)
	if err := l.store.CreateAuthRequest(r.Context(), f.req); err != nil {
		l.renderError(w, r, iss, f.tenant, l.storeError(r, "create authorization request", err))
		return
	}
	f.stored = true
	next := pathSignIn
	if d.step == stepConsent {
		next = pathConsent
	}
	redirect(w, link(iss, next, url.Values{"request": {f.handle()}}))
}

// newRequestID returns the random part of a request handle: 128 bits,
// since the handle is all the browser shows to continue a request.
func newRequestID() string { return secret.Token(16) }

// checkClient validates what must be right before anything is sent back to
// the client (RFC 6749 §4.1.2.1): the client and the redirect URI. Any
// failure is shown on an error page, never redirected. The flow it returns
// on failure carries the tenant when known, for branding.
func (l *Login) checkClient(r *http.Request, iss gatehouse.Issuer, p params) (*flow, *web.PageError) {
	clientID, rep1 := p.get("client_id")
	redirectURI, rep2 := p.get("redirect_uri")
	switch {
	case rep1 || rep2:
		return nil, errRepeatedClient
	case clientID == "":
		return nil, errNoClient
	case len(clientID) > maxClientIDLen, !gatehouse.StorableText(clientID):
		return nil, errUnknownClient
	case len(redirectURI) > maxRedirectURILen:
		return nil, errBadRedirect
	}
	client, err := l.store.GetClientByClientID(r.Context(), clientID)
	if gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		return nil, errUnknownClient
	}
	if err != nil {
		return nil, l.storeError(r, "get client", err)
	}
	cred, ok := client.Credential(clientID)
	if !ok || cred.Expired(l.clock()) {
		return nil, errUnknownClient
	}
	if !iss.Admits(client.TenantID) {
		// A tenant issuer never serves another tenant's client.
		return nil, errWrongIssuer
	}
	tenant, err := l.tenant(r.Context(), iss, client.TenantID)
	if err != nil {
		return nil, l.storeError(r, "get tenant", err)
	}
	f := &flow{iss: iss, tenant: tenant, client: client}
	if tenant.Status != gatehouse.StatusActive {
		return f, errTenantDisabled
	}
	target, perr := redirectTarget(client, redirectURI)
	if perr != nil {
		return f, perr
	}
	f.target = target
	f.req = &gatehouse.AuthRequest{
		TenantID:    client.TenantID,
		Client:      client.ID,
		ClientID:    clientID,
		RedirectURI: redirectURI,
		MaxAge:      -1,
	}
	return f, nil
}

// redirectTarget returns where responses go: the given redirect URI when
// registered exactly (RFC 9700 §2.1, query included), or the client's only
// registered one when none was given (RFC 6749 §3.1.2.3).
func redirectTarget(c *gatehouse.Client, given string) (string, *web.PageError) {
	if given == "" {
		if len(c.RedirectURIs) != 1 {
			return "", errNoRedirect
		}
		return c.RedirectURIs[0], nil
	}
	if !c.HasRedirectURI(given) {
		return "", errBadRedirect
	}
	return given, nil
}

// checkRequest validates the rest of the request and fills f.req. Its
// errors are redirected to the client. The state and response mode are
// read first, so that every later error can be delivered as asked.
func (l *Login) checkRequest(f *flow, p params) *oauth.Error {
	req := f.req
	req.State = p.one("state")
	if len(req.State) > maxParamLen["state"] {
		// Refused below; not echoed either.
		req.State = ""
	}
	mode, modeRepeated := p.get("response_mode")
	if oauth.CheckResponseMode(mode) == nil && !modeRepeated {
		req.ResponseMode = mode
	}
	if req.ResponseMode == "" {
		req.ResponseMode = oauth.ResponseModeQuery
	}
	if name := p.repeated(); name != "" {
		return oauth.InvalidRequest("parameter %s is repeated", paramName(name))
	}
	if err := oauth.CheckResponseMode(mode); err != nil {
		req.ResponseMode = oauth.ResponseModeQuery
		return oauth.ErrorFrom(err)
	}
	for name, max := range maxParamLen {
		if len(p.one(name)) > max {
			return oauth.InvalidRequest("parameter %s is too long", name)
		}
	}
	for _, name := range storedParams {
		if !gatehouse.StorableText(p.one(name)) {
			return oauth.InvalidRequest("parameter %s must be UTF-8 text without NUL characters", name)
		}
	}
	if p.one("request") != "" {
		return &oauth.Error{Code: codeRequestNotSupported, Description: "request objects are not supported"}
	}
	if p.one("request_uri") != "" {
		return &oauth.Error{Code: codeRequestURINotSupported, Description: "request_uri is not supported"}
	}
	switch rt := p.one("response_type"); rt {
	case "":
		return oauth.InvalidRequest("response_type is required")
	case "code":
	default:
		return oauth.UnsupportedResponseType("only response_type=code is supported")
	}
	if !f.client.HasGrant(gatehouse.GrantAuthorizationCode) {
		return oauth.UnauthorizedClient("the client may not use the authorization code flow")
	}
	if e := l.checkScopes(f, p.one("scope")); e != nil {
		return e
	}
	if e := checkPKCE(f, p); e != nil {
		return e
	}
	if e := checkPrompt(req, p.one("prompt")); e != nil {
		return e
	}
	if s := p.one("max_age"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || strings.HasPrefix(s, "+") {
			return oauth.InvalidRequest("max_age must be a number of seconds")
		}
		req.MaxAge = min(n, maxMaxAge)
	}
	if raw := p.one("id_token_hint"); raw != "" {
		claims, err := l.tokens.VerifyIDTokenHint(raw, f.iss.URL)
		if err != nil {
			if gatehouse.IsCode(err, gatehouse.EUNAVAILABLE) {
				return oauth.TemporarilyUnavailable("try again later")
			}
			return oauth.InvalidRequest("id_token_hint is not a valid ID token of this issuer")
		}
		req.IDTokenHintSubject = claims.Subject
	}
	req.Nonce = p.one("nonce")
	req.LoginHint = p.one("login_hint")
	req.UILocales = p.one("ui_locales")
	req.ACRValues = p.one("acr_values")
	// display and claims_locales are accepted and have no effect: the
	// pages are responsive and in one language.
	return nil
}

// paramName shortens an untrusted parameter name for a description.
func paramName(name string) string {
	if len(name) > 40 {
		return name[:40] + "..."
	}
	return name
}

// checkScopes parses the scope parameter: every scope must be available
// today (a planned or unknown one is invalid_scope, PRODUCT.md §1) and
// allowed for the client. Order and repeats do not matter.
func (l *Login) checkScopes(f *flow, raw string) *oauth.Error {
	scopes := gatehouse.ParseScope(raw)
	if len(scopes) == 0 {
		return oauth.InvalidRequest("scope is required")
	}
	for _, s := range scopes {
		if err := l.scopes.Check(s); err != nil {
			if gatehouse.IsCode(err, gatehouse.ENOTSUPPORTED) {
				return oauth.InvalidScope("scope %s is not available yet", paramName(s))
			}
			return oauth.InvalidScope("unknown scope %s", paramName(s))
		}
		if !f.client.HasScope(s) {
			return oauth.InvalidScope("the client may not request scope %s", paramName(s))
		}
	}
	f.req.Scopes = scopes
	return nil
}

// checkPKCE applies RFC 7636 as RFC 9700 §2.1.1 asks: S256 only (a
// challenge without a method means plain, which is refused), and
// required from public clients.
func checkPKCE(f *flow, p params) *oauth.Error {
	challenge, method := p.one("code_challenge"), p.one("code_challenge_method")
	switch {
	case challenge == "" && method != "":
		return oauth.InvalidRequest("code_challenge_method was sent without code_challenge")
	case challenge == "" && f.client.IsPublic():
		return oauth.InvalidRequest("PKCE is required: send code_challenge with code_challenge_method=S256")
	case challenge == "":
		return nil
	case method == "":
		return oauth.InvalidRequest("code_challenge_method is required and must be S256 (plain is not supported)")
	case method != oauth.CodeChallengeMethodS256:
		return oauth.InvalidRequest("code_challenge_method must be S256")
	}
	if err := oauth.CheckChallenge(challenge); err != nil {
		return oauth.ErrorFrom(err)
	}
	f.req.CodeChallenge, f.req.CodeChallengeMethod = challenge, oauth.CodeChallengeMethodS256
	return nil
}

// checkPrompt parses prompt: none, login, consent and select_account (which
// is served like login: the sign-in form is where an account is chosen);
// none with anything else is invalid (OpenID Connect Core §3.1.2.1).
func checkPrompt(req *gatehouse.AuthRequest, raw string) *oauth.Error {
	var prompts []string
	for _, v := range strings.Fields(raw) {
		switch v {
		case promptNone, promptLogin, promptConsent, promptSelectAccount:
		default:
			return oauth.InvalidRequest("prompt %s is not supported", paramName(v))
		}
		if !slices.Contains(prompts, v) {
			prompts = append(prompts, v)
		}
	}
	if slices.Contains(prompts, promptNone) && len(prompts) > 1 {
		return oauth.InvalidRequest("prompt=none cannot be combined with another value")
	}
	slices.Sort(prompts)
	req.Prompt = prompts
	return nil
}

// endpointParams starts an endpoint that relying parties send the browser
// to with GET or a cross-site POST (authorization, logout): it returns
// the issuer and the request's parameters, or false when it answered.
//
// A relying party's cross-site POST carries no SameSite=Lax cookie, so
// the session would look absent. Going on as a GET of path, a top-level
// navigation that does carry it, gives the same answer as a GET request
// would have.
func (l *Login) endpointParams(w http.ResponseWriter, r *http.Request, path string) (gatehouse.Issuer, params, bool) {
	iss, ok := l.issuer(w, r)
	if !ok {
		return iss, nil, false
	}
	p, err := readParams(r)
	if err != nil {
		l.renderError(w, r, iss, nil, errBadRequest)
		return iss, nil, false
	}
	if r.Method == http.MethodPost && sessionCookie(r, iss) == "" {
		redirect(w, base(iss)+path+"?"+p.encode())
		return iss, nil, false
	}
	return iss, p, true
}

// redirectError sends an error response to the client's validated
// redirect URI, with error_description, state and iss; if that cannot be
// done, it shows an error page instead.
func (l *Login) redirectError(w http.ResponseWriter, r *http.Request, f *flow, e *oauth.Error) {
	l.respond(w, r, f, "authorization error response", oauth.ErrorParams(e, f.req.State, f.iss.URL))
}

// respond sends the authorization response v (what names it for the
// log) to the client's validated redirect URI, in the response mode
// the request asked for; if that cannot be done, it shows an error page
// instead.
func (l *Login) respond(w http.ResponseWriter, r *http.Request, f *flow, what string, v url.Values) {
	err := oauth.WriteAuthorizeResponse(w, r, oauth.AuthorizeResponse{
		RedirectURI:  f.target,
		ResponseMode: f.req.ResponseMode,
		Params:       v,
	})
	if err != nil {
		l.log.WarnContext(r.Context(), what, "err", err)
		l.renderError(w, r, f.iss, f.tenant, errBadRedirect)
	}
}
