// Package provider owns the machine-facing OAuth 2.0 and OpenID Connect
// endpoints of Gatehouse, one file per endpoint or grant: discovery
// (/.well-known/openid-configuration and
// /.well-known/oauth-authorization-server), the JWKS, and, as they are
// built, authorize, token, userinfo, revoke, introspect and logout. Every
// handler serves the issuer that the server put in the request context
// (gatehouse.IssuerFrom) and never builds URLs from request headers.
//
// A Provider is built from an Options struct of explicit dependencies and
// registers its routes on a Router (the server's protocol route class). It
// depends on the root package's types and store interfaces; it never
// imports a concrete store, the server, the login pages or the command.
package provider
