// Package audit records security events in an append-only, hash-chained
// log and verifies the chains.
//
// Events of one tenant (the platform is tenant "") form a chain: each has
// the next sequence number and carries the hash of the event before it. The
// hash is an HMAC-SHA256, keyed with a key derived from the master key,
// over an unambiguous length-prefixed encoding of every field, so changing,
// removing or reordering an event breaks the chain, and nobody without the
// master key can compute a forged one. Verify walks a chain and reports its
// first break.
//
// A chain alone cannot reveal that its newest events were cut off: the
// shortened chain is still a valid chain. Detecting truncation needs the
// head (the last Seq and Hash) recorded somewhere the database's writers
// cannot change, for example an external log that receives it periodically.
//
// A Recorder writes with group commit: one goroutine collects queued events
// into batches, assigns sequence numbers from an in-memory cache of chain
// heads, and appends each batch in one store call. Several processes may
// write to one store: a conflicting append means another node extended a
// chain, and the batch is rechained on the new head and retried, so the
// chains never fork.
//
// It depends on the gatehouse domain and internal/secret only; it must not
// import net/http, a concrete store, or any handler package.
package audit
