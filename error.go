package gatehouse

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes carried by *Error. They are stable: the management API puts
// them in its JSON errors and the CLI in its exit message.
const (
	ECONFLICT     = "conflict"      // a unique value is taken, or a row changed underneath (revision)
	EINTERNAL     = "internal"      // anything unexpected; details go to the log, never to the user
	EINVALID      = "invalid"       // input failed validation; Fields names each problem
	ENOTFOUND     = "not_found"     // no such row in this tenant
	EUSED         = "used"          // a single-use value (code, refresh token) was already spent
	EEXPIRED      = "expired"       // a row exists but is past its lifetime
	EFORBIDDEN    = "forbidden"     // authenticated, but not allowed
	EUNAUTHORIZED = "unauthorized"  // not authenticated
	EUNAVAILABLE  = "unavailable"   // a dependency (the store) cannot serve now
	ENOTSUPPORTED = "not_supported" // a valid request for something not built or disabled
)

// Error is a domain error: a stable code and a message that is safe to show
// to the person who caused it. It never contains a secret.
type Error struct {
	Code    string
	Message string
	// Fields lists every offending input for EINVALID, so that an API can
	// name them all at once and the CLI can name the first.
	Fields []FieldError
}

// FieldError names one invalid input. Field uses the JSON name of the
// input, with indexes for list items ("config.redirect_uris[1]").
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e FieldError) String() string { return e.Field + ": " + e.Message }

func (e *Error) Error() string {
	if e.Code == EINVALID && len(e.Fields) > 0 {
		parts := make([]string, len(e.Fields))
		for i, f := range e.Fields {
			parts[i] = f.String()
		}
		return strings.Join(parts, "; ")
	}
	return e.Message
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, "" for nil
// and EINTERNAL for anything else.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the safe message of the first *Error in err's chain,
// or a generic message for anything else, so internal details never reach
// a user.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return "internal error"
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code string) bool { return ErrorCode(err) == code }

// Problems collects field errors during validation. Its zero value is ready
// to use; Err returns nil when nothing was added.
type Problems struct {
	fields []FieldError
}

// Add records a problem with field.
func (p *Problems) Add(field, format string, args ...any) {
	p.fields = append(p.fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Merge adds every field error of err, when err is an EINVALID *Error,
// with prefix in front of each field name. Other errors are added under the
// prefix itself.
func (p *Problems) Merge(prefix string, err error) {
	if err == nil {
		return
	}
	var e *Error
	if errors.As(err, &e) && e.Code == EINVALID {
		for _, f := range e.Fields {
			name := f.Field
			if prefix != "" {
				name = prefix + "." + name
			}
			p.fields = append(p.fields, FieldError{Field: name, Message: f.Message})
		}
		return
	}
	p.Add(prefix, "%s", ErrorMessage(err))
}

// Len returns the number of problems recorded.
func (p *Problems) Len() int { return len(p.fields) }

// Err returns an EINVALID *Error listing every problem, or nil.
func (p *Problems) Err() error {
	if len(p.fields) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: p.fields[0].String(), Fields: append([]FieldError(nil), p.fields...)}
}
