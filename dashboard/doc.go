// Package dashboard owns the tenant dashboard: the server-rendered pages
// under /dashboard where a tenant's owners and admins register OAuth
// clients and read the values their apps need, add, expire, keep and
// delete their credentials and rotate secrets, upload their logos,
// manage users (name, email, roles, access), create and revoke server API
// keys, read the audit log and change the tenant's branding and custom
// domains.
//
// The pages are plain HTML forms (the browser-page route class guards
// them against cross-site posts) that work without script; a small
// script served from our origin adds copy buttons. A destructive action
// is a post that shows a confirmation page, whose own post does it.
//
// Every change is made by an operation of package admin, with the
// signed-in user as the audit actor ("user:<id>"), so the audit log names
// the admin who made it; the dashboard never writes to the store itself.
// Those operations also decide who may change whom (only an owner makes
// or changes an owner; nobody locks themselves out), for the dashboard
// and for the API called with a dashboard session alike: the pages show
// the refusals they return.
// It learns who is signed in from the account page's session (package
// login, through the Identity interface) and renders with package web.
// It must not import a concrete store, the server, provider or the
// command.
package dashboard
