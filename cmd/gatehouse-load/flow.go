package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// target is the server under load: its base URL, checked to be loopback.
type target struct {
	base *url.URL
}

// parseTarget accepts an http(s) URL whose host is a loopback IP address
// literal. A name (even localhost) is refused: what it resolves to is not
// ours to trust.
func parseTarget(raw string) (*target, error) {
	u, err := url.Parse(strings.TrimSuffix(raw, "/"))
	if err != nil {
		return nil, fmt.Errorf("-url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("-url: scheme %q: want http or https", u.Scheme)
	}
	ip, err := netip.ParseAddr(u.Hostname())
	if err != nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("-url: host %q is not a loopback address (127.0.0.1, ::1): the load tool targets this machine only", u.Hostname())
	}
	if u.Path != "" || u.RawQuery != "" {
		return nil, fmt.Errorf("-url: give the server's base URL, without a path or query")
	}
	return &target{base: u}, nil
}

// url returns the absolute URL of a path on the target.
func (t *target) url(path string) string { return t.base.String() + path }

// sameServer reports whether u points at the target (the redirects a
// flow follows must stay on it).
func (t *target) sameServer(u *url.URL) bool {
	return u.Scheme == t.base.Scheme && u.Host == t.base.Host
}

// newTransport returns an HTTP transport for conns concurrent workers:
// keep-alive on, enough idle connections per host that no worker has to
// dial again, no compression (the server's responses are small), and
// dialing refused for anything but a loopback address.
func newTransport(conns int) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if ip, err := netip.ParseAddr(host); err != nil || !ip.IsLoopback() {
				return nil, fmt.Errorf("refusing to dial %s: not a loopback address", addr)
			}
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConns:          conns * 2,
		MaxIdleConnsPerHost:   conns * 2,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true,
		ResponseHeaderTimeout: 30 * time.Second,
		ForceAttemptHTTP2:     false,
	}
}

// noRedirect makes a client hand redirects back to the flow, which
// follows only those that stay on the server.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// opError is a failed request, classified for the report.
type opError struct {
	kind string
}

func (e *opError) Error() string { return e.kind }

// failf returns an opError of the given kind.
func failf(format string, args ...any) error { return &opError{kind: fmt.Sprintf(format, args...)} }

// errorKind names err for the report: the kind of an opError, or the
// transport failure reduced to its last part.
func errorKind(err error) string {
	var oe *opError
	if errors.As(err, &oe) {
		return oe.kind
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return "transport: " + msg
}

// statusError classifies an unexpected response by its status and, for
// a JSON error body (RFC 6749 §5.2), its error code.
func statusError(step string, resp *http.Response, body []byte) error {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return failf("%s: %d %s", step, resp.StatusCode, e.Error)
	}
	return failf("%s: %d", step, resp.StatusCode)
}

// maxBody bounds what the tool reads of a response.
const maxBody = 1 << 20

// do sends req and reads the whole body, so the connection can be reused.
func do(c *http.Client, req *http.Request) (*http.Response, []byte, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, nil, err
	}
	io.Copy(io.Discard, resp.Body)
	return resp, body, nil
}

// postForm builds a form POST, with HTTP Basic client authentication when
// clientID is set.
func postForm(ctx context.Context, target string, form url.Values, clientID, clientSecret string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if clientID != "" {
		// RFC 6749 §2.3.1: both parts form-encoded before Basic.
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(clientSecret))
	}
	return req, nil
}

// pkce is a PKCE verifier and its S256 challenge (RFC 7636 §4.1, §4.2).
type pkce struct {
	Verifier  string
	Challenge string
}

// newPKCE returns a fresh verifier of 43 unreserved characters (32
// random bytes, base64url) and its challenge.
func newPKCE() pkce {
	v := secret.Token(32)
	sum := sha256.Sum256([]byte(v))
	return pkce{Verifier: v, Challenge: base64.RawURLEncoding.EncodeToString(sum[:])}
}

// form is an HTML form found in a page: where it posts and its hidden
// fields.
type form struct {
	Action string
	Fields url.Values
	// Names lists the names of every input and button, hidden or not.
	Names map[string]bool
}

