package oauth

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// Realm is the realm named in WWW-Authenticate challenges.
const Realm = "gatehouse"

// errorBody is the JSON error of RFC 6749 §5.2.
type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// deliverable returns the code and description of err as they may be
// written: an *Error is sanitized again (it may have been built by hand),
// anything else becomes server_error or temporarily_unavailable.
func deliverable(err error) (code, desc string, status int) {
	e := ErrorFrom(err)
	if e == nil {
		e = ServerError(serverErrorDescription)
	}
	code = sanitizeCode(e.Code)
	status = e.HTTPStatus()
	if status < 400 || status > 599 {
		status = statusOf(code)
	}
	return code, SanitizeDescription(e.Description), status
}

// noStore marks a response as never to be cached (RFC 6749 §5.1).
func noStore(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
}

func writeJSONError(w http.ResponseWriter, code, desc string, status int) {
	// Marshaling two strings cannot fail.
	body, _ := json.Marshal(errorBody{Error: code, Description: desc})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	noStore(h)
	w.WriteHeader(status)
	w.Write(body)
}

// WriteTokenError writes err as the JSON error response of the token,
// revocation and introspection endpoints (RFC 6749 §5.2), not to be
// cached. An *Error keeps its code, description and status; any other
// error becomes server_error (500) without detail, or
// temporarily_unavailable (503) for a gatehouse EUNAVAILABLE error, so
// internal details never reach the client. For invalid_client after HTTP
// Basic authentication use WriteClientError.
func WriteTokenError(w http.ResponseWriter, err error) {
	WriteClientError(w, err, false)
}

// WriteClientError is WriteTokenError for a request whose client tried
// HTTP Basic authentication when basic is true (see UsedBasic): an
// invalid_client error then carries `WWW-Authenticate: Basic
// realm="gatehouse"` with its 401, as RFC 6749 §5.2 requires. Without
// Basic it keeps its 401 (§5.2 allows one) but no challenge: a client
// that authenticates in the body, often a page's script, must not have
// the browser offer its user a password dialog.
func WriteClientError(w http.ResponseWriter, err error, basic bool) {
	code, desc, status := deliverable(err)
	if basic && code == CodeInvalidClient {
		status = http.StatusUnauthorized
		w.Header().Set("WWW-Authenticate", `Basic realm="`+Realm+`"`)
	}
	writeJSONError(w, code, desc, status)
}

// WriteBearerError answers a request to a protected resource (userinfo)
// that failed (RFC 6750 §3): the status of the error (401 invalid_token,
// 400 invalid_request, 403 insufficient_scope) with a `WWW-Authenticate:
// Bearer realm="gatehouse", error="...", error_description="..."`
// challenge and the same error as a JSON body. A nil err means that no
// token was sent at all: 401 with a challenge that names no error (RFC
// 6750 §3.1). Any error that is not an *Error becomes server_error (or
// temporarily_unavailable), without a challenge.
func WriteBearerError(w http.ResponseWriter, err error) {
	if err == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+Realm+`"`)
		writeJSONError(w, CodeInvalidToken, "an access token is required", http.StatusUnauthorized)
		return
	}
	code, desc, status := deliverable(err)
	switch code {
	case CodeInvalidToken, CodeInvalidRequest, CodeInsufficientScope:
		var b strings.Builder
		b.WriteString(`Bearer realm="`)
		b.WriteString(Realm)
		b.WriteString(`", error="`)
		b.WriteString(code)
		b.WriteByte('"')
		if desc != "" {
			// Sanitized text has no quote, backslash or control
			// character, so it is a valid quoted-string as it is.
			b.WriteString(`, error_description="`)
			b.WriteString(desc)
			b.WriteByte('"')
		}
		w.Header().Set("WWW-Authenticate", b.String())
	}
	writeJSONError(w, code, desc, status)
}

// UsedBasic reports whether r carries an Authorization header with the
// Basic scheme, well-formed or not: the client tried HTTP Basic
// authentication.
func UsedBasic(r *http.Request) bool {
	for _, v := range r.Header.Values("Authorization") {
		scheme, _, _ := strings.Cut(strings.TrimLeft(v, " "), " ")
		if strings.EqualFold(scheme, "Basic") {
			return true
		}
	}
	return false
}
