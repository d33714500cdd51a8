// Package admin owns the management operations of Gatehouse: creating and
// changing tenants, users, roles, OAuth clients and their credentials, each
// validated in full before anything is written and each recorded in the
// audit log with the actor who made it. The CLI, the REST API and the
// dashboard all call these same operations.
//
// It depends on the store interfaces of the root package and never imports
// a concrete store, net/http handlers of other packages, or the command.
package admin
