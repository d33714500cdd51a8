package gatehousetest

import (
	"fmt"
	"net/url"
	"strings"
)

// Helpers for the fuzz targets that drive a server with arbitrary
// requests: what a fuzzer generates must first become a request that
// HTTP/1.1 can carry, or the test would check net/http, not the server.

// RequestLineSafe percent-encodes what a request line cannot carry
// (controls, spaces), as a browser does before it sends a URL.
func RequestLineSafe(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// HeaderSafe drops the bytes net/http never lets through in a header
// value.
func HeaderSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// FillPath replaces the placeholders of a route's path ("{client}") with
// the values of ids; seg, when not empty, stands in for the last one the
// path names, escaped as one segment. routable is false when seg is a dot
// segment, which ServeMux redirects before any route sees it.
func FillPath(path string, ids map[string]string, seg string) (filled string, routable bool) {
	routable = true
	last, placeholder := -1, ""
	for name := range ids {
		if i := strings.LastIndex(path, name); i > last {
			last, placeholder = i, name
		}
	}
	if seg != "" && placeholder != "" {
		routable = seg != "." && seg != ".."
		path = path[:last] + url.PathEscape(seg) + path[last+len(placeholder):]
	}
	for name, id := range ids {
		path = strings.ReplaceAll(path, name, id)
	}
	return path, routable
}

// Offsite reports whether a Location header's value leaves the server:
// anything but a path of its own, including the forms a browser reads as
// another host ("//host", "/\host").
func Offsite(loc string) bool {
	u, err := url.Parse(loc)
	return err != nil || u.IsAbs() || u.Host != "" || !strings.HasPrefix(loc, "/") ||
		strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, `/\`)
}
