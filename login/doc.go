// Package login owns the browser side of OpenID Connect: the
// authorization endpoint (/oauth/authorize), the hosted sign-in and
// consent pages, browser sessions (single sign-on across the clients of a
// tenant), RP-initiated logout (/oauth/logout) and the account page where
// users see their sessions and the applications they authorized, and
// create and revoke their JWT credentials (an app's server-to-server
// access to their account, exchanged at the token endpoint), and the
// set-password page behind the single-use links the management API issues
// (invitations and resets).
//
// The flow of one authorization request:
//
//	/oauth/authorize ── client + redirect URI invalid ──► error page (never a redirect)
//	      │ valid
//	      ├── other error ──────────────────────────────► redirect: error, state, iss
//	      ├── session usable, consent on record ────────► code (no AuthRequest written)
//	      ▼
//	  AuthRequest (30 min) ──► /login ──(password)──► Session
//	                             │                       │
//	                             ├── account may not use the client ──► denied page ──► access_denied
//	                             ▼                       ▼
//	                       /login/consent ──(allow)──► resume ──► code, state, iss
//	                             └──(deny)──► access_denied
//
// Every step after the first goes through one decision (decide), which
// re-checks the session, prompt, max_age, the user's status and roles and
// consent, so a page reached out of order cannot skip a check.
//
// It issues authorization codes; redeeming them is the token endpoint's
// work (package provider), which relies on the AuthCode fields written
// here. It depends on the root package's types and store interfaces, the
// oauth vocabulary, token (handles, id_token_hint), internal/secret and
// web; it must not import a concrete store, the server, provider or the
// command.
package login
