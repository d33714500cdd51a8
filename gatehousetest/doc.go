// Package gatehousetest runs a complete Gatehouse for tests: the same
// wiring as `gatehouse serve` (package app) over a real SQLite file in a
// temporary directory, on a real HTTP server at 127.0.0.1, with a clock the
// test can move. It also creates tenants, users and clients through the
// same management operations the CLI uses, reads the audit log, and
// gives tests a Browser: a scriptless browser that keeps cookies and
// fills in and submits the hosted pages' forms, for this server or any
// other (the end-to-end tests drive the real binary with it).
//
// Only tests import it. It may import the SQLite store; nothing else but
// the command and end-to-end tests may.
package gatehousetest
