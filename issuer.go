package gatehouse

import "context"

// Issuer is the identity a request is served under: the platform issuer,
// which serves every tenant, or one tenant's own issuer ({platform}/t/{slug}
// or a custom domain). It is resolved from the configured list for each
// request, never built from a header an attacker controls.
type Issuer struct {
	// URL is the exact `iss` value: scheme, host and path, no trailing slash.
	URL string
	// Tenant is the tenant whose issuer this is, nil for the platform
	// issuer.
	Tenant *Tenant
}

// TenantID returns the issuer's tenant id, "" for the platform.
func (i Issuer) TenantID() string {
	if i.Tenant == nil {
		return ""
	}
	return i.Tenant.ID
}

// Admits reports whether a client or user of tenantID may be served under
// this issuer: the platform issuer serves every tenant, a tenant issuer
// only its own.
func (i Issuer) Admits(tenantID string) bool {
	return i.Tenant == nil || i.Tenant.ID == tenantID
}

type issuerKey struct{}

// WithIssuer returns a context that carries the request's issuer.
func WithIssuer(ctx context.Context, iss Issuer) context.Context {
	return context.WithValue(ctx, issuerKey{}, iss)
}

// IssuerFrom returns the issuer stored by WithIssuer.
func IssuerFrom(ctx context.Context) (Issuer, bool) {
	iss, ok := ctx.Value(issuerKey{}).(Issuer)
	return iss, ok
}
