package dashboard

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/admin"
	"github.com/gatehouse-id/gatehouse/login"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/web"
)

// Paths of the dashboard, under the issuer's base path.
const (
	pathRoot     = "/dashboard"
	pathSignIn   = "/dashboard/signin"
	pathClients  = "/dashboard/clients"
	pathUsers    = "/dashboard/users"
	pathAPIKeys  = "/dashboard/apikeys"
	pathAudit    = "/dashboard/audit"
	pathBranding = "/dashboard/branding"

	// Pages of the account page that the dashboard links to.
	pathAccount = "/account"
	pathSignOut = "/oauth/logout/confirm"
)

// Identity tells who is signed in and signs browsers in, with the
// account page's session (login.Login).
type Identity interface {
	// SignedIn returns the browser's session and its active user on the
	// request's issuer; nil, nil, nil when nobody is signed in.
	SignedIn(r *http.Request) (*gatehouse.Session, *gatehouse.User, error)
	// ShowSignIn shows the way to sign in; CheckSignIn checks its form
	// and returns the user once a session is started, or nil when it has
	// answered the request itself.
	ShowSignIn(w http.ResponseWriter, r *http.Request, status int, p login.SignInPrompt)
	CheckSignIn(w http.ResponseWriter, r *http.Request, p login.SignInPrompt) *gatehouse.User
}

// Options are the dependencies of the dashboard. Admin, Identity and
// Pages are required.
type Options struct {
	Admin    *admin.Service
	Identity Identity
	Pages    *web.Renderer
	// Scopes is the scope catalog; nil uses the standard one.
	Scopes *gatehouse.ScopeCatalog
	// Clock is the time source; nil uses time.Now.
	Clock gatehouse.Clock
	// Logger receives errors; nil discards them.
	Logger *slog.Logger
	// ClientIP returns the browser's address as the server determined it
	// (behind trusted proxies, the forwarded one), for the audit log. Nil
	// uses the connection's remote address.
	ClientIP func(ctx context.Context) netip.Addr
	// TenantChanged is called after the tenant's name or branding
	// changed, so caches of tenants drop their copy. Nil does nothing.
	TenantChanged func()
}

// Dashboard serves the dashboard's pages. Build it with New.
type Dashboard struct {
	admin         *admin.Service
	id            Identity
	pages         *web.Renderer
	scopes        *gatehouse.ScopeCatalog
	clock         gatehouse.Clock
	log           *slog.Logger
	clientIP      func(ctx context.Context) netip.Addr
	tenantChanged func()
}

