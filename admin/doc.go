// Package admin owns the management operations of Gatehouse: creating and
// changing tenants, users, roles, OAuth clients and their credentials and
// logos, API and install keys, each validated in full before anything is
// written and each recorded in the audit log with the actor who made it.
// The CLI, the REST API and the dashboard all call these same operations.
//
// It also serves them as the management REST API under /api/v1 (API):
// server API key authentication with scopes, JSON errors that name every
// offending field, paging, ETag and If-Match on versioned objects, the
// SVG sanitizer behind logo uploads, and the OpenAPI 3.1 document
// generated from its route table and body types (docs/openapi.json is the
// same bytes, checked by a test).
//
// It depends on the store interfaces of the root package and never imports
// a concrete store, net/http handlers of other packages, or the command.
package admin
