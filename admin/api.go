package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/token"
)

// API serves the management REST API under /api/v1: JSON in and out,
// authenticated by a server API key or by the dashboard session of a
// tenant's owner or admin.
// A few endpoints take no credential by design: the OpenAPI document, a
// widget's public settings (by install key), runtime token verification,
// the runtime JWKS, and the client logos served from our origin.
type API struct {
	svc *Service
	log *slog.Logger

	runtime       *token.Runtime
	sessions      Sessions
	events        EventRecorder
	verifyLimit   ipLimiter
	tenants       tenantStatus
	tenantChanged func()
	openapi       []byte
}

// APIOptions are the dependencies of an API.
type APIOptions struct {
	Service *Service
	Logger  *slog.Logger
	// Runtime mints and verifies SDK runtime tokens; nil leaves the
	// runtime endpoints out.
	Runtime *token.Runtime
	// Sessions reads the browser sessions of the hosted pages, so that the
	// dashboard's owners and admins may call the API from its pages; nil
	// accepts server API keys only.
	Sessions Sessions
	// Events records the minting of runtime tokens without waiting; nil
	// records through the Service's Auditor, waiting for each event.
	Events EventRecorder
	// TenantChanged is called after a tenant's settings change through the
	// API (its name, branding or custom domains), so that caches of
	// tenants (the server's issuer resolution) drop their copy at once.
	// Nil does nothing: caches then expire on their own.
	TenantChanged func()
}

// NewAPI returns the API over a Service.
func NewAPI(o APIOptions) *API {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Events == nil && o.Service != nil {
		o.Events = auditorRecorder{audit: o.Service.audit, log: o.Logger}
	}
	if o.TenantChanged == nil {
		o.TenantChanged = func() {}
	}
	return &API{svc: o.Service, log: o.Logger, runtime: o.Runtime, sessions: o.Sessions, events: o.Events,
		tenantChanged: o.TenantChanged, openapi: OpenAPI()}
}

// Router is where the API registers its endpoints: the server's API route
// class, its variant for raw uploads, and the page class for the assets
// browsers load from our origin.
type Router interface {
	HandleAPI(pattern string, h http.Handler)
	HandleAPIUpload(pattern string, h http.Handler)
	HandlePage(pattern string, h http.Handler)
}

// Register adds every endpoint of the API to r, and under /api/v1/ an
// answer in the API's JSON for the requests no endpoint takes.
func (api *API) Register(router Router) {
	r := newRouteTable(router)
	r.HandleAPI("GET /api/v1/openapi.json", http.HandlerFunc(api.serveOpenAPI))
	api.registerClients(r)
	api.registerUsers(r)
	api.registerTenant(r)
	api.registerAudit(r)
	r.HandleAPI("GET /api/v1/apikeys", api.endpoint(gatehouse.APIScopeAPIKeysRead, api.listAPIKeys))
	r.HandleAPI("POST /api/v1/apikeys", api.endpoint(gatehouse.APIScopeAPIKeysWrite, api.createAPIKey))
	r.HandleAPI("GET /api/v1/apikeys/{id}", api.endpoint(gatehouse.APIScopeAPIKeysRead, api.getAPIKey))
	r.HandleAPI("DELETE /api/v1/apikeys/{id}", api.endpoint(gatehouse.APIScopeAPIKeysWrite, api.revokeAPIKey))
	api.registerInstall(r)
	if api.runtime != nil {
		api.registerRuntime(r)
	}
	router.HandleAPI(apiPrefix, r)
}

// Sessions tells who is signed in on the hosted pages (login.Login).
type Sessions interface {
	// HasSessionCookie reports whether the request carries a session
	// cookie of its issuer, without reading the store.
	HasSessionCookie(r *http.Request) bool
	// SignedIn returns the browser's active session and its active user
	// on the request's issuer; nil, nil, nil when nobody is signed in.
	SignedIn(r *http.Request) (*gatehouse.Session, *gatehouse.User, error)
}

// Caller is who makes an API request, once authenticated.
type Caller struct {
	TenantID string
	Scopes   []string
	Actor    Actor
	// APIKey is the key used, nil for a dashboard session.
	APIKey *gatehouse.APIKey
	// User is the signed-in owner or admin of a dashboard session, nil
	// for an API key.
	User *gatehouse.User
}

