// Package e2e holds end-to-end tests: the real gatehouse binary, built
// once per run, started as a process on 127.0.0.1, configured and driven
// through its CLI, and used by real relying-party libraries and headless
// Chromium exactly as an operator and an app would.
//
// It contains tests only (and this file); nothing imports it.
package e2e
