// Package storetest is the conformance suite every gatehouse.Store must
// pass: Run holds a store to the contract written in the root package's
// store.go, the same table of subtests for every engine, tenant isolation,
// single-use codes and refresh rotation under concurrency included.
//
// It also exports fixtures (MustTenant, MustUser, MustClient, ...) and a
// comparison (Diff) for other packages' tests.
//
// It depends on the domain package, internal/secret and the standard
// library's testing support only. It must not import net/http, nor any
// concrete store: the stores import it from their tests, never the
// reverse.
package storetest
