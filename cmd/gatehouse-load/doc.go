// Command gatehouse-load drives a running Gatehouse server with the
// traffic of its hot paths and reports what the server sustained:
// requests per second, latency percentiles (p50, p95, p99), errors by
// kind, and the server process's CPU time and resident memory read from
// /proc.
//
//	gatehouse-load run -url http://127.0.0.1:8080 -database /var/lib/gatehouse/gatehouse.db \
//	    -scenario client_credentials -concurrency 64 -duration 20s
//	gatehouse-load run ... -scenario client_credentials:4,refresh:2,userinfo:4,introspect:4,code:1
//	gatehouse-load seed -database ... -users 1000000 -refresh-tokens 5000000
//
// Scenarios: client_credentials; code (the whole authorization-code flow
// as a browser and its relying party run it: the authorization request
// with PKCE, the sign-in form, the consent the user gave earlier
// remembered, the code exchange); refresh (refresh_token rotation, each
// worker spending the token its last rotation returned); userinfo;
// introspect (a resource server introspecting access tokens); signin (the
// password sign-in: the authorization request and the sign-in form, up to
// the redirect that follows a correct password). A list with weights
// mixes them.
//
// Setup. Before a run the tool creates its own tenant, clients (a web
// application with the ID-token algorithm of -alg, a machine client and a
// resource server) and users, writing them straight into the server's
// database (-database: the SQLite file or the PostgreSQL URL the server
// uses), because the management API cannot create users. Fixtures made
// this way skip the audit log. Every user then signs in once through the
// real sign-in and consent pages, which records the consent that the code
// scenario finds remembered and gives each worker its first access and
// refresh tokens.
//
// Seeding. The seed command fills a store with users, grants and refresh
// tokens with bulk inserts straight into the tables (COPY on PostgreSQL,
// prepared inserts in large transactions on SQLite), so that runs can
// compare an empty store with a large one. A share of the refresh tokens
// is already expired, for the background sweep to delete.
//
// Safety. It targets loopback addresses only (127.0.0.0/8 and ::1): any
// other host is refused before a request is sent. Every run is bounded by
// -duration and -requests and stops by itself.
//
// It is a command: it may import the stores and the driver packages, and
// nothing imports it.
package main
