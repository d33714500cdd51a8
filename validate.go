package gatehouse

import (
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Clock returns the current time. Logic never calls time.Now itself, so
// tests can pin the clock.
type Clock func() time.Time

var (
	slugPattern     = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)
	rolePattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)
	hostnamePattern = regexp.MustCompile(`^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$`)
	colorPattern    = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)
	uuidPattern     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// IsUUID reports whether s is a lower-case, hyphenated UUID, the form every
// Gatehouse row id takes.
func IsUUID(s string) bool { return uuidPattern.MatchString(s) }

// ValidSlug reports whether s can name a tenant in URLs (/t/{slug}).
func ValidSlug(s string) bool { return slugPattern.MatchString(s) }

// ValidRole reports whether s is a well-formed role name.
func ValidRole(s string) bool { return rolePattern.MatchString(s) }

// ValidHostname reports whether s is a lower-case DNS name with at least two
// labels and no port, as a custom domain must be.
func ValidHostname(s string) bool { return len(s) <= 253 && hostnamePattern.MatchString(s) }

// ValidEmail reports whether s is a bare address (no display name).
func ValidEmail(s string) bool {
	if len(s) > 254 {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

// StorableText reports whether s is text every store can keep and look
// up: UTF-8 without NUL, the two things PostgreSQL's text refuses. Text a
// request brings is checked with it before it reaches a store.
func StorableText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// checkText validates a human-readable single-line string.
func checkText(p *Problems, field, s string, required bool, max int) {
	switch {
	case s == "":
		if required {
			p.Add(field, "is required")
		}
	case !utf8.ValidString(s):
		p.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		p.Add(field, "must be at most %d characters", max)
	case strings.TrimSpace(s) != s:
		p.Add(field, "must not start or end with spaces")
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		p.Add(field, "must not contain control characters")
	}
}

// checkHTTPSURL validates an optional absolute https URL (http only on a
// loopback host), such as a logo.
func checkHTTPSURL(p *Problems, field, s string) {
	if s == "" {
		return
	}
	if len(s) > 2000 {
		p.Add(field, "must be at most 2000 characters")
		return
	}
	if !utf8.ValidString(s) {
		p.Add(field, "must be valid UTF-8")
		return
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" {
		p.Add(field, "must be an absolute URL")
		return
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && IsLoopbackHost(u.Hostname())) {
		p.Add(field, "must use https")
		return
	}
	if u.Fragment != "" || strings.Contains(s, "#") {
		p.Add(field, "must not contain a fragment")
	}
}

// IsLoopbackHost reports whether host (without port) names the local
// machine: localhost or a loopback IP literal.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// CheckRedirectURI validates a redirect or post-logout URI under the rules
// of RFC 6749 §3.1.2, RFC 8252 §7 and the Security BCP: absolute, no
// fragment, https except on a loopback host or with a private-use scheme
// for native apps (reverse-DNS form, containing a dot).
func CheckRedirectURI(s string) string {
	if s == "" {
		return "must not be empty"
	}
	if len(s) > 2000 {
		return "must be at most 2000 characters"
	}
	if strings.Contains(s, "#") {
		return "must not contain a fragment"
	}
	// Compared byte for byte at every request, and kept as text every
	// store must be able to hold.
	if !utf8.ValidString(s) {
		return "must be valid UTF-8"
	}
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return "must not contain spaces or control characters"
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() {
		return "must be an absolute URI"
	}
	switch u.Scheme {
	case "https":
		if u.Host == "" {
			return "must name a host"
		}
	case "http":
		if u.Host == "" {
			return "must name a host"
		}
		if !IsLoopbackHost(u.Hostname()) {
			return "must use https (http is allowed only for loopback hosts)"
		}
	case "javascript", "data", "file", "vbscript":
		return "must not use the " + u.Scheme + " scheme"
	default:
		// RFC 8252 §7.1: private-use schemes are reverse domain names.
		if !strings.Contains(u.Scheme, ".") {
			return "must use https, a loopback http URI, or a private-use scheme in reverse-DNS form (com.example.app:/callback)"
		}
	}
	return ""
}

// checkStrings validates a list with one check per item, naming the item by
// index, and rejects duplicates.
func checkStrings(p *Problems, field string, items []string, check func(string) string) {
	seen := make(map[string]bool, len(items))
	for i, s := range items {
		name := field + "[" + itoa(i) + "]"
		if msg := check(s); msg != "" {
			p.Add(name, "%s", msg)
			continue
		}
		if seen[s] {
			p.Add(name, "is listed twice")
		}
		seen[s] = true
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// checkOrigin validates a CORS origin: scheme and host, no path.
func checkOrigin(s string) string {
	if !utf8.ValidString(s) {
		return "must be valid UTF-8"
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return "must be an origin such as https://app.example.com"
	}
	if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "must be an origin only (scheme, host and port; no path)"
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && IsLoopbackHost(u.Hostname())) {
		return "must use https (http is allowed only for loopback hosts)"
	}
	return ""
}

// sortedUnique returns the trimmed, mapped, non-empty items of in, sorted
// and without duplicates. It never returns nil for a non-empty result.
func sortedUnique(in []string, mapf func(string) string) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, 0, len(in))
	for _, s := range in {
		s = strings.TrimSpace(s)
		if mapf != nil {
			s = mapf(s)
		}
		if s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
