// Package app assembles a running Gatehouse from its parts: given the
// configuration, a store and the master key, it builds the signing-key
// manager, the audit recorder, the management operations, the HTTP server
// with every endpoint registered, and the background work (key reloads,
// the expired-row sweep). The command and the test harness both build
// through it, so tests run the same wiring as production.
//
// It takes the store as the domain interface and never imports a concrete
// store: choosing one is the command's job.
package app
