// Package e2e holds end-to-end tests: the real gatehouse binary, built
// once per run, started as a process on 127.0.0.1, configured and driven
// through its CLI, and used by real relying-party libraries and headless
// Chromium exactly as an operator and an app would.
//
// Each test that starts a server scans its log when the server has
// stopped: any 5xx answer, panic or logged error fails the test.
//
// The browser tests need Debian's chromium on PATH. Without it they skip,
// except when CI=true, where they fail. They write a screenshot of every
// hosted page, on a phone and on a desktop screen, into the test's
// artifact directory: `go test -artifacts -outputdir DIR ./e2e/` keeps
// them under DIR/_artifacts.
//
// It contains tests only (and this file); nothing imports it.
package e2e