// New builds the dashboard over its dependencies; it fails when a
// required one is missing.
func New(o Options) (*Dashboard, error) {
	switch {
	case o.Admin == nil:
		return nil, errors.New("dashboard: Admin is required")
	case o.Identity == nil:
		return nil, errors.New("dashboard: Identity is required")
	case o.Pages == nil:
		return nil, errors.New("dashboard: Pages is required")
	}
	if o.Scopes == nil {
		o.Scopes = gatehouse.NewScopeCatalog()
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.ClientIP == nil {
		o.ClientIP = func(context.Context) netip.Addr { return netip.Addr{} }
	}
	if o.TenantChanged == nil {
		o.TenantChanged = func() {}
	}
	return &Dashboard{admin: o.Admin, id: o.Identity, pages: o.Pages, scopes: o.Scopes,
		clock: o.Clock, log: o.Logger, clientIP: o.ClientIP, tenantChanged: o.TenantChanged}, nil
}

// Router is where the pages are registered: the server's browser-page
// route class, whose CSRF protection refuses cross-origin posts.
type Router interface {
	HandlePage(pattern string, h http.Handler)
}

// Register adds every page of the dashboard to r, and a page under
// /dashboard/ that answers the requests none of them takes.
func (d *Dashboard) Register(router Router) {
	r := newRouteTable(router)
	home := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		redirect(w, issuerBase(r)+pathClients)
	})
	r.HandlePage("GET "+pathRoot, home)
	r.HandlePage("GET "+pathRoot+"/{$}", home)
	r.HandlePage("GET "+pathSignIn, http.HandlerFunc(d.serveSignInPage))
	r.HandlePage("POST "+pathSignIn, http.HandlerFunc(d.serveSignIn))

	r.HandlePage("GET "+pathClients, d.page(web.SectionClients, d.serveClients))
	r.HandlePage("GET "+pathClients+"/new", d.page(web.SectionClients, d.serveNewClient))
	r.HandlePage("POST "+pathClients, d.page(web.SectionClients, d.serveCreateClient))
	r.HandlePage("GET "+pathClients+"/{id}", d.page(web.SectionClients, d.serveClient))
	r.HandlePage("GET "+pathClients+"/{id}/edit", d.page(web.SectionClients, d.serveEditClient))
	r.HandlePage("POST "+pathClients+"/{id}", d.page(web.SectionClients, d.serveUpdateClient))
	r.HandlePage("POST "+pathClients+"/{id}/delete", d.page(web.SectionClients, d.serveDeleteClient))
	r.HandlePage("POST "+pathClients+"/{id}/rotate", d.page(web.SectionClients, d.serveRotateSecret))
	r.HandlePage("GET "+pathClients+"/{id}/credentials/new", d.page(web.SectionClients, d.serveNewCredential))
	r.HandlePage("POST "+pathClients+"/{id}/credentials", d.page(web.SectionClients, d.serveAddCredential))
	r.HandlePage("GET "+pathClients+"/{id}/credentials/{credential}/expiry", d.page(web.SectionClients, d.serveCredentialExpiry))
	r.HandlePage("POST "+pathClients+"/{id}/credentials/{credential}/expiry", d.page(web.SectionClients, d.serveSetCredentialExpiry))
	r.HandlePage("POST "+pathClients+"/{id}/credentials/{credential}/keep", d.page(web.SectionClients, d.serveKeepCredential))
	r.HandlePage("POST "+pathClients+"/{id}/credentials/{credential}/delete", d.page(web.SectionClients, d.serveDeleteCredential))
	r.HandlePage("POST "+pathClients+"/{id}/logos/{logo}", d.page(web.SectionClients, d.serveUploadLogo))
	r.HandlePage("POST "+pathClients+"/{id}/logos/{logo}/delete", d.page(web.SectionClients, d.serveDeleteLogo))

	r.HandlePage("GET "+pathUsers, d.page(web.SectionUsers, d.serveUsers))
	r.HandlePage("GET "+pathUsers+"/new", d.page(web.SectionUsers, d.serveNewUser))
	r.HandlePage("POST "+pathUsers, d.page(web.SectionUsers, d.serveCreateUser))
	r.HandlePage("GET "+pathUsers+"/{id}", d.page(web.SectionUsers, d.serveUser))
	r.HandlePage("GET "+pathUsers+"/{id}/edit", d.page(web.SectionUsers, d.serveEditUser))
	r.HandlePage("POST "+pathUsers+"/{id}", d.page(web.SectionUsers, d.serveUpdateUser))
	r.HandlePage("POST "+pathUsers+"/{id}/roles", d.page(web.SectionUsers, d.serveSetRoles))
	r.HandlePage("POST "+pathUsers+"/{id}/status", d.page(web.SectionUsers, d.serveSetStatus))
	r.HandlePage("POST "+pathUsers+"/{id}/password-link", d.page(web.SectionUsers, d.servePasswordLink))

	r.HandlePage("GET "+pathAPIKeys, d.page(web.SectionAPIKeys, d.serveAPIKeys))
	r.HandlePage("GET "+pathAPIKeys+"/new", d.page(web.SectionAPIKeys, d.serveNewAPIKey))
	r.HandlePage("POST "+pathAPIKeys, d.page(web.SectionAPIKeys, d.serveCreateAPIKey))
	r.HandlePage("POST "+pathAPIKeys+"/{id}/revoke", d.page(web.SectionAPIKeys, d.serveRevokeAPIKey))

	r.HandlePage("GET "+pathAudit, d.page(web.SectionAudit, d.serveAudit))

	r.HandlePage("GET "+pathBranding, d.page(web.SectionBranding, d.serveBranding))
	r.HandlePage("POST "+pathBranding, d.page(web.SectionBranding, d.serveUpdateBranding))
	r.HandlePage("POST "+pathBranding+"/domains", d.page(web.SectionBranding, d.serveUpdateDomains))

	r.handleRest(d)
}