// parseForm finds the first form that posts in page and reads its action
// and hidden inputs. It reads the markup Gatehouse's templates write, not
// HTML at large: tags with quoted attributes.
func parseForm(page string) (*form, error) {
	lower := strings.ToLower(page)
	start := 0
	for {
		i := strings.Index(lower[start:], "<form")
		if i < 0 {
			return nil, errors.New("no form that posts in the page")
		}
		i += start
		tag, end := tagAt(page, i)
		if end < 0 {
			return nil, errors.New("unterminated form tag")
		}
		attrs := parseAttrs(tag)
		start = end
		if !strings.EqualFold(attrs["method"], "post") {
			continue
		}
		f := &form{Action: attrs["action"], Fields: url.Values{}, Names: map[string]bool{}}
		stop := strings.Index(lower[end:], "</form")
		if stop < 0 {
			return nil, errors.New("unterminated form")
		}
		body := page[end : end+stop]
		lbody := lower[end : end+stop]
		for j := 0; ; {
			k := indexAny(lbody[j:], "<input", "<button")
			if k < 0 {
				break
			}
			k += j
			t, e := tagAt(body, k)
			if e < 0 {
				return nil, errors.New("unterminated input tag")
			}
			a := parseAttrs(t)
			if name := a["name"]; name != "" {
				f.Names[name] = true
				if strings.EqualFold(a["type"], "hidden") {
					f.Fields.Add(name, a["value"])
				}
			}
			j = e
		}
		return f, nil
	}
}

// indexAny returns the first index in s of any of subs, or -1.
func indexAny(s string, subs ...string) int {
	best := -1
	for _, sub := range subs {
		if i := strings.Index(s, sub); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	return best
}

// tagAt returns the tag that starts at s[i] ("<input ...>") and the index
// just past it, or -1 when it does not end. A '>' inside a quoted value
// does not end it.
func tagAt(s string, i int) (string, int) {
	var quote byte
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return s[i : j+1], j + 1
		}
	}
	return "", -1
}

// parseAttrs reads the attributes of one tag, names lower-cased, values
// unescaped; an attribute without a value maps to "".
func parseAttrs(tag string) map[string]string {
	out := map[string]string{}
	s := strings.TrimSuffix(strings.TrimSuffix(tag, ">"), "/")
	// Skip the tag name.
	i := strings.IndexAny(s, " \t\r\n")
	if i < 0 {
		return out
	}
	s = s[i:]
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		if s == "" {
			return out
		}
		j := strings.IndexAny(s, "= \t\r\n")
		if j < 0 {
			out[strings.ToLower(s)] = ""
			return out
		}
		name := strings.ToLower(s[:j])
		s = s[j:]
		if s[0] != '=' {
			out[name] = ""
			continue
		}
		s = s[1:]
		if s == "" {
			out[name] = ""
			return out
		}
		var val string
		if q := s[0]; q == '"' || q == '\'' {
			k := strings.IndexByte(s[1:], q)
			if k < 0 {
				out[name] = html.UnescapeString(s[1:])
				return out
			}
			val, s = s[1:1+k], s[2+k:]
		} else {
			k := strings.IndexAny(s, " \t\r\n")
			if k < 0 {
				k = len(s)
			}
			val, s = s[:k], s[k:]
		}
		out[name] = html.UnescapeString(val)
	}
}

// webClient is the relying party the flows act for.
type webClient struct {
	ClientID     string
	ClientSecret string
	RedirectURI  string
	Scope        string
}

// account is a user who signs in with a password.
type account struct {
	Username string
	Password string
}

// tokens is what a code exchange or a refresh returns.
type tokens struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
}

// browser follows an authorization request as a browser does: it keeps
// the cookies of one user agent and follows the server's redirects until
// one leaves for the client's redirect URI.
type browser struct {
	t      *target
	client *http.Client
}

// newBrowser returns a browser with an empty cookie jar over transport.
func newBrowser(t *target, transport http.RoundTripper) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, client: &http.Client{Transport: transport, Jar: jar, CheckRedirect: noRedirect,
		Timeout: 60 * time.Second}}
}

// authorizeOptions says what a flow does on each page.
type authorizeOptions struct {
	// Consent allows the consent page when it shows; without it, a
	// consent page is an error (the load scenarios expect the consent
	// remembered).
	Consent bool
	// StopAfterSignIn ends the flow at the response to the sign-in form.
	StopAfterSignIn bool
}

// maxHops bounds the pages and redirects of one flow.
const maxHops = 10

