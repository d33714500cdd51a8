package server

import (
	"context"
	"log/slog"
	"net/netip"
	"time"
)

// requestState is what the outer middleware learns about a request as it
// travels inward. Only the request's own goroutine touches it.
type requestState struct {
	start    time.Time
	id       string
	clientIP netip.Addr
	// rw records the response; it lives here to save an allocation.
	rw responseWriter
	// routeMetrics are the metrics of route, found once at registration.
	routeMetrics *routeMetrics
	// route is the ServeMux pattern that matched, "" when none did.
	route string
	// tenantID is the tenant of the request's issuer, "" for the platform.
	tenantID string
	attrs    []slog.Attr
}

type stateKey struct{}

func stateFrom(ctx context.Context) *requestState {
	st, _ := ctx.Value(stateKey{}).(*requestState)
	return st
}

// RequestID returns the id of the request being served ("" outside one):
// the one the access log and the X-Request-Id response header carry.
func RequestID(ctx context.Context) string {
	if st := stateFrom(ctx); st != nil {
		return st.id
	}
	return ""
}

// ClientIP returns the address of the client, as the nearest untrusted hop
// reports it when the request came through trusted proxies; the zero
// Addr outside a request.
func ClientIP(ctx context.Context) netip.Addr {
	if st := stateFrom(ctx); st != nil {
		return st.clientIP
	}
	return netip.Addr{}
}

// AddLogAttrs adds attributes to the request's access log line, such as
// the OAuth client id. Call it from the handler's goroutine; outside a
// request it does nothing. Never pass a secret.
func AddLogAttrs(ctx context.Context, attrs ...slog.Attr) {
	if st := stateFrom(ctx); st != nil {
		st.attrs = append(st.attrs, attrs...)
	}
}