// kind names the caller's credential in messages.
func (c *Caller) kind() string {
	if c.User != nil {
		return "dashboard session"
	}
	return "key"
}

// authenticate accepts a server API key in the Authorization header or,
// without one, a dashboard session (sessionCaller). A key is a backend's
// secret: a request that shows signs of coming from a browser (an Origin
// header, or the Sec-Fetch-* headers every current browser sends) is
// refused even with a valid key, so a key pasted into front-end code stops
// working at once instead of leaking quietly.
func (api *API) authenticate(r *http.Request) (*Caller, error) {
	auth := r.Header.Get("Authorization")
	if auth == "" && api.sessions != nil && api.sessions.HasSessionCookie(r) {
		return api.sessionCaller(r)
	}
	scheme, value, ok := strings.Cut(auth, " ")
	if auth == "" || !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(value) == "" {
		return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "send a server API key as Authorization: Bearer <key>")
	}
	if fromBrowser(r) {
		return nil, gatehouse.Errorf(gatehouse.EFORBIDDEN, "server API keys must not be used from a browser; call the API from your backend")
	}
	k, err := api.svc.AuthenticateAPIKey(r.Context(), strings.TrimSpace(value))
	if err != nil {
		return nil, err
	}
	return &Caller{
		TenantID: k.TenantID,
		Scopes:   k.Scopes,
		APIKey:   k,
		Actor:    Actor{ID: "apikey:" + k.ID, IP: clientIP(r), UserAgent: userAgent(r)},
	}, nil
}

// sessionCaller authenticates a request by its dashboard session: the
// signed-in user must be an owner or admin of the tenant (on the platform
// issuer, of the user's own tenant, as on the dashboard), and acts as
// "user:<id>" with every API scope of the tenant but the platform's. A
// cookie is sent by the browser on its own, so a request it authenticates
// must come from the issuer's own pages: its Sec-Fetch-Site must say
// same-origin, and its Origin, when sent, must be the issuer's. That
// holds for reads too, so no other site can read answers through the
// user's browser either.
func (api *API) sessionCaller(r *http.Request) (*Caller, error) {
	iss, err := requestIssuer(r)
	if err != nil {
		return nil, err
	}
	if !sameOrigin(r, iss) {
		return nil, gatehouse.Errorf(gatehouse.EFORBIDDEN,
			"a dashboard session may call the API only from the issuer's own pages (same origin); a backend sends a server API key")
	}
	_, user, err := api.sessions.SignedIn(r)
	if err != nil {
		return nil, fmt.Errorf("read the dashboard session: %w", err)
	}
	if user == nil {
		return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED,
			"the session has ended or belongs to another issuer; sign in again, or send a server API key as Authorization: Bearer <key>")
	}
	if !dashboardAccess(user.Roles) {
		return nil, gatehouse.Errorf(gatehouse.EFORBIDDEN, "the API is open to the owners and admins of the tenant; the signed-in user is neither")
	}
	return &Caller{
		TenantID: user.TenantID,
		Scopes:   sessionScopes(),
		User:     user,
		Actor:    Actor{ID: userActorPrefix + user.ID, IP: clientIP(r), UserAgent: userAgent(r)},
	}, nil
}

// sessionScopes are the scopes of a dashboard session: every API scope
// but the platform's, which only keys of the platform's tenant hold.
func sessionScopes() []string {
	var out []string
	for _, sc := range gatehouse.APIScopes() {
		if !gatehouse.IsPlatformScope(sc) {
			out = append(out, sc)
		}
	}
	return out
}

// sameOrigin reports whether a browser says the request comes from a page
// of the issuer's origin: Sec-Fetch-Site is "same-origin" (a request
// without it is not taken for one), and an Origin header, when present,
// is the issuer's origin exactly.
func sameOrigin(r *http.Request, iss gatehouse.Issuer) bool {
	if r.Header.Get("Sec-Fetch-Site") != "same-origin" {
		return false
	}
	origin := r.Header.Values("Origin")
	switch len(origin) {
	case 0:
		return true
	case 1:
		u, err := url.Parse(iss.URL)
		// Host names compare without regard to case; browsers send them
		// in lower case, a configured issuer may not be.
		return err == nil && strings.EqualFold(origin[0], u.Scheme+"://"+u.Host)
	}
	return false
}

