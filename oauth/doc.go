// Package oauth is the protocol vocabulary shared by the OAuth 2.0 and
// OpenID Connect endpoints: the error type and its delivery (JSON for the
// token, revocation and introspection endpoints, a Bearer challenge for
// protected resources, a redirect or an auto-submitted form for the
// authorization endpoint), the strict parsing of request bodies, client
// authentication and bearer tokens, and PKCE.
//
// It holds no state and makes no decisions about clients, users or
// tokens: handlers in other packages parse with it, decide, and answer
// with it. It must not import a store (database/sql, sqlite, postgres),
// html/template or the web package; the one page it writes, the form_post
// response, is built with the standard html package's escaping.
package oauth
