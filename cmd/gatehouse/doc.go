// Command gatehouse is the Gatehouse identity provider: `gatehouse serve`
// runs the server, and the other commands manage tenants, users, OAuth
// clients, signing keys and the audit log directly in the store, for
// scripts (--json on every command) and for first-time setup.
//
// This is the only package that wires concrete parts together: it picks the
// store from the configuration and passes every dependency down explicitly.
package main
