package server

import "net/http"

// AllowedMethods returns those of methods, in their order, under which mux
// has a handler for r's path: the Allow header of a 405 answer (RFC 9110
// §15.5.6) for a request that no pattern took under its own method.
func AllowedMethods(mux *http.ServeMux, r *http.Request, methods ...string) []string {
	var allow []string
	for _, m := range methods {
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
		if _, pattern := mux.Handler(probe); pattern != "" {
			allow = append(allow, m)
		}
	}
	return allow
}
