package oauth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Response modes of the authorization endpoint (OAuth 2.0 Multiple
// Response Type Encoding Practices §2.1, OAuth 2.0 Form Post Response
// Mode §2).
const (
	ResponseModeQuery    = "query"
	ResponseModeFormPost = "form_post"
)

// CheckResponseMode checks the response_mode of an authorization request:
// empty (the code flow's default, query), query or form_post. Any other
// (fragment, web_message, the JWT modes) is invalid_request; the error is
// delivered by the default mode, since the requested one is refused.
func CheckResponseMode(mode string) error {
	switch mode {
	case "", ResponseModeQuery, ResponseModeFormPost:
		return nil
	default:
		return InvalidRequest("response_mode must be query or form_post")
	}
}

// AuthorizeResponse is an authorization response, success or error, to a
// redirect URI that has already been validated against the client's
// registered ones: WriteAuthorizeResponse never checks it.
type AuthorizeResponse struct {
	RedirectURI string
	// ResponseMode is query (the default when empty) or form_post.
	ResponseMode string
	// Params are the response parameters: code, state and iss on success
	// (CodeParams), or those of ErrorParams.
	Params url.Values
}

// CodeParams returns the parameters of a successful code response (RFC
// 6749 §4.1.2, RFC 9207 §2): code, and state and iss when not empty.
func CodeParams(code, state, iss string) url.Values {
	v := url.Values{"code": {code}}
	if state != "" {
		v.Set("state", state)
	}
	if iss != "" {
		v.Set("iss", iss)
	}
	return v
}

// ErrorParams returns the parameters of an error response (RFC 6749
// §4.1.2.1, RFC 9207 §2): error, and error_description, state and iss when
// not empty. A nil e gives server_error.
func ErrorParams(e *Error, state, iss string) url.Values {
	code, desc, _ := deliverable(e)
	v := url.Values{"error": {code}}
	if desc != "" {
		v.Set("error_description", desc)
	}
	if state != "" {
		v.Set("state", state)
	}
	if iss != "" {
		v.Set("iss", iss)
	}
	return v
}

// WriteAuthorizeResponse delivers resp to the client through the user's
// browser, never to be cached:
//
//   - query: a 303 redirect to the redirect URI with the parameters added
//     after its own query, which is kept as registered;
//   - form_post: a 200 page that posts the parameters to the redirect URI
//     with a script, or a button when scripts are off. The page sets its
//     own Content-Security-Policy, overriding any set before.
//
// It returns an error, and writes nothing, when the response mode is
// neither (an unsupported mode must be refused before the redirect URI is
// used) or when the redirect URI cannot be used; the caller then shows an
// error page.
func WriteAuthorizeResponse(w http.ResponseWriter, r *http.Request, resp AuthorizeResponse) error {
	base, u, err := parseRedirectURI(resp.RedirectURI)
	if err != nil {
		return err
	}
	switch resp.ResponseMode {
	case "", ResponseModeQuery:
		writeQueryResponse(w, base, resp.Params)
		return nil
	case ResponseModeFormPost:
		origin, err := cspOrigin(u)
		if err != nil {
			return err
		}
		nonce := newNonce()
		page := formPostPage(base, resp.Params, nonce)
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Length", strconv.Itoa(len(page)))
		h.Set("Content-Security-Policy", formPostCSP(nonce, origin))
		h.Set("X-Content-Type-Options", "nosniff")
		noStore(h)
		w.WriteHeader(http.StatusOK)
		if r == nil || r.Method != http.MethodHead {
			w.Write(page)
		}
		return nil
	default:
		return fmt.Errorf("unsupported response mode %q", SanitizeDescription(resp.ResponseMode))
	}
}

// parseRedirectURI checks that raw is an absolute URI, without control
// characters, and returns it without its fragment (RFC 6749 §3.1.2 forbids
// one, and a browser would otherwise carry it on to the client), both as
// the registered text and parsed. The text is what is used: re-encoding
// the parsed form could change a URI the client registered byte for byte.
func parseRedirectURI(raw string) (string, *url.URL, error) {
	base, _, _ := strings.Cut(raw, "#")
	if base == "" {
		return "", nil, errors.New("empty redirect URI")
	}
	u, err := url.Parse(base)
	if err != nil || !u.IsAbs() || u.Opaque != "" {
		return "", nil, errors.New("redirect URI is not an absolute URI")
	}
	return base, u, nil
}

// writeQueryResponse redirects to base with params appended to its query
// (RFC 6749 §3.1.2: the redirect URI's own query is kept).
func writeQueryResponse(w http.ResponseWriter, base string, params url.Values) {
	loc := base
	if add := params.Encode(); add != "" {
		switch {
		case !strings.Contains(base, "?"):
			loc += "?" + add
		case strings.HasSuffix(base, "?") || strings.HasSuffix(base, "&"):
			loc += add
		default:
			loc += "&" + add
		}
	}
	h := w.Header()
	h.Set("Location", loc)
	noStore(h)
	w.WriteHeader(http.StatusSeeOther)
}

// cspOrigin returns the CSP source expression that allows a form to post
// to u: its origin, or its scheme alone for a private-use scheme without
// a host (an app's "com.example.app:/cb"). Anything that could end the
// directive is refused, so the redirect URI cannot inject a policy.
func cspOrigin(u *url.URL) (string, error) {
	scheme := strings.ToLower(u.Scheme)
	for i := 0; i < len(scheme); i++ {
		c := scheme[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return "", errors.New("redirect URI scheme cannot be named in a policy")
		}
	}
	if u.Host == "" {
		return scheme + ":", nil
	}
	host := strings.ToLower(u.Host)
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-.:[]", c) >= 0) {
			return "", errors.New("redirect URI host cannot be named in a policy")
		}
	}
	return scheme + "://" + host, nil
}

// formPostCSP is the policy of the form_post page: nothing loads, only
// the page's own script runs, the form may post only to the client.
func formPostCSP(nonce, origin string) string {
	return "default-src 'none'; script-src 'nonce-" + nonce + "'; form-action " + origin +
		"; frame-ancestors 'none'; base-uri 'none'"
}

// newNonce returns 128 random bits for a CSP nonce.
func newNonce() string {
	var b [16]byte
	rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// formPostPage renders the page of OAuth 2.0 Form Post Response Mode §2:
// a form of hidden fields posted to action on load, with a button for
// browsers without scripts. Every value is HTML-escaped; the parameters
// come in name order so the page is the same for the same input.
func formPostPage(action string, params url.Values, nonce string) []byte {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Continuing&hellip;</title>
</head>
<body>
<form method="post" action="`)
	b.WriteString(html.EscapeString(action))
	b.WriteString("\">\n")
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, value := range params[name] {
			b.WriteString(`<input type="hidden" name="`)
			b.WriteString(html.EscapeString(name))
			b.WriteString(`" value="`)
			b.WriteString(html.EscapeString(value))
			b.WriteString("\">\n")
		}
	}
	b.WriteString(`<noscript>
<p>Scripts are turned off in this browser. Press the button to continue to the application.</p>
<button type="submit">Continue</button>
</noscript>
</form>
<script nonce="`)
	b.WriteString(html.EscapeString(nonce))
	b.WriteString(`">document.forms[0].submit();</script>
</body>
</html>
`)
	return []byte(b.String())
}
