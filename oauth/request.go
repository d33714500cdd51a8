package oauth

import (
	"encoding/base64"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// MaxFormBody bounds the body ParseForm reads. Token, revocation and
// introspection requests are a few hundred bytes; an assertion grant a
// few kilobytes.
const MaxFormBody = 64 << 10

// Bounds on client credentials: longer ones are refused before any
// lookup.
const (
	maxClientID     = 256
	maxClientSecret = 512
)

// Client authentication methods (RFC 6749 §2.3.1, OpenID Connect Core
// §9), as token_endpoint_auth_methods_supported names them.
const (
	AuthMethodBasic = "client_secret_basic"
	AuthMethodPost  = "client_secret_post"
	AuthMethodNone  = "none"
)

const formContentType = "application/x-www-form-urlencoded"

// isForm reports whether the request's content type is a URL-encoded
// form, parameters such as charset aside.
func isForm(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == formContentType
}

// ParseForm reads the body of a token, revocation or introspection
// request (RFC 6749 §3.2) into r.PostForm and r.Form: POST only, content
// type application/x-www-form-urlencoded, at most MaxFormBody bytes. The
// query string is left out of r.Form, so that no parameter can come from
// a URL. A parameter without a value counts as absent and is dropped (RFC
// 6749 §3.1); one given twice is refused. Every failure is
// invalid_request. When r.PostForm was already parsed, it only checks it.
func ParseForm(r *http.Request) error {
	if r.Method != http.MethodPost {
		return InvalidRequest("the request must use POST")
	}
	if !isForm(r) {
		return InvalidRequest("the request body must be application/x-www-form-urlencoded")
	}
	return readForm(r)
}

// readForm parses the body of a POST form into r.PostForm and r.Form,
// unless it was parsed before, and checks the parameters.
func readForm(r *http.Request) error {
	if r.PostForm == nil {
		var body []byte
		if r.Body != nil {
			var err error
			body, err = io.ReadAll(io.LimitReader(r.Body, MaxFormBody+1))
			if err != nil {
				return InvalidRequest("the request body could not be read")
			}
		}
		if len(body) > MaxFormBody {
			return InvalidRequest("the request body is too large")
		}
		v, err := url.ParseQuery(string(body))
		if err != nil {
			return InvalidRequest("the request body is not a valid form")
		}
		r.PostForm = v
		r.Form = v
	}
	return checkParams(r.PostForm)
}

// checkParams drops parameters without a value and refuses repeated ones
// (RFC 6749 §3.1).
func checkParams(v url.Values) error {
	for name, values := range v {
		kept := values[:0]
		for _, s := range values {
			if s != "" {
				kept = append(kept, s)
			}
		}
		switch len(kept) {
		case 0:
			delete(v, name)
		case 1:
			v[name] = kept
		default:
			return InvalidRequest("parameter %s is repeated", paramName(name))
		}
	}
	return nil
}

// paramName shortens an untrusted parameter name for a description.
func paramName(name string) string {
	const max = 40
	if len(name) > max {
		return name[:max] + "..."
	}
	return name
}

// ClientAuth is how a client authenticated a request (RFC 6749 §2.3.1):
// who it says it is, its secret, and the method, one of AuthMethodBasic,
// AuthMethodPost and AuthMethodNone (client_id alone, for a public
// client). Checking the secret is the caller's work; the secret must
// never be logged.
type ClientAuth struct {
	ClientID string
	Secret   string
	Method   string
}

// ParseClientAuth reads the client credentials of a token, revocation or
// introspection request: HTTP Basic (the client id and secret are
// form-urlencoded inside, RFC 6749 §2.3.1), client_id and client_secret in
// the form body, or client_id alone (method none). It parses the body
// with ParseForm when r.PostForm is nil. It returns
//
//   - invalid_request when credentials come in the query string, when a
//     parameter is repeated, when two methods are used at once, when the
//     form's client_id differs from the Basic one, or for client_secret
//     without client_id;
//   - invalid_client when there are no credentials, the Authorization
//     header is malformed or not Basic, an assertion (an unsupported
//     method) is used, or a value is too long.
func ParseClientAuth(r *http.Request) (ClientAuth, error) {
	if r.PostForm == nil {
		if err := ParseForm(r); err != nil {
			return ClientAuth{}, err
		}
	} else if err := checkParams(r.PostForm); err != nil {
		return ClientAuth{}, err
	}
	if queryNames(r.URL.RawQuery, "client_id", "client_secret", "client_assertion", "client_assertion_type") {
		return ClientAuth{}, InvalidRequest("client credentials must be sent in the request body, not in the URL")
	}
	form := r.PostForm
	if form.Has("client_assertion") || form.Has("client_assertion_type") {
		return ClientAuth{}, InvalidClient("unsupported client authentication method")
	}
	formID, formSecret := form.Get("client_id"), form.Get("client_secret")

	headers := r.Header.Values("Authorization")
	if len(headers) > 1 {
		return ClientAuth{}, InvalidRequest("the Authorization header is repeated")
	}
	if len(headers) == 1 {
		scheme, creds, _ := strings.Cut(strings.TrimLeft(headers[0], " "), " ")
		if !strings.EqualFold(scheme, "Basic") {
			return ClientAuth{}, InvalidClient("unsupported authentication scheme")
		}
		id, secret, ok := parseBasic(creds)
		if !ok {
			return ClientAuth{}, InvalidClient("malformed Basic credentials")
		}
		if formSecret != "" {
			return ClientAuth{}, InvalidRequest("the client authenticated with more than one method")
		}
		if formID != "" && formID != id {
			return ClientAuth{}, InvalidRequest("client_id does not match the authenticated client")
		}
		return ClientAuth{ClientID: id, Secret: secret, Method: AuthMethodBasic}, nil
	}

	switch {
	case formID == "" && formSecret != "":
		return ClientAuth{}, InvalidRequest("client_secret was sent without client_id")
	case formID == "":
		return ClientAuth{}, InvalidClient("client authentication is required")
	case len(formID) > maxClientID || len(formSecret) > maxClientSecret:
		return ClientAuth{}, InvalidClient("client credentials are too long")
	case formSecret != "":
		return ClientAuth{ClientID: formID, Secret: formSecret, Method: AuthMethodPost}, nil
	default:
		return ClientAuth{ClientID: formID, Method: AuthMethodNone}, nil
	}
}

// parseBasic decodes the credentials of HTTP Basic (RFC 7617) as RFC 6749
// §2.3.1 defines them for clients: base64 of the form-urlencoded client id,
// a colon, and the form-urlencoded secret. Both must be present.
func parseBasic(creds string) (id, secret string, ok bool) {
	creds = strings.Trim(creds, " ")
	if creds == "" || len(creds) > 2*(maxClientID+maxClientSecret) {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(creds)
	if err != nil {
		return "", "", false
	}
	rawID, rawSecret, found := strings.Cut(string(raw), ":")
	if !found {
		return "", "", false
	}
	id, err1 := url.QueryUnescape(rawID)
	secret, err2 := url.QueryUnescape(rawSecret)
	if err1 != nil || err2 != nil || id == "" || secret == "" ||
		len(id) > maxClientID || len(secret) > maxClientSecret {
		return "", "", false
	}
	return id, secret, true
}

// BearerToken returns the access token of a request to a protected
// resource (RFC 6750 §2): from an Authorization header with the Bearer
// scheme (any case), or from access_token in the body of a POST
// application/x-www-form-urlencoded request, which it parses when
// r.PostForm is nil. present reports whether a token was sent at all; when
// it is false and err is nil, the caller answers with a challenge that
// names no error. Every error is invalid_request: a token in the query
// string (never accepted: URLs end up in logs), a token sent two ways, a
// repeated header or parameter, or a token that is not a b64token.
// Authorization headers of other schemes are ignored.
func BearerToken(r *http.Request) (token string, present bool, err error) {
	headers := r.Header.Values("Authorization")
	if len(headers) > 1 {
		return "", true, InvalidRequest("the Authorization header is repeated")
	}
	if len(headers) == 1 {
		scheme, rest, _ := strings.Cut(strings.TrimLeft(headers[0], " "), " ")
		if strings.EqualFold(scheme, "Bearer") {
			token = strings.Trim(rest, " ")
			if !isB64Token(token) {
				return "", true, InvalidRequest("malformed Bearer credentials")
			}
			present = true
		}
	}
	if queryNames(r.URL.RawQuery, "access_token") {
		return "", true, InvalidRequest("access tokens are not accepted in the URL")
	}
	if r.Method == http.MethodPost && isForm(r) {
		if err := readForm(r); err != nil {
			return "", present, err
		}
		if v := r.PostForm.Get("access_token"); v != "" {
			if present {
				return "", true, InvalidRequest("the access token was sent in more than one way")
			}
			if !isB64Token(v) {
				return "", true, InvalidRequest("malformed access_token")
			}
			token, present = v, true
		}
	}
	return token, present, nil
}

// queryNames reports whether a raw query string names any of names. It
// reads every parameter, however many there are and whatever the others
// hold, each ended by & or ; and its name percent-decoded when it can be:
// url.ParseQuery returns nothing at all past 10,000 parameters and drops a
// parameter holding a semicolon, so a check built on it would let a
// credential through behind either.
func queryNames(raw string, names ...string) bool {
	for raw != "" {
		part := raw
		if i := strings.IndexAny(raw, "&;"); i >= 0 {
			part, raw = raw[:i], raw[i+1:]
		} else {
			raw = ""
		}
		name, _, _ := strings.Cut(part, "=")
		if decoded, err := url.QueryUnescape(name); err == nil {
			name = decoded
		}
		if slices.Contains(names, name) {
			return true
		}
	}
	return false
}

// isB64Token reports whether s is a b64token (RFC 6750 §2.1):
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	i := 0
	for i < len(s) && (unreserved(s[i]) || s[i] == '+' || s[i] == '/') {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(s) && s[i] == '=' {
		i++
	}
	return i == len(s)
}
