// Package token mints and checks the tokens Gatehouse issues: OpenID
// Connect ID tokens, JWT access tokens (RFC 9068), the verification of
// both at Gatehouse's own endpoints (userinfo, introspection, revocation,
// id_token_hint), the at_hash and c_hash values, and the opaque handles
// (authorization codes, refresh tokens, session cookies) that are stored
// only as their SHA-256.
//
// JWT credentials (typ credential+jwt), which users create for apps to
// exchange at the token endpoint, are minted here too; checking one
// matches it against its stored SHA-256, so it outlives the rotation of
// the key that signed it.
//
// SDK runtime tokens (typ runtime+jwt, audience urn:gatehouse:runtime) are
// minted and checked by Runtime with the runtime-purpose keys only, so a
// runtime token never verifies as an OAuth token, nor the reverse.
//
// Signing uses the active keys of the keys package's current Set, with one
// go-jose signer per key and token type kept until the Set changes, so a
// token costs one JSON encoding and one signature. Verification trusts only
// published keys of the token's own purpose and an explicit algorithm
// allow-list.
//
// It depends on the gatehouse domain, keys, internal/secret and go-jose;
// it must not import net/http, a concrete store or any handler package:
// what to do with a token is the caller's decision.
package token
