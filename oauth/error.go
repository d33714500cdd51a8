package oauth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse-id/gatehouse"
)

// Error codes of RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1 and OpenID
// Connect Core §3.1.2.6.
const (
	CodeInvalidRequest          = "invalid_request"
	CodeInvalidClient           = "invalid_client"
	CodeInvalidGrant            = "invalid_grant"
	CodeUnauthorizedClient      = "unauthorized_client"
	CodeUnsupportedGrantType    = "unsupported_grant_type"
	CodeInvalidScope            = "invalid_scope"
	CodeAccessDenied            = "access_denied"
	CodeUnsupportedResponseType = "unsupported_response_type"
	CodeServerError             = "server_error"
	CodeTemporarilyUnavailable  = "temporarily_unavailable"
	CodeLoginRequired           = "login_required"
	CodeConsentRequired         = "consent_required"
	CodeInteractionRequired     = "interaction_required"
	CodeInvalidToken            = "invalid_token"
	CodeInsufficientScope       = "insufficient_scope"
)

// maxDescription bounds error_description, in bytes: it ends up in
// headers and URLs, and a longer text helps nobody.
const maxDescription = 256

// Error is a protocol error: a registered code, a description safe to
// show to the client's developer, and the HTTP status it is delivered
// with. Build one with a constructor (InvalidRequest, InvalidGrant, ...),
// which sanitizes the description and sets the status; every call returns
// a new value that the caller may change.
//
// A description never contains a secret (a client secret, a token, a code
// or a password): constructors format what they are given, so callers
// pass only names and fixed text.
type Error struct {
	Code        string
	Description string
	// Status is the HTTP status of a JSON or Bearer error response; zero
	// means the code's default.
	Status int
}

// Error returns the code and the description.
func (e *Error) Error() string {
	if e.Description == "" {
		return e.Code
	}
	return e.Code + ": " + e.Description
}

// HTTPStatus returns e.Status, or the default status of e's code when it
// is zero.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	return statusOf(e.Code)
}

// statusOf is the default HTTP status of an error code: RFC 6749 §5.2
// answers 400 except for client authentication (401), RFC 6750 §3.1 adds
// 401 and 403 for protected resources.
func statusOf(code string) int {
	switch code {
	case CodeInvalidClient, CodeInvalidToken:
		return http.StatusUnauthorized
	case CodeInsufficientScope:
		return http.StatusForbidden
	case CodeServerError:
		return http.StatusInternalServerError
	case CodeTemporarilyUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusBadRequest
	}
}

func newError(code, format string, args []any) *Error {
	desc := format
	if len(args) > 0 {
		desc = fmt.Sprintf(format, args...)
	}
	return &Error{Code: code, Description: SanitizeDescription(desc), Status: statusOf(code)}
}

// InvalidRequest returns an invalid_request error (400): a parameter is
// missing, repeated, malformed or not allowed.
func InvalidRequest(format string, args ...any) *Error {
	return newError(CodeInvalidRequest, format, args)
}

// InvalidClient returns an invalid_client error (401): client
// authentication failed, was missing, or used an unsupported method.
func InvalidClient(format string, args ...any) *Error {
	return newError(CodeInvalidClient, format, args)
}

// InvalidGrant returns an invalid_grant error (400): a code, refresh token
// or PKCE verifier is invalid, expired, spent or bound to someone else.
func InvalidGrant(format string, args ...any) *Error {
	return newError(CodeInvalidGrant, format, args)
}

// UnauthorizedClient returns an unauthorized_client error (400): the
// client may not use this grant or response type.
func UnauthorizedClient(format string, args ...any) *Error {
	return newError(CodeUnauthorizedClient, format, args)
}

// UnsupportedGrantType returns an unsupported_grant_type error (400).
func UnsupportedGrantType(format string, args ...any) *Error {
	return newError(CodeUnsupportedGrantType, format, args)
}

// InvalidScope returns an invalid_scope error (400): a scope is unknown,
// not available, or not allowed for the client.
func InvalidScope(format string, args ...any) *Error {
	return newError(CodeInvalidScope, format, args)
}

