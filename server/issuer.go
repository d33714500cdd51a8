package server

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	pathpkg "path"
	"slices"
	"strings"

	"github.com/gatehouse-id/gatehouse"
)

// Tenants finds the tenant behind a tenant issuer. Both methods return an
// ENOTFOUND *gatehouse.Error for no such tenant and another error when the
// store cannot answer. The tenants returned are shared: read them, never
// change them. TenantCache implements it over the store.
type Tenants interface {
	TenantBySlug(ctx context.Context, slug string) (*gatehouse.Tenant, error)
	TenantByDomain(ctx context.Context, host string) (*gatehouse.Tenant, error)
}

// tenantPrefix starts the path of a tenant issuer: {platform}/t/{slug}.
const tenantPrefix = "/t/"

// wellKnownSuffixed are the metadata documents that RFC 8414 §3.1 locates
// by inserting the well-known segment before the issuer's path:
// {host}/.well-known/oauth-authorization-server/t/{slug}. Some clients do
// the same for the OpenID document.
var wellKnownSuffixed = []string{
	"/.well-known/oauth-authorization-server",
	"/.well-known/openid-configuration",
}

// resolve chooses the request's issuer and puts it in the context with
// gatehouse.WithIssuer. In order:
//
//  1. the effective host (the Host header, or the forwarded host from a
//     trusted proxy) is a tenant's registered custom domain: that
//     tenant's issuer https://{domain};
//  2. the path starts with /t/{slug} of an active tenant: the issuer
//     {platform}/t/{slug}, and the handlers see the path without the
//     prefix; an unknown slug is 404;
//  3. anything else: the platform issuer, whatever the host.
//
// The issuer URL always comes from configuration or the store, never from
// the header text itself.
//
// It writes the answer itself when there is no issuer (404, or 503 when
// the store cannot answer) and reports false. Otherwise it returns the
// request the handlers see: one copy of r whose context carries the
// request's state and its issuer, with HSTS set for an https issuer.
func (s *Server) resolve(w http.ResponseWriter, r *http.Request, st *requestState) (*http.Request, bool) {
	host := s.effectiveHost(r)
	iss, path, status := s.issuerFor(r.Context(), normalizeHost(host), r.URL.Path)
	switch status {
	case http.StatusNotFound:
		writeJSONError(w, status, "not_found", "no such issuer")
		return nil, false
	case http.StatusServiceUnavailable:
		writeJSONError(w, status, "temporarily_unavailable", "try again later")
		return nil, false
	}
	st.tenantID = iss.TenantID()
	if strings.HasPrefix(iss.URL, "https://") {
		w.Header()["Strict-Transport-Security"] = valHSTS
	}
	ctx := gatehouse.WithIssuer(context.WithValue(r.Context(), stateKey{}, st), iss)
	r2 := r.WithContext(ctx)
	// The cross-origin check of browser pages compares Origin with
	// Host: it must see the host the browser saw.
	r2.Host = host
	if path != r.URL.Path {
		// ServeMux redirects a path that is not clean to its clean form,
		// as it sees it: without the tenant's /t/{slug}, which would land
		// on the platform's pages. Redirect here, with the prefix.
		prefix, isSuffix := strings.CutSuffix(r.URL.Path, path)
		if clean := cleanPath(path); isSuffix && path != "" && clean != path {
			u := *r.URL
			u.Path, u.RawPath = prefix+clean, ""
			http.Redirect(w, r, u.RequestURI(), http.StatusTemporaryRedirect)
			return nil, false
		}
		r2.URL = stripPath(r.URL, path)
	}
	return r2, true
}

