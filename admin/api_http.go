package admin

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse"
)

// ifMatch reads the If-Match header (RFC 9110 §13.1.1) as the revisions it
// names. Weak tags and tags that are not a revision never match. Without
// the header the change is unconditional, or errPreconditionRequired (428)
// when required; "*" is refused the same way, since it would let a change
// overwrite one it never saw.
func ifMatch(r *http.Request, required bool) (IfMatch, error) {
	values := r.Header.Values("If-Match")
	if len(values) == 0 {
		if required {
			return nil, gatehouse.Errorf(errPreconditionRequired,
				"send If-Match with the ETag of the version you read (GET it first), so a concurrent change is not overwritten")
		}
		return nil, nil
	}
	m := IfMatch{}
	for _, v := range values {
		for _, tag := range strings.Split(v, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "*" {
				return nil, gatehouse.Errorf(errPreconditionRequired, "If-Match: * is not accepted; send the ETag of the version you read")
			}
			inner, ok := strings.CutPrefix(tag, `"`)
			inner, ok2 := strings.CutSuffix(inner, `"`)
			if !ok || !ok2 {
				continue // a weak or malformed tag: it matches nothing
			}
			if rev, err := strconv.ParseInt(inner, 10, 64); err == nil && rev > 0 {
				m = append(m, rev)
			}
		}
	}
	return m, nil
}

// writeVersioned writes a single versioned resource with its ETag.
func writeVersioned(w http.ResponseWriter, status int, rev int64, doc any) {
	w.Header().Set("ETag", ETag(rev))
	writeJSON(w, status, doc)
}

// fieldError is an EINVALID error naming one field.
func fieldError(field, msg string) error {
	return &gatehouse.Error{Code: gatehouse.EINVALID, Message: field + ": " + msg,
		Fields: []gatehouse.FieldError{{Field: field, Message: msg}}}
}

// maxSeconds bounds durations given in seconds, far above any lifetime
// the domain accepts, so that converting them cannot overflow.
const maxSeconds = 10 * 366 * 24 * 3600

// seconds converts a duration given in seconds, recording a problem with
// field when it is negative or absurdly large.
func seconds(p *gatehouse.Problems, field string, s int64) time.Duration {
	if s < 0 || s > maxSeconds {
		p.Add(field, "must be between 0 and %d seconds", maxSeconds)
		return 0
	}
	return time.Duration(s) * time.Second
}

// requestIssuer returns the issuer the request came to.
func requestIssuer(r *http.Request) (gatehouse.Issuer, error) {
	iss, ok := gatehouse.IssuerFrom(r.Context())
	if !ok || iss.URL == "" {
		return gatehouse.Issuer{}, gatehouse.Errorf(gatehouse.EINTERNAL, "no issuer resolved for the request")
	}
	return iss, nil
}

// parseTime reads an optional RFC 3339 time of a body field; "" is the
// zero time.
func parseTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fieldError(field, "must be a time such as 2026-11-05T09:30:00Z (RFC 3339)")
	}
	return t, nil
}