// fromBrowser reports whether a request carries headers only browsers
// send.
func fromBrowser(r *http.Request) bool {
	return r.Header.Get("Origin") != "" || r.Header.Get("Sec-Fetch-Site") != "" || r.Header.Get("Sec-Fetch-Mode") != ""
}

// maxUserAgent bounds what the audit log keeps of a User-Agent header.
const maxUserAgent = 256

func userAgent(r *http.Request) string {
	ua := r.UserAgent()
	if len(ua) > maxUserAgent {
		ua = ua[:maxUserAgent]
	}
	return strings.ToValidUTF8(ua, "")
}

func clientIP(r *http.Request) string {
	if ip := server.ClientIP(r.Context()); ip.IsValid() {
		return ip.String()
	}
	return ""
}

// endpoint wraps a handler with authentication, the scope check and error
// rendering. The key must belong to the tenant of the issuer the request
// came to (any tenant at the platform issuer), and its tenant must be
// active. fn writes its success response; an error it returns is rendered
// as the API's JSON error.
// handlerFunc is an endpoint's work, given the authenticated caller.
type handlerFunc = func(w http.ResponseWriter, r *http.Request, c *Caller) error

// scoped returns a maker of endpoints that need scope, for a resource's
// routes.
func (api *API) scoped(scope string) func(handlerFunc) http.Handler {
	return func(fn handlerFunc) http.Handler { return api.endpoint(scope, fn) }
}

func (api *API) endpoint(scope string, fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := api.caller(r, scope)
		if err == nil {
			server.AddLogAttrs(r.Context(), slog.String("actor", c.Actor.ID))
			err = fn(w, r, c)
		}
		if err != nil {
			api.writeError(w, r, err)
		}
	})
}

// platformEndpoint is endpoint for the platform's operations: the key's
// tenant must also be marked as the platform's own.
func (api *API) platformEndpoint(scope string, fn handlerFunc) http.Handler {
	return api.endpoint(scope, func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		ok, err := api.svc.store.IsPlatformAdmin(r.Context(), c.TenantID)
		if err != nil {
			return err
		}
		if !ok {
			return gatehouse.Errorf(gatehouse.EFORBIDDEN, "this key's tenant does not administer the platform")
		}
		return fn(w, r, c)
	})
}

// caller authenticates the request and checks that it may act with scope.
func (api *API) caller(r *http.Request, scope string) (*Caller, error) {
	c, err := api.authenticate(r)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(c.Scopes, scope) {
		return nil, gatehouse.Errorf(gatehouse.EFORBIDDEN, "this %s lacks the %s scope", c.kind(), scope)
	}
	ctx := r.Context()
	iss, ok := gatehouse.IssuerFrom(ctx)
	if !ok {
		return nil, gatehouse.Errorf(gatehouse.EINTERNAL, "no issuer resolved for the request")
	}
	if !iss.Admits(c.TenantID) {
		return nil, gatehouse.Errorf(gatehouse.EFORBIDDEN, "this %s belongs to another tenant than this issuer", c.kind())
	}
	active, err := api.tenants.active(ctx, api.svc.store, c.TenantID, api.svc.clock())
	if err != nil {
		return nil, err
	}
	if !active {
		return nil, gatehouse.Errorf(gatehouse.EFORBIDDEN, "the tenant is disabled")
	}
	return c, nil
}

// errorDoc is the body of every API error: a stable code, a message safe to
// show, and for validation errors each offending field.
type errorDoc struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code    string                 `json:"code"`
	Message string                 `json:"message"`
	Fields  []gatehouse.FieldError `json:"fields,omitempty"`
}

