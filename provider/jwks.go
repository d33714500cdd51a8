package provider

import (
	"net/http"
	"time"
)

// jwksMaxAge is how long relying parties may cache the key set. The key
// manager publishes a new signing key longer than this before it signs
// with it, so a cached set holds the key of every fresh token.
const jwksMaxAge = 5 * time.Minute

// serveJWKS serves the public signing keys (RFC 7517 §5) as the key
// manager last computed them. Before any key is loaded it answers 503, so
// that no client caches an empty set.
func (p *Provider) serveJWKS(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.issuer(w, r); !ok {
		return
	}
	doc := p.jwks()
	if len(doc) == 0 {
		writeError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "signing keys are not loaded yet")
		return
	}
	writePublic(w, r, doc, jwksMaxAge)
}
