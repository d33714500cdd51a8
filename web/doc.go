// Package web owns the look of Gatehouse's hosted pages: the HTML
// templates and static assets, embedded in the binary, and the Renderer
// that parses every template once at start-up and writes pages with a
// base layout, tenant branding (name, logo for light and dark schemes,
// colors as CSS custom properties in one nonce-protected inline style), a
// per-response Content-Security-Policy and X-Frame-Options DENY. Static
// files are served under /static/ by content-hashed names, cacheable for a
// year.
//
// It decides nothing about users, clients or sessions: handlers (the login
// pages, the dashboard) build a Page and render it. A failure shown
// instead of a page is a PageError, fixed and safe words with a status;
// the ones every page can meet are built here. It depends on the standard
// library only, and must not import a store, the server, the oauth
// vocabulary or any handler package.
package web
