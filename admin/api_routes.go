package admin

import (
	"net/http"
	"strings"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/server"
)

// apiPrefix is where every operation of the API lives.
const apiPrefix = "/api/v1/"

// routeTable is the Router the API registers its operations through: it
// passes each on, and remembers the API's own in a mux of its own, so
// that the requests under apiPrefix that match none (an unknown path, a
// method the path does not take) are answered in the API's JSON too.
// ServeMux would answer them in plain text, which the API's clients do
// not read; it does so even for a path of an operation whose variable
// is a lone "%2F", which it never matches.
type routeTable struct {
	Router
	known *http.ServeMux
}

func newRouteTable(r Router) *routeTable {
	return &routeTable{Router: r, known: http.NewServeMux()}
}

func (t *routeTable) HandleAPI(pattern string, h http.Handler) {
	t.Router.HandleAPI(pattern, h)
	t.known.Handle(pattern, h)
}

func (t *routeTable) HandleAPIUpload(pattern string, h http.Handler) {
	t.Router.HandleAPIUpload(pattern, h)
	t.known.Handle(pattern, h)
}

// probeMethods are the methods the API's operations use, in the order an
// Allow header lists them.
var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// ServeHTTP answers a request under apiPrefix that no operation took: 405
// with Allow when its path is an operation's under another method, 404
// otherwise.
func (t *routeTable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	allow := server.AllowedMethods(t.known, r, probeMethods...)
	if len(allow) == 0 {
		writeJSON(w, http.StatusNotFound, errorDoc{Error: errorBody{Code: gatehouse.ENOTFOUND,
			Message: "no operation of the API has this path; see " + apiPrefix + "openapi.json"}})
		return
	}
	list := strings.Join(allow, ", ")
	w.Header().Set("Allow", list)
	writeJSON(w, http.StatusMethodNotAllowed, errorDoc{Error: errorBody{Code: gatehouse.ENOTFOUND,
		Message: "this path takes " + list + ", not " + methodName(r.Method)}})
}

// methodName bounds an untrusted method for a message.
func methodName(m string) string {
	if len(m) > 16 {
		return m[:16] + "..."
	}
	return m
}
