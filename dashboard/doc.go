// Package dashboard owns the tenant dashboard: the server-rendered pages
// under /dashboard where a tenant's owners and admins register OAuth
// clients and read the values their apps need, rotate secrets, manage
// users and their roles, create and revoke server API keys, read the
// audit log and change the tenant's branding.
//
// The pages are plain HTML forms (the browser-page route class guards
// them against cross-site posts) that work without script; a small
// script served from our origin adds copy buttons. A destructive action
// is a post that shows a confirmation page, whose own post does it.
//
// Every change is made by an operation of package admin, with the
// signed-in user as the audit actor ("user:<id>"), so the audit log names
// the admin who made it; the dashboard never writes to the store itself.
// It learns who is signed in from the account page's session (package
// login, through the Identity interface) and renders with package web.
// It must not import a concrete store, the server, provider or the
// command.
package dashboard
