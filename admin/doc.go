// Package admin owns the management operations of Gatehouse: creating and
// changing tenants, users, roles, OAuth clients and their credentials and
// logos, API and install keys, each validated in full before anything is
// written and each recorded in the audit log with the actor who made it.
// The CLI, the REST API and the dashboard all call these same operations.
//
// Who may change whom is decided here too (rules.go), when the actor is a
// signed-in user: only an owner makes, unmakes or changes an owner, and
// nobody disables their own account or removes their own access.
//
// It also serves them as the management REST API under /api/v1 (API):
// server API key authentication with scopes, or the dashboard session of
// a tenant's owner or admin for same-origin requests from its pages
// (through the Sessions interface, which package login implements); JSON
// errors that name every offending field, paging, ETag and If-Match on
// versioned objects, the SVG sanitizer behind logo uploads, and the
// OpenAPI 3.1 document generated from its route table and body types
// (docs/openapi.json is the same bytes, checked by a test).
//
// It depends on the store interfaces of the root package and never imports
// a concrete store, net/http handlers of other packages, or the command.
package admin