// statusOf maps a domain error code to its HTTP status.
func statusOf(code string) int {
	switch code {
	case gatehouse.EINVALID:
		return http.StatusUnprocessableEntity
	case gatehouse.ENOTFOUND:
		return http.StatusNotFound
	case gatehouse.ECONFLICT:
		return http.StatusConflict
	case gatehouse.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case gatehouse.EFORBIDDEN:
		return http.StatusForbidden
	case gatehouse.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case gatehouse.ENOTSUPPORTED:
		return http.StatusNotImplemented
	case errMalformed:
		return http.StatusBadRequest
	case errPrecondition:
		return http.StatusPreconditionFailed
	case errPreconditionRequired:
		return http.StatusPreconditionRequired
	case errTooLarge:
		return http.StatusRequestEntityTooLarge
	case errUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	}
	return http.StatusInternalServerError
}

// API-only error codes.
const (
	errMalformed            = "malformed"              // the body is not the JSON the endpoint takes
	errPrecondition         = "precondition_failed"    // If-Match did not match the current ETag
	errPreconditionRequired = "precondition_required"  // a change that needs If-Match came without one
	errTooLarge             = "too_large"              // an upload is over its size limit
	errUnsupportedMedia     = "unsupported_media_type" // an upload is not of a type the endpoint takes
	errRateLimited          = "rate_limited"           // too many requests from one address
)

// ErrorCodes lists every code an API error may carry, for the docs.
func ErrorCodes() []string {
	return []string{
		gatehouse.EINVALID, errMalformed, gatehouse.EUNAUTHORIZED, gatehouse.EFORBIDDEN, gatehouse.ENOTFOUND,
		gatehouse.ECONFLICT, errPrecondition, errPreconditionRequired, errTooLarge, errUnsupportedMedia,
		errRateLimited, gatehouse.EINTERNAL, gatehouse.EUNAVAILABLE, gatehouse.ENOTSUPPORTED,
	}
}

func (api *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := gatehouse.ErrorCode(err)
	body := errorBody{Code: code, Message: gatehouse.ErrorMessage(err)}
	var e *gatehouse.Error
	if errors.As(err, &e) {
		body.Fields = e.Fields
	}
	status := statusOf(code)
	if status >= 500 {
		api.log.ErrorContext(r.Context(), "management API", "err", err, "request_id", server.RequestID(r.Context()))
		if code == gatehouse.EINTERNAL {
			body.Message = "internal error; the request id is in the X-Request-Id header"
		}
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
	}
	writeJSON(w, status, errorDoc{Error: body})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":{"code":"internal","message":"internal error"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// maxJSONBody bounds request bodies of the API.
const maxJSONBody = 256 << 10

// readBody reads the body of a request, which must not be longer than
// maxJSONBody.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxJSONBody+1))
	switch {
	case err != nil:
		return nil, &gatehouse.Error{Code: errMalformed, Message: "the body could not be read"}
	case len(b) > maxJSONBody:
		return nil, &gatehouse.Error{Code: errMalformed,
			Message: "the body must be at most " + strconv.Itoa(maxJSONBody>>10) + " KiB"}
	}
	return b, nil
}

// decodeJSON reads one JSON object into v, refusing unknown fields (a
// misspelled field must not be silently ignored), a member given twice
// and trailing data.
func decodeJSON(r *http.Request, v any) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeObject(b, v)
}

// decodeObject is decodeJSON for a body already read.
func decodeObject(b []byte, v any) error {
	// encoding/json would take null for an empty object, and report a
	// string or a list as a type error of no field.
	if body := bytes.TrimLeft(b, jsonSpace); len(body) == 0 || body[0] != '{' {
		return &gatehouse.Error{Code: errMalformed, Message: "the body must be a JSON object"}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := "the body must be a JSON object"
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typ) && typ.Field != "":
			return &gatehouse.Error{Code: gatehouse.EINVALID, Message: typ.Field + ": has the wrong type",
				Fields: []gatehouse.FieldError{{Field: typ.Field, Message: "must be " + jsonType(typ.Type)}}}
		case errors.As(err, &syn):
			msg = "the body is not valid JSON (at byte " + strconv.FormatInt(syn.Offset, 10) + ")"
		case strings.HasPrefix(err.Error(), unknownFieldPrefix):
			return unknownField(strings.TrimPrefix(err.Error(), unknownFieldPrefix))
		}
		return &gatehouse.Error{Code: errMalformed, Message: msg}
	}
	// RFC 8259 §2: only whitespace may follow the value. Decoder.More
	// does not look past a stray "}" or "]".
	if len(bytes.TrimLeft(b[dec.InputOffset():], jsonSpace)) > 0 {
		return &gatehouse.Error{Code: errMalformed, Message: "the body must hold one JSON object"}
	}
	if path, ok := repeatedMember(b); ok {
		return &gatehouse.Error{Code: gatehouse.EINVALID, Message: path + ": is given more than once",
			Fields: []gatehouse.FieldError{{Field: path, Message: "is given more than once"}}}
	}
	return nil
}

