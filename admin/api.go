package admin

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/token"
)

// API serves the management REST API under /api/v1: JSON in and out,
// authenticated by a server API key (and, for the dashboard, a session).
// Three endpoints take no credential by design: a widget's public settings
// (by install key), runtime token verification and the runtime JWKS.
type API struct {
	svc *Service
	log *slog.Logger

	runtime     *token.Runtime
	events      EventRecorder
	verifyLimit ipLimiter
	tenants     tenantStatus
}

// APIOptions are the dependencies of an API.
type APIOptions struct {
	Service *Service
	Logger  *slog.Logger
	// Runtime mints and verifies SDK runtime tokens; nil leaves the
	// runtime endpoints out.
	Runtime *token.Runtime
	// Events records the minting of runtime tokens without waiting; nil
	// records through the Service's Auditor, waiting for each event.
	Events EventRecorder
}

// NewAPI returns the API over a Service.
func NewAPI(o APIOptions) *API {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Events == nil && o.Service != nil {
		o.Events = auditorRecorder{audit: o.Service.audit, log: o.Logger}
	}
	return &API{svc: o.Service, log: o.Logger, runtime: o.Runtime, events: o.Events}
}

// Router is where the API registers its endpoints: the server's API route
// class.
type Router interface {
	HandleAPI(pattern string, h http.Handler)
}

// Register adds every endpoint of the API to r.
func (api *API) Register(r Router) {
	r.HandleAPI("GET /api/v1/apikeys", api.endpoint(gatehouse.APIScopeAPIKeysRead, api.listAPIKeys))
	r.HandleAPI("POST /api/v1/apikeys", api.endpoint(gatehouse.APIScopeAPIKeysWrite, api.createAPIKey))
	r.HandleAPI("DELETE /api/v1/apikeys/{id}", api.endpoint(gatehouse.APIScopeAPIKeysWrite, api.revokeAPIKey))
	api.registerInstall(r)
	if api.runtime != nil {
		api.registerRuntime(r)
	}
}

// Caller is who makes an API request, once authenticated.
type Caller struct {
	TenantID string
	Scopes   []string
	Actor    Actor
	// APIKey is the key used, nil for a dashboard session.
	APIKey *gatehouse.APIKey
}

// authenticate accepts a server API key in the Authorization header. A key
// is a backend's secret: a request that shows signs of coming from a
// browser (an Origin header, or the Sec-Fetch-* headers every current
// browser sends) is refused even with a valid key, so a key pasted into
// front-end code stops working at once instead of leaking quietly.
func (api *API) authenticate(r *http.Request) (*Caller, error) {
	auth := r.Header.Get("Authorization")
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
		Actor:    Actor{ID: "apikey:" + k.ID, IP: clientIP(r), UserAgent: r.UserAgent()},
	}, nil
}

// fromBrowser reports whether a request carries headers only browsers
// send.
func fromBrowser(r *http.Request) bool {
	return r.Header.Get("Origin") != "" || r.Header.Get("Sec-Fetch-Site") != "" || r.Header.Get("Sec-Fetch-Mode") != ""
}

func clientIP(r *http.Request) string {
	if ip := server.ClientIP(r.Context()); ip.IsValid() {
		return ip.String()
	}
	return ""
}

// endpoint wraps a handler with authentication, the scope check and error
// rendering. fn writes its success response; an error it returns is
// rendered as the API's JSON error.
func (api *API) endpoint(scope string, fn func(w http.ResponseWriter, r *http.Request, c *Caller) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := api.authenticate(r)
		if err == nil && !slices.Contains(c.Scopes, scope) {
			err = gatehouse.Errorf(gatehouse.EFORBIDDEN, "this key lacks the %s scope", scope)
		}
		if err == nil {
			server.AddLogAttrs(r.Context(), slog.String("actor", c.Actor.ID))
			err = fn(w, r, c)
		}
		if err != nil {
			api.writeError(w, r, err)
		}
	})
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
	}
	return http.StatusInternalServerError
}

// API-only error codes.
const (
	errMalformed    = "malformed"           // the body is not the JSON the endpoint takes
	errPrecondition = "precondition_failed" // If-Match did not match the current ETag
)

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

// decodeJSON reads one JSON object into v, refusing unknown fields (a
// misspelled field must not be silently ignored) and trailing data.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := "the body must be a JSON object"
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typ):
			return &gatehouse.Error{Code: gatehouse.EINVALID, Message: typ.Field + ": has the wrong type",
				Fields: []gatehouse.FieldError{{Field: typ.Field, Message: "must be a " + typ.Type.String()}}}
		case errors.As(err, &syn):
			msg = "the body is not valid JSON (at byte " + strconv.FormatInt(syn.Offset, 10) + ")"
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return &gatehouse.Error{Code: gatehouse.EINVALID, Message: field + ": is not a field of this object",
				Fields: []gatehouse.FieldError{{Field: field, Message: "is not a field of this object"}}}
		}
		return &gatehouse.Error{Code: errMalformed, Message: msg}
	}
	if dec.More() {
		return &gatehouse.Error{Code: errMalformed, Message: "the body must hold one JSON object"}
	}
	return nil
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
