package provider

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gatehouse-id/gatehouse"
)

// Router is where a Provider registers its endpoints: the protocol route
// class of the server, which adds no-store caching and CORS for allowed
// origins. The pattern is a ServeMux pattern ("GET /oauth/jwks.json").
type Router interface {
	HandleProtocol(pattern string, h http.Handler)
}

// Options are the dependencies of a Provider.
type Options struct {
	// Scopes is the scope catalog; discovery advertises its available
	// scopes and their claims, never the planned ones.
	Scopes *gatehouse.ScopeCatalog
	// JWKS returns the current JSON Web Key Set document, precomputed by
	// the signing-key manager; nil bytes mean no keys are loaded yet.
	JWKS func() []byte
	// Clock is the time source; nil uses time.Now.
	Clock gatehouse.Clock
	// Logger receives errors; nil discards them.
	Logger *slog.Logger
}

// Provider serves the OAuth/OIDC endpoints for every issuer.
type Provider struct {
	scopes *gatehouse.ScopeCatalog
	jwks   func() []byte
	clock  gatehouse.Clock
	log    *slog.Logger

	// discovery caches the metadata document of each issuer seen.
	discovery discoveryCache
}

// New returns a Provider over its dependencies. A nil Scopes uses the
// standard catalog.
func New(opt Options) *Provider {
	if opt.Scopes == nil {
		opt.Scopes = gatehouse.NewScopeCatalog()
	}
	if opt.JWKS == nil {
		opt.JWKS = func() []byte { return nil }
	}
	if opt.Clock == nil {
		opt.Clock = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Provider{
		scopes:    opt.Scopes,
		jwks:      opt.JWKS,
		clock:     opt.Clock,
		log:       opt.Logger,
		discovery: discoveryCache{docs: map[string][]byte{}},
	}
}

// Register adds every endpoint of the provider to r.
func (p *Provider) Register(r Router) {
	r.HandleProtocol("GET "+pathOpenIDConfiguration, http.HandlerFunc(p.serveDiscovery))
	r.HandleProtocol("GET "+pathAuthorizationServer, http.HandlerFunc(p.serveDiscovery))
	r.HandleProtocol("GET "+pathJWKS, http.HandlerFunc(p.serveJWKS))
}

// issuer returns the request's issuer. Without one the provider was
// mounted outside the server, a wiring bug: it answers server_error.
func (p *Provider) issuer(w http.ResponseWriter, r *http.Request) (gatehouse.Issuer, bool) {
	iss, ok := gatehouse.IssuerFrom(r.Context())
	if !ok || iss.URL == "" {
		p.log.Error("no issuer in the request context; is the provider mounted behind the server?", "path", r.URL.Path)
		writeError(w, http.StatusInternalServerError, "server_error", "internal error")
		return gatehouse.Issuer{}, false
	}
	return iss, true
}

// writeError writes a JSON error in the shape of RFC 6749 §5.2.
func writeError(w http.ResponseWriter, status int, code, description string) {
	body, _ := json.Marshal(struct {
		Error       string `json:"error"`
		Description string `json:"error_description,omitempty"`
	}{code, description})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// writePublic writes a public JSON document that browsers on any origin
// and shared caches may read for maxAge.
func writePublic(w http.ResponseWriter, r *http.Request, body []byte, maxAge time.Duration) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	// These documents are public and identical for every caller: the
	// protocol class's no-store does not apply.
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(maxAge.Seconds())))
	h.Del("Pragma")
	h.Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// discoveryCache holds metadata documents by issuer URL.
type discoveryCache struct {
	mu   sync.RWMutex
	docs map[string][]byte
}

// maxCachedIssuers bounds the cache; past it, it starts over. Issuers come
// from configuration and the tenant table, so this is only a backstop.
const maxCachedIssuers = 10000

func (c *discoveryCache) get(issuer string, build func() ([]byte, error)) ([]byte, error) {
	c.mu.RLock()
	doc, ok := c.docs[issuer]
	c.mu.RUnlock()
	if ok {
		return doc, nil
	}
	doc, err := build()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.docs) >= maxCachedIssuers {
		clear(c.docs)
	}
	c.docs[issuer] = doc
	c.mu.Unlock()
	return doc, nil
}
