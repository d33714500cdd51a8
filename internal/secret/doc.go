// Package secret owns the project's small cryptographic building blocks:
// random identifiers and tokens, SHA-256 handles for high-entropy secrets
// with constant-time comparison, argon2id password hashing with a bound on
// concurrent work, and AES-256-GCM sealing under the master key.
//
// It uses the standard library and golang.org/x/crypto only, and never
// imports another Gatehouse package: everything else builds on it.
package secret
