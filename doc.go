// Package gatehouse is the domain of the Gatehouse identity provider: the
// plain types that describe tenants, users, OAuth clients, the sign-in flow,
// credentials, connectors, signing keys and audit events, their invariants
// (Validate), and the store interfaces the rest of the program implements.
//
// It owns no I/O. It imports the standard library only, and never net/http
// or database/sql: handlers, stores and the CLI depend on this package, not
// the other way round.
package gatehouse
