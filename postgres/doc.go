// Package postgres is the Gatehouse store on PostgreSQL (15 or later),
// through pgx and its connection pool. It is the engine for production and
// for several nodes: every node opens its own pool on the same database and
// they coordinate only through rows, locks and transactions.
//
// It owns the PostgreSQL schema (embedded numbered migrations applied by
// Migrate under an advisory lock), the SQL for every store method, and the
// mapping of PostgreSQL errors to gatehouse.Error codes. It implements
// gatehouse.Store and is held to the same behaviour as the SQLite store by
// the storetest conformance suite.
//
// Every statement goes over the extended protocol with its values sent as
// bound parameters, never interpolated into SQL text; Open refuses a
// connection string that selects pgx's simple-protocol mode. The only
// parameterless Query messages on the wire are pgx's own transaction control
// (BEGIN, COMMIT, ROLLBACK) and the pool's liveness ping. Statements name
// their columns, never SELECT *, so the statements that running nodes have
// prepared stay valid when a newer node's migration adds columns.
//
// Single-use values (authorization codes, refresh tokens) are spent with one
// conditional UPDATE ... RETURNING inside the transaction that also stores
// what replaces them. Under READ COMMITTED a second, concurrent UPDATE of the
// same row waits for the first, re-checks its condition against the
// committed row and matches nothing, so exactly one caller wins, on one node
// or many.
//
// It imports the root gatehouse package, internal/secret, internal/cache
// and pgx. It must not import net/http, database/sql, another store or any
// handler package.
package postgres
