// Package cache keeps in memory what the stores read on every token,
// userinfo and introspection request: clients by OAuth client_id, users by
// tenant and id, and the answers to "is this access token revoked".
//
// The caches are exact rather than timed. A store invalidates a cache
// before a change it makes returns, and every cache refuses a value that
// was loaded before the latest invalidation, so a lookup that raced a
// change never keeps what it read before the change.
//
// It does not know where changes come from: the store that owns a cache
// passes on the changes made elsewhere (another process on the same
// SQLite file, another node on the same PostgreSQL) and turns the cache
// off while it cannot hear about them.
//
// It imports the domain package and the standard library only; it must
// not import a store or anything that does I/O.
package cache
