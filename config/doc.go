// Package config owns the process configuration of Gatehouse: one Config
// struct loaded, in rising precedence, from defaults, a JSON file, the
// GATEHOUSE_* environment and command-line flags, and validated as a whole
// so that every problem is reported at once. It also knows how to turn
// settings into the values other parts need: the database kind and source,
// the master key, a logger.
//
// Tenant data (clients, connectors, branding) is not configuration: it lives
// in the database. This package depends on the root package and
// internal/secret only, and never imports a store, net/http handlers or the
// command.
package config
