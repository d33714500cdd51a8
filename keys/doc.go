// Package keys owns the life of the asymmetric keys that sign tokens:
// generating them, sealing their private halves with the master key before
// they reach the store, rotating and retiring them, and serving the
// resulting JWKS. A Manager keeps one immutable Set in memory, swapped
// atomically on each load, so signing and verification never touch the
// store.
//
// Each algorithm (RS256, ES256, EdDSA) has, per purpose, one active key
// that signs, one next key that is published before it signs, and retired
// keys that stay published until every token they signed has expired; see
// gatehouse.KeyState. Keys are the platform's (tenant ""): one issuer
// family, one key set.
//
// Nodes share keys through the store only. After another node rotates, a
// node keeps signing with its cached active key, which is now retired and
// still published, so its tokens stay valid; it should call Load
// periodically, or on a change notification, to pick up the new keys.
//
// It depends on the gatehouse domain, internal/secret and go-jose; it must
// not import net/http, a concrete store, or any handler package.
package keys