// jsonSpace is the whitespace of RFC 8259 §2.
const jsonSpace = " \t\r\n"

// unknownFieldPrefix starts the error encoding/json reports an unknown
// field with, followed by the name quoted as Go quotes it (%q).
const unknownFieldPrefix = "json: unknown field "

// maxFieldName bounds a member name repeated in an error.
const maxFieldName = 100

// unknownField is the error for a member that is no field of its object;
// quoted is its name as encoding/json's error gives it.
func unknownField(quoted string) error {
	name, err := strconv.Unquote(quoted)
	if err != nil {
		name = quoted
	}
	if name == "" {
		return &gatehouse.Error{Code: gatehouse.EINVALID,
			Message: "the body has a member with an empty name, which is not a field of this object"}
	}
	name = truncateRunes(strings.ToValidUTF8(name, "\uFFFD"), maxFieldName)
	return &gatehouse.Error{Code: gatehouse.EINVALID, Message: name + ": is not a field of this object",
		Fields: []gatehouse.FieldError{{Field: name, Message: "is not a field of this object"}}}
}

// repeatedMember returns the path ("config.redirect_uris", "roles[2]")
// of the first member of an object in the JSON text b whose name an
// earlier member of the same object has: encoding/json would keep the
// last value and drop the others unsaid. b must be valid JSON.
func repeatedMember(b []byte) (string, bool) {
	type level struct {
		// names are those seen so far in an object; nil in an array.
		names map[string]bool
		path  string
		// name is the member being read; index the element.
		name     string
		index    int
		wantName bool
	}
	var stack []*level
	child := func() string {
		if len(stack) == 0 {
			return ""
		}
		top := stack[len(stack)-1]
		if top.names == nil {
			return top.path + "[" + strconv.Itoa(top.index) + "]"
		}
		if top.path == "" {
			return top.name
		}
		return top.path + "." + top.name
	}
	valueDone := func() {
		if len(stack) == 0 {
			return
		}
		top := stack[len(stack)-1]
		if top.names == nil {
			top.index++
		} else {
			top.wantName = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		if n := len(stack); n > 0 && stack[n-1].wantName {
			top := stack[n-1]
			name, ok := tok.(string)
			if !ok {
				// The object's closing brace.
				stack = stack[:n-1]
				valueDone()
				continue
			}
			top.name, top.wantName = name, false
			if top.names[name] {
				return truncateRunes(strings.ToValidUTF8(child(), "\uFFFD"), maxFieldName), true
			}
			top.names[name] = true
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &level{names: map[string]bool{}, path: child(), wantName: true})
		case json.Delim('['):
			stack = append(stack, &level{path: child()})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
		if len(stack) == 0 {
			return "", false
		}
	}
}

// jsonType names the JSON value a Go type decodes from, for a message.
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number in range"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct:
		if t == reflect.TypeFor[time.Time]() {
			return "a time such as 2026-11-05T09:30:00Z"
		}
		return "an object"
	case reflect.Map:
		return "an object"
	}
	return "of another type"
}

// page reads ?limit= and ?cursor=.
func page(r *http.Request) (gatehouse.ListOptions, error) {
	opt := gatehouse.ListOptions{Cursor: r.URL.Query().Get("cursor")}
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return opt, &gatehouse.Error{Code: gatehouse.EINVALID, Message: "limit: must be between 1 and 1000",
				Fields: []gatehouse.FieldError{{Field: "limit", Message: "must be between 1 and 1000"}}}
		}
		opt.Limit = n
	}
	return opt, nil
}

// listDoc is a page of a list.
type listDoc[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}