// routeTable is the Router the dashboard registers its pages through: it
// passes each on, and remembers them in a mux of its own, so that a
// request under /dashboard/ that matches none (an unknown path, a method
// the path does not take) gets a page too. ServeMux would answer it in
// plain text; it does so even for the path of a page whose variable is a
// lone "%2F", which it never matches.
type routeTable struct {
	Router
	known *http.ServeMux
}

func newRouteTable(r Router) *routeTable {
	return &routeTable{Router: r, known: http.NewServeMux()}
}

func (t *routeTable) HandlePage(pattern string, h http.Handler) {
	t.Router.HandlePage(pattern, h)
	t.known.Handle(pattern, h)
}

// handleRest registers the page that answers what no other page takes: a
// 405 with Allow when the path is a page's under another method, a 404
// otherwise.
func (t *routeTable) handleRest(d *Dashboard) {
	rest := d.page("", func(w http.ResponseWriter, r *http.Request, s *session) {
		allow := server.AllowedMethods(t.known, r, http.MethodGet, http.MethodHead, http.MethodPost)
		if len(allow) == 0 {
			d.fail(w, r, s, errNotFound)
			return
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		d.fail(w, r, s, errMethod)
	})
	// The root too: ServeMux would redirect it to the root with a slash,
	// a path it sees without the tenant's /t/{slug}.
	t.Router.HandlePage(pathRoot, rest)
	t.Router.HandlePage(pathRoot+"/", rest)
}

// session is a request of a signed-in owner or admin of the tenant.
type session struct {
	iss    gatehouse.Issuer
	user   *gatehouse.User
	tenant *gatehouse.Tenant
	// base is the issuer's path ("" or "/t/acme").
	base    string
	section string
	actor   admin.Actor
}

// link returns the path of a dashboard page, under the issuer.
func (s *session) link(p string) string { return s.base + pathRoot + p }

// frame is what every page of the session shows around its content;
// notice, when not empty, names a confirmation of noticeText.
func (s *session) frame(notice string) web.DashboardFrame {
	name := s.user.Name
	if name == "" {
		name = s.user.Username
	}
	return web.DashboardFrame{
		Base:          s.base + pathRoot,
		Section:       s.section,
		Organization:  s.tenant.Name,
		UserName:      name,
		AccountURL:    s.base + pathAccount,
		SignOutAction: s.base + pathSignOut,
		Notice:        noticeText[notice],
	}
}

// issuerURL is the tenant's own issuer, which the values given to apps
// use: the request's when it is the tenant's (its /t/{slug} path or a
// custom domain), otherwise /t/{slug} under the platform issuer.
func (s *session) issuerURL() string {
	if s.iss.Tenant != nil {
		return s.iss.URL
	}
	return s.iss.URL + "/t/" + s.tenant.Slug
}

// page wraps a handler of a dashboard page: it needs a signed-in user of
// the issuer's tenant with the owner or admin role. A signed-out browser
// is sent to sign in and comes back; anyone else gets a 403 page.
func (d *Dashboard) page(section string, h func(w http.ResponseWriter, r *http.Request, s *session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		iss, ok := gatehouse.IssuerFrom(r.Context())
		if !ok || iss.URL == "" {
			d.log.ErrorContext(r.Context(), "no issuer in the request context; is the dashboard mounted behind the server?")
			d.fail(w, r, nil, web.InternalError())
			return
		}
		base := issuerBase(r)
		_, user, err := d.id.SignedIn(r)
		if err != nil {
			d.fail(w, r, nil, d.storeError(r, "read session", err))
			return
		}
		if user == nil {
			ret := base + pathRoot
			if r.Method == http.MethodGet {
				ret = base + r.URL.Path
				if r.URL.RawQuery != "" {
					ret += "?" + r.URL.RawQuery
				}
			}
			redirect(w, base+pathSignIn+"?"+url.Values{"return": {ret}}.Encode())
			return
		}
		tenant, err := d.admin.Tenant(r.Context(), user.TenantID)
		if err != nil {
			d.fail(w, r, nil, d.storeError(r, "read tenant", err))
			return
		}
		s := &session{iss: iss, user: user, tenant: tenant, base: base, section: section,
			actor: admin.Actor{ID: "user:" + user.ID, IP: d.remoteIP(r), UserAgent: userAgent(r)}}
		if tenant.Status != gatehouse.StatusActive || !user.HasRole(gatehouse.RoleOwner, gatehouse.RoleAdmin) {
			d.deny(w, r, s)
			return
		}
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil || !storable(r.PostForm) {
				d.fail(w, r, s, errBadRequest)
				return
			}
		}
		h(w, r, s)
	})
}

