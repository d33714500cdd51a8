// Package provider owns the machine-facing OAuth 2.0 and OpenID Connect
// endpoints of Gatehouse, one file per endpoint or grant: discovery
// (/.well-known/openid-configuration and
// /.well-known/oauth-authorization-server), the JWKS, the token endpoint
// (client authentication in clientauth.go; the authorization_code,
// refresh_token, client_credentials and JWT bearer (RFC 7523, for the JWT
// credentials users create) grants in grant_*.go), userinfo,
// revocation (RFC 7009) and introspection (RFC 7662). The browser side,
// /oauth/authorize, the sign-in and consent pages and /oauth/logout, is
// package login's; this package redeems the authorization codes it
// issues. Every handler serves the issuer that the server put in the
// request context (gatehouse.IssuerFrom) and never builds URLs from
// request headers.
//
// The token state lives in the store and changes in one transaction per
// grant: redeeming a code stores its grant and refresh token, rotating a
// refresh token stores its successor, and the checks that bind a code or
// refresh token to its client run inside that transaction, so a request
// that fails them spends nothing. A code or refresh token presented a
// second time revokes its grant, which stops every token issued from it.
//
// A Provider is built from an Options struct of explicit dependencies and
// registers its routes on a Router (the server's protocol route class). It
// depends on the root package's types and store interfaces, oauth, token
// and internal/secret; it never imports a concrete store, the server, the
// login pages or the command.
package provider