// AccessDenied returns an access_denied error (400): the user or the
// tenant's policy refused.
func AccessDenied(format string, args ...any) *Error {
	return newError(CodeAccessDenied, format, args)
}

// UnsupportedResponseType returns an unsupported_response_type error
// (400).
func UnsupportedResponseType(format string, args ...any) *Error {
	return newError(CodeUnsupportedResponseType, format, args)
}

// ServerError returns a server_error error (500). Its description must be
// generic: details belong in the log.
func ServerError(format string, args ...any) *Error {
	return newError(CodeServerError, format, args)
}

// TemporarilyUnavailable returns a temporarily_unavailable error (503).
func TemporarilyUnavailable(format string, args ...any) *Error {
	return newError(CodeTemporarilyUnavailable, format, args)
}

// LoginRequired returns a login_required error (400): prompt=none without
// a usable session.
func LoginRequired(format string, args ...any) *Error {
	return newError(CodeLoginRequired, format, args)
}

// ConsentRequired returns a consent_required error (400): prompt=none
// without the user's consent on record.
func ConsentRequired(format string, args ...any) *Error {
	return newError(CodeConsentRequired, format, args)
}

// InteractionRequired returns an interaction_required error (400):
// prompt=none when the user must act for another reason.
func InteractionRequired(format string, args ...any) *Error {
	return newError(CodeInteractionRequired, format, args)
}

// InvalidToken returns an invalid_token error (401): an access token is
// malformed, expired, revoked or not for this resource.
func InvalidToken(format string, args ...any) *Error {
	return newError(CodeInvalidToken, format, args)
}

// InsufficientScope returns an insufficient_scope error (403).
func InsufficientScope(format string, args ...any) *Error {
	return newError(CodeInsufficientScope, format, args)
}

// serverErrorDescription is all a client learns about an unexpected
// failure.
const serverErrorDescription = "the server could not complete the request"

// ErrorFrom returns the *Error in err's chain. Anything else becomes a
// fresh server_error without detail, except a gatehouse EUNAVAILABLE error,
// which becomes temporarily_unavailable. It returns nil for nil.
func ErrorFrom(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) && e != nil {
		return e
	}
	if gatehouse.IsCode(err, gatehouse.EUNAVAILABLE) {
		return TemporarilyUnavailable("the service is temporarily unavailable, try again later")
	}
	return ServerError(serverErrorDescription)
}

// allowedDescriptionByte reports whether RFC 6749 allows b in
// error_description and error: %x20-21 / %x23-5B / %x5D-7E, which leaves
// out the double quote, the backslash and every control or non-ASCII byte.
// Those bytes are also what keeps the text safe inside a quoted header
// parameter.
func allowedDescriptionByte(b byte) bool {
	return b >= 0x20 && b <= 0x7e && b != '"' && b != '\\'
}

// SanitizeDescription returns s reduced to the characters RFC 6749 allows
// in error_description: a double quote becomes a single quote, a
// backslash a slash, and any other disallowed character (control,
// non-ASCII) a question mark. The result is at most 256 bytes.
func SanitizeDescription(s string) string {
	clean := len(s) <= maxDescription
	for i := 0; clean && i < len(s); i++ {
		clean = allowedDescriptionByte(s[i])
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), maxDescription))
	for _, r := range s {
		if b.Len() >= maxDescription {
			break
		}
		switch {
		case r == '"':
			b.WriteByte('\'')
		case r == '\\':
			b.WriteByte('/')
		case r < utf8.RuneSelf && allowedDescriptionByte(byte(r)):
			b.WriteByte(byte(r))
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// sanitizeCode keeps an error code deliverable even when a caller built
// an Error by hand with a code outside the allowed set.
func sanitizeCode(code string) string {
	if code == "" {
		return CodeServerError
	}
	for i := 0; i < len(code); i++ {
		if !allowedDescriptionByte(code[i]) || code[i] == ' ' {
			return CodeServerError
		}
	}
	return code
}