// storable reports whether every name and value of a form is UTF-8
// without NUL, as the forms of our UTF-8 pages send them: PostgreSQL's
// text keeps nothing else, and not every operation checks each field
// (redirect URIs, for one) for it.
func storable(form url.Values) bool {
	for name, values := range form {
		if !gatehouse.StorableText(name) {
			return false
		}
		for _, v := range values {
			if !gatehouse.StorableText(v) {
				return false
			}
		}
	}
	return true
}

// deny answers a signed-in user who may not use the dashboard.
func (d *Dashboard) deny(w http.ResponseWriter, r *http.Request, s *session) {
	f := s.frame("")
	f.Base = ""
	msg := "The dashboard of " + s.tenant.Name + " is for its owners and admins. You are signed in as " +
		s.user.Username + ", who has neither role. Ask an owner or admin of " + s.tenant.Name + " for access."
	if s.tenant.Status != gatehouse.StatusActive {
		msg = s.tenant.Name + " is not active, so its dashboard is closed."
	}
	d.render(w, r, http.StatusForbidden, s, "You cannot use this dashboard", web.DashboardError{Frame: f, Message: msg})
}

// signInPrompt is the dashboard's sign-in, returning to ret.
func signInPrompt(base, ret string) login.SignInPrompt {
	return login.SignInPrompt{Title: "Sign in to the dashboard", Action: base + pathSignIn, Return: ret}
}

// serveSignInPage shows the sign-in, or sends a signed-in browser on.
func (d *Dashboard) serveSignInPage(w http.ResponseWriter, r *http.Request) {
	base := issuerBase(r)
	ret := safeReturn(base, r.URL.Query().Get("return"))
	_, user, err := d.id.SignedIn(r)
	if err != nil {
		d.fail(w, r, nil, d.storeError(r, "read session", err))
		return
	}
	if user != nil {
		redirect(w, ret)
		return
	}
	d.id.ShowSignIn(w, r, http.StatusOK, signInPrompt(base, ret))
}

// serveSignIn checks the sign-in form and goes where it was asked to.
func (d *Dashboard) serveSignIn(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		d.fail(w, r, nil, errBadRequest)
		return
	}
	base := issuerBase(r)
	ret := safeReturn(base, r.PostForm.Get("return"))
	if d.id.CheckSignIn(w, r, signInPrompt(base, ret)) == nil {
		return
	}
	redirect(w, ret)
}

// safeReturn admits only a page of this issuer's dashboard as the place
// to return to after signing in, so the field cannot send anyone to
// another site or page; anything else is the dashboard's home. It
// returns the rebuilt path.
func safeReturn(base, ret string) string {
	home := base + pathRoot
	if ret == "" || len(ret) > 1000 || strings.ContainsAny(ret, "\\\x00") {
		return home
	}
	u, err := url.Parse(ret)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || u.Fragment != "" {
		return home
	}
	if u.Path != home && (!strings.HasPrefix(u.Path, home+"/") || path.Clean(u.Path) != u.Path) {
		return home
	}
	if q := u.Query(); len(q) > 0 {
		return u.Path + "?" + q.Encode()
	}
	return u.Path
}

// issuerBase returns the path of the request's issuer ("" or
// "/t/acme"), which every link and form of its pages starts with: the
// server strips it before routing.
func issuerBase(r *http.Request) string {
	iss, ok := gatehouse.IssuerFrom(r.Context())
	if !ok {
		return ""
	}
	u, err := url.Parse(iss.URL)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(u.Path, "/")
}

// redirect sends the browser to another of our pages (303: the next
// request is a GET whatever this one was).
func redirect(w http.ResponseWriter, location string) {
	w.Header().Set("Location", location)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusSeeOther)
}

// done returns a page's path with a notice to show there.
func done(p, notice string) string { return p + "?" + url.Values{"done": {notice}}.Encode() }

