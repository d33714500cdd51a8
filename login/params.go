package login

import (
	"io"
	"mime"
	"net/http"
	"net/url"
)

// maxParamsBody bounds the body of an authorization or logout POST: the
// parameters of a URL, with room for an id_token_hint.
const maxParamsBody = 64 << 10

// params are the parameters of an authorization or logout request, with
// every empty value dropped (RFC 6749 §3.1: a parameter without a value
// counts as omitted). A name may still have several values: get reports
// that, and the caller refuses it.
type params url.Values

// readParams reads the parameters of a GET from its query and those of a
// POST from its application/x-www-form-urlencoded body (OpenID Connect
// Core §3.1.2.1), never mixing the two. A body that cannot be read or
// parsed, or a POST of another type, is an error.
func readParams(r *http.Request) (params, error) {
	var raw string
	if r.Method == http.MethodPost {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/x-www-form-urlencoded" {
			return nil, errBadRequest
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxParamsBody+1))
		if err != nil || len(body) > maxParamsBody {
			return nil, errBadRequest
		}
		raw = string(body)
	} else {
		raw = r.URL.RawQuery
	}
	v, err := url.ParseQuery(raw)
	if err != nil {
		return nil, errBadRequest
	}
	for name, values := range v {
		kept := values[:0]
		for _, s := range values {
			if s != "" {
				kept = append(kept, s)
			}
		}
		if len(kept) == 0 {
			delete(v, name)
		} else {
			v[name] = kept
		}
	}
	return params(v), nil
}

// get returns a parameter's value, "" when absent, and whether it was
// given more than once (RFC 6749 §3.1: such a request is invalid).
func (p params) get(name string) (value string, repeated bool) {
	vs := p[name]
	switch len(vs) {
	case 0:
		return "", false
	case 1:
		return vs[0], false
	default:
		return "", true
	}
}

// one returns a parameter's value, "" when absent or repeated.
func (p params) one(name string) string {
	v, _ := p.get(name)
	return v
}

// repeated returns the first parameter, in name order, given more than
// once, or "".
func (p params) repeated() string {
	first := ""
	for name, vs := range p {
		if len(vs) > 1 && (first == "" || name < first) {
			first = name
		}
	}
	return first
}

// encode returns the parameters as a query string, repeated ones kept.
func (p params) encode() string { return url.Values(p).Encode() }
