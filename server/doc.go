// Package server owns the HTTP front of Gatehouse: it builds the
// http.Handler that every request goes through and runs it. It chooses the
// issuer each request is served under (the platform issuer, a tenant
// issuer at {platform}/t/{slug}, or a tenant's custom domain) from the
// configured list, never from a header alone; it trusts forwarded headers
// only from configured proxies; it gives every request an id, one access
// log line, metrics and security headers, and recovers from panics; it
// groups routes into three classes with their own protections (browser
// pages, protocol endpoints, the admin API); and it serves health,
// readiness and metrics.
//
// It knows no endpoint beyond those: handlers are registered by the
// packages that own them, through the app package. It depends on the root
// package's interfaces, never on a concrete store or a handler package;
// handler packages import it only for the request-context helpers
// (RequestID, ClientIP, AddLogAttrs).
package server