// authorize runs an authorization request with PKCE and returns the code
// the server redirects to the client with. With StopAfterSignIn it
// returns "" once the sign-in form was accepted.
func (b *browser) authorize(ctx context.Context, c webClient, a account, p pkce, opt authorizeOptions) (string, error) {
	state, nonce := secret.Token(12), secret.Token(12)
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {c.ClientID},
		"redirect_uri":          {c.RedirectURI},
		"scope":                 {c.Scope},
		"state":                 {state},
		"nonce":                 {nonce},
		"code_challenge":        {p.Challenge},
		"code_challenge_method": {"S256"},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.t.url("/oauth/authorize?"+q.Encode()), nil)
	if err != nil {
		return "", err
	}
	signedIn := false
	for range maxHops {
		resp, body, err := do(b.client, req)
		if err != nil {
			return "", err
		}
		switch {
		case resp.StatusCode == http.StatusFound || resp.StatusCode == http.StatusSeeOther:
			if signedIn && opt.StopAfterSignIn {
				return "", nil
			}
			loc, err := req.URL.Parse(resp.Header.Get("Location"))
			if err != nil {
				return "", failf("authorize: bad Location")
			}
			if strings.HasPrefix(loc.String(), c.RedirectURI) {
				return codeFrom(loc, state)
			}
			if !b.t.sameServer(loc) {
				return "", failf("authorize: redirect off the server")
			}
			if req, err = http.NewRequestWithContext(ctx, http.MethodGet, loc.String(), nil); err != nil {
				return "", err
			}
		case resp.StatusCode == http.StatusOK:
			f, err := parseForm(string(body))
			if err != nil {
				return "", failf("authorize: page without a form")
			}
			switch {
			case f.Names["password"]:
				if signedIn {
					return "", failf("sign-in: refused")
				}
				f.Fields.Set("username", a.Username)
				f.Fields.Set("password", a.Password)
				signedIn = true
			case f.Names["decision"]:
				if !opt.Consent {
					return "", failf("authorize: consent asked again")
				}
				f.Fields.Set("decision", "allow")
			default:
				return "", failf("authorize: unexpected form")
			}
			action, err := req.URL.Parse(f.Action)
			if err != nil || !b.t.sameServer(action) {
				return "", failf("authorize: form posts off the server")
			}
			if req, err = postForm(ctx, action.String(), f.Fields, "", ""); err != nil {
				return "", err
			}
		default:
			if signedIn && opt.StopAfterSignIn {
				return "", statusError("sign-in", resp, body)
			}
			return "", statusError("authorize", resp, body)
		}
	}
	return "", failf("authorize: too many redirects")
}

// codeFrom reads the code of an authorization response after checking its
// state; an error response becomes an error of its code.
func codeFrom(loc *url.URL, state string) (string, error) {
	q := loc.Query()
	if e := q.Get("error"); e != "" {
		return "", failf("authorize: %s", e)
	}
	if q.Get("state") != state {
		return "", failf("authorize: state mismatch")
	}
	code := q.Get("code")
	if code == "" {
		return "", failf("authorize: no code")
	}
	return code, nil
}

// exchange redeems a code at the token endpoint with the PKCE verifier.
func exchange(ctx context.Context, hc *http.Client, t *target, c webClient, code string, p pkce) (*tokens, error) {
	req, err := postForm(ctx, t.url("/oauth/token"), url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {c.RedirectURI},
		"code_verifier": {p.Verifier},
	}, c.ClientID, c.ClientSecret)
	if err != nil {
		return nil, err
	}
	return tokenCall(hc, req, "code exchange")
}

// refresh rotates a refresh token.
func refresh(ctx context.Context, hc *http.Client, t *target, c webClient, rt string) (*tokens, error) {
	req, err := postForm(ctx, t.url("/oauth/token"), url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {rt},
	}, c.ClientID, c.ClientSecret)
	if err != nil {
		return nil, err
	}
	return tokenCall(hc, req, "refresh")
}

// tokenCall sends a token request and decodes a successful response.
func tokenCall(hc *http.Client, req *http.Request, step string) (*tokens, error) {
	resp, body, err := do(hc, req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(step, resp, body)
	}
	var out tokens
	if err := json.Unmarshal(body, &out); err != nil || out.AccessToken == "" {
		return nil, failf("%s: malformed response", step)
	}
	return &out, nil
}

// login runs the whole code flow for one user in a new browser and
// returns the tokens of the exchange.
func login(ctx context.Context, t *target, transport http.RoundTripper, hc *http.Client, c webClient, a account, consent bool) (*tokens, error) {
	p := newPKCE()
	code, err := newBrowser(t, transport).authorize(ctx, c, a, p, authorizeOptions{Consent: consent})
	if err != nil {
		return nil, err
	}
	return exchange(ctx, hc, t, c, code, p)
}
