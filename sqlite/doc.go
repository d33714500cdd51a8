// Package sqlite implements gatehouse.Store on an SQLite file with the
// pure-Go driver modernc.org/sqlite, so the binary needs no cgo.
//
// It owns the SQLite schema (numbered migrations embedded from
// migrations/ and applied by Migrate), the connection setup (one writer
// connection whose transactions begin IMMEDIATE, a separate read-only pool,
// WAL journal, busy timeout, foreign keys on) and the translation between
// rows and domain types, including the mapping of constraint failures to
// gatehouse error codes.
//
// It imports the domain package, internal/secret, internal/cache and the
// driver; it must not import net/http or any handler package. Its
// behaviour is held to the store contract by the storetest conformance
// suite.
package sqlite