// noticeText confirms an action on the page it led to; the query names
// one, so no text from the URL reaches the page.
var noticeText = map[string]string{
	"client-updated":     "The app's settings are saved.",
	"client-deleted":     "The app is deleted. Every token it was issued has stopped working.",
	"credential-deleted": "The credential is deleted. The app can no longer use it.",
	"expiry-saved":       "The credential's expiry is saved.",
	"expiry-cleared":     "The credential no longer expires.",
	"expired":            "The credential has stopped working. To let the app in again, add a new credential.",
	"logo-saved":         "The logo is saved. Users see it when they are asked to allow the app.",
	"logo-deleted":       "The logo is removed.",
	"user-created":       "The user is added.",
	"user-updated":       "The name and email are saved.",
	"roles-saved":        "The roles are saved.",
	"user-disabled":      "The account is disabled. Its sessions have ended and the apps it allowed lost their access.",
	"user-enabled":       "The account is enabled again.",
	"key-revoked":        "The API key is revoked.",
	"branding-saved":     "The branding is saved.",
	"domains-saved":      "The custom domains are saved.",
}

// brand returns how the tenant's pages look.
func brand(t *gatehouse.Tenant) web.Brand {
	if t == nil {
		return web.Brand{}
	}
	return web.Brand{
		Name:            t.Name,
		LogoURI:         t.Branding.LogoURI,
		LogoDarkURI:     t.Branding.LogoDarkURI,
		PrimaryColor:    t.Branding.PrimaryColor,
		BackgroundColor: t.Branding.BackgroundColor,
	}
}

// render writes a page and logs a rendering failure (a bug: the renderer
// has already answered 500).
func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, status int, s *session, title string, data web.PageData) {
	var b web.Brand
	if s != nil {
		b = brand(s.tenant)
	}
	if err := d.pages.Render(w, status, web.Page{Title: title, Brand: b, Data: data}); err != nil {
		d.log.ErrorContext(r.Context(), "render page", "path", r.URL.Path, "err", err)
	}
}

// The dashboard's own fixed failures; web builds the ones every page
// shares (web.InternalError, web.UnavailableError).
var (
	errBadRequest = &web.PageError{Status: http.StatusBadRequest, Title: "Something is wrong with this request",
		Message: "This request could not be read. Go back and try again."}
	errNotFound = &web.PageError{Status: http.StatusNotFound, Title: "Not found",
		Message: "There is no such page in this dashboard. It may have been deleted."}
	errMethod = &web.PageError{Status: http.StatusMethodNotAllowed, Title: "Something is wrong with this request",
		Message: "This page cannot be used this way. Go back and try again."}
)

// fail shows a failure: in the dashboard's frame when the user is known
// to be one of its admins, otherwise on the hosted pages' error page.
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, s *session, e *web.PageError) {
	if s == nil {
		d.render(w, r, e.Status, nil, e.Title, web.ErrorPage{Message: e.Message})
		return
	}
	d.render(w, r, e.Status, s, e.Title, web.DashboardError{Frame: s.frame(""), Message: e.Message})
}

// storeError maps a failure to read or write to the page shown for it,
// and logs it.
func (d *Dashboard) storeError(r *http.Request, op string, err error) *web.PageError {
	switch gatehouse.ErrorCode(err) {
	case gatehouse.ENOTFOUND:
		return errNotFound
	case gatehouse.EINVALID:
		// Only what the address carries gets here unchecked (a list's
		// cursor): a bad link, not a failure.
		return errBadRequest
	case gatehouse.EUNAVAILABLE:
		d.log.WarnContext(r.Context(), op, "err", err)
		return web.UnavailableError()
	}
	if r.Context().Err() == nil {
		d.log.ErrorContext(r.Context(), op, "err", err)
	}
	return web.InternalError()
}

// remoteIP returns the browser's address for the audit log.
func (d *Dashboard) remoteIP(r *http.Request) string {
	if ip := d.clientIP(r.Context()); ip.IsValid() {
		return ip.Unmap().String()
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return ""
	}
	return ip.Unmap().String()
}

// maxUserAgent bounds what the audit log keeps of a User-Agent header.
const maxUserAgent = 256

func userAgent(r *http.Request) string {
	ua := r.UserAgent()
	if len(ua) > maxUserAgent {
		ua = ua[:maxUserAgent]
	}
	return strings.ToValidUTF8(ua, "")
}