// cleanPath is the path ServeMux redirects p to: rooted, without "." and
// ".." segments or doubled slashes, its trailing slash kept.
func cleanPath(p string) string {
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	np := pathpkg.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// stripPath returns a copy of u with path as its path, keeping the raw
// (escaped) form when it still matches.
func stripPath(u *url.URL, path string) *url.URL {
	out := *u
	out.Path = path
	out.RawPath = ""
	if u.RawPath != "" {
		if raw, ok := strings.CutPrefix(u.RawPath, strings.TrimSuffix(u.Path, path)); ok {
			out.RawPath = raw
			if out.EscapedPath() != raw {
				out.RawPath = ""
			}
		}
	}
	return &out
}

// issuerFor returns the issuer of a request to host and path, the path the
// handlers should see, and 200, or 404 for an unknown tenant path, or 503
// when the store cannot answer.
func (s *Server) issuerFor(ctx context.Context, host, path string) (gatehouse.Issuer, string, int) {
	tenants := s.opt.Tenants
	if tenants == nil {
		return s.platform, path, http.StatusOK
	}
	if host != "" && host != s.platformHost && gatehouse.ValidHostname(host) {
		t, err := tenants.TenantByDomain(ctx, host)
		switch {
		case err == nil && t.Status == gatehouse.StatusActive:
			// The URL is the domain as registered, and the store's answer is
			// checked rather than trusted.
			if i := slices.Index(t.Domains, host); i >= 0 {
				return gatehouse.Issuer{URL: "https://" + t.Domains[i], Tenant: t}, path, http.StatusOK
			}
		case err != nil && !gatehouse.IsCode(err, gatehouse.ENOTFOUND):
			s.log.Error("resolve issuer by domain", "host", host, "err", err)
			return gatehouse.Issuer{}, "", http.StatusServiceUnavailable
		}
	}
	slug, rest, ok := tenantPath(path)
	if !ok {
		return s.platform, path, http.StatusOK
	}
	if !gatehouse.ValidSlug(slug) {
		return gatehouse.Issuer{}, "", http.StatusNotFound
	}
	t, err := tenants.TenantBySlug(ctx, slug)
	switch {
	case gatehouse.IsCode(err, gatehouse.ENOTFOUND):
		return gatehouse.Issuer{}, "", http.StatusNotFound
	case err != nil:
		s.log.Error("resolve issuer by slug", "slug", slug, "err", err)
		return gatehouse.Issuer{}, "", http.StatusServiceUnavailable
	case t.Status != gatehouse.StatusActive || t.Slug != slug:
		return gatehouse.Issuer{}, "", http.StatusNotFound
	}
	return gatehouse.Issuer{URL: s.platform.URL + tenantPrefix + t.Slug, Tenant: t}, rest, http.StatusOK
}

// tenantPath splits a tenant path: "/t/acme/oauth/token" is ("acme",
// "/oauth/token"), "/t/acme" is ("acme", "/"), and
// "/.well-known/openid-configuration/t/acme" is ("acme",
// "/.well-known/openid-configuration").
func tenantPath(path string) (slug, rest string, ok bool) {
	for _, wk := range wellKnownSuffixed {
		if after, found := strings.CutPrefix(path, wk+tenantPrefix); found && after != "" && !strings.Contains(after, "/") {
			return after, wk, true
		}
	}
	after, found := strings.CutPrefix(path, tenantPrefix)
	if !found || after == "" {
		return "", "", false
	}
	slug, rest, _ = strings.Cut(after, "/")
	return slug, "/" + rest, true
}

// normalizeHost lower-cases a host, drops its port and a trailing dot.
func normalizeHost(hostport string) string {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	return strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
}

// trusted reports whether the request came straight from a trusted proxy.
func (s *Server) trusted(r *http.Request) (netip.Addr, bool) {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	ip := peer.Addr().Unmap()
	return ip, s.isTrusted(ip)
}

func (s *Server) isTrusted(ip netip.Addr) bool {
	for _, p := range s.opt.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// effectiveHost returns the host the client asked for: the forwarded host
// when a trusted proxy passed one, else the Host header.
func (s *Server) effectiveHost(r *http.Request) string {
	if _, ok := s.trusted(r); ok {
		if fwd := forwardedHost(r.Header); fwd != "" {
			return fwd
		}
	}
	return r.Host
}

// forwardedHost returns the host the nearest proxy reports: from the last
// element of Forwarded (RFC 7239), else the last X-Forwarded-Host value.
func forwardedHost(h http.Header) string {
	if els := parseForwarded(h.Values("Forwarded")); len(els) > 0 {
		return els[len(els)-1]["host"]
	}
	return lastValue(h.Values("X-Forwarded-Host"))
}

// clientIP walks the forwarding chain from the nearest hop back, skipping
// trusted proxies, and returns the first address that is not one: the
// furthest hop whose report can be believed.
func (s *Server) clientIP(r *http.Request) netip.Addr {
	peer, ok := s.trusted(r)
	if !ok {
		return peer
	}
	var chain []string
	if els := parseForwarded(r.Header.Values("Forwarded")); len(els) > 0 {
		for _, el := range els {
			chain = append(chain, el["for"])
		}
	} else {
		for _, v := range r.Header.Values("X-Forwarded-For") {
			for item := range strings.SplitSeq(v, ",") {
				chain = append(chain, strings.TrimSpace(item))
			}
		}
	}
	client := peer
	for _, v := range slices.Backward(chain) {
		ip, ok := parseNodeAddr(v)
		if !ok {
			// An obfuscated or garbled hop: nothing further can be believed.
			return client
		}
		client = ip
		if !s.isTrusted(ip) {
			return ip
		}
	}
	return client
}

// parseNodeAddr parses a hop of X-Forwarded-For or a Forwarded for= value:
// an address, with or without port and brackets.
func parseNodeAddr(v string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(v); err == nil {
		return ap.Addr().Unmap(), true
	}
	if ip, err := netip.ParseAddr(strings.Trim(v, "[]")); err == nil {
		return ip.Unmap(), true
	}
	return netip.Addr{}, false
}

func lastValue(values []string) string {
	if len(values) == 0 {
		return ""
	}
	last := values[len(values)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	return strings.TrimSpace(last)
}

// parseForwarded parses Forwarded header lines (RFC 7239 §4) into their
// elements, each a map of lower-case parameter names to unquoted values.
// A malformed line yields what could be read before the fault.
func parseForwarded(lines []string) []map[string]string {
	var out []map[string]string
	for _, line := range lines {
		el := map[string]string{}
		i := 0
		for i < len(line) {
			switch line[i] {
			case ' ', '\t', ';':
				i++
				continue
			case ',':
				if len(el) > 0 {
					out = append(out, el)
				}
				el = map[string]string{}
				i++
				continue
			}
			eq := strings.IndexByte(line[i:], '=')
			if eq < 0 {
				i = len(line)
				break
			}
			name := strings.ToLower(strings.TrimSpace(line[i : i+eq]))
			i += eq + 1
			var value string
			if i < len(line) && line[i] == '"' {
				var b strings.Builder
				i++
				for i < len(line) && line[i] != '"' {
					if line[i] == '\\' && i+1 < len(line) {
						i++
					}
					b.WriteByte(line[i])
					i++
				}
				i++ // the closing quote
				value = b.String()
			} else {
				end := strings.IndexAny(line[i:], ";,")
				if end < 0 {
					end = len(line) - i
				}
				value = strings.TrimSpace(line[i : i+end])
				i += end
			}
			el[name] = value
		}
		if len(el) > 0 {
			out = append(out, el)
		}
	}
	return out
}
