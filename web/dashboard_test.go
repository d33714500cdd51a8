package web

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

var (
	frame = DashboardFrame{Base: "/t/acme/dashboard", Section: SectionClients, Organization: "Acme <Corp>",
		UserName: "Ana & Co", AccountURL: "/t/acme/account", SignOutAction: "/t/acme/oauth/logout/confirm"}
	created = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	setup   = []CopyField{
		{ID: "setup-client-id", Label: "Client ID", Value: "gth_ci_abc"},
		{ID: "setup-issuer", Label: "Issuer", Value: "https://id.example.com/t/acme"},
		{ID: "setup-scopes", Label: "Scopes", Value: "openid profile", Hint: "Separated by spaces."},
	}
	clientErrors = FieldErrors{
		"":              {"grant_types[0]: must be one of x"},
		"name":          {"The name is required."},
		"redirect_uris": {`http://x/"cb" must use https.`, "https://y#f must not contain a fragment."},
	}
)

// withSection returns the frame for another section.
func withSection(s, notice string) DashboardFrame {
	f := frame
	f.Section, f.Notice = s, notice
	return f
}

// dashboardPages are one rendering of every dashboard page, with text
// that must be escaped and with problems next to the fields.
var dashboardPages = []struct {
	name string
	page Page
}{
	{"dashboard-clients", Page{Title: "Apps", Brand: acme, Data: DashboardClients{Frame: withSection(SectionClients, "The app is deleted."),
		NewURL: "/t/acme/dashboard/clients/new", NextURL: "/t/acme/dashboard/clients?cursor=x%26y",
		Clients: []DashboardClientRow{
			{URL: "/t/acme/dashboard/clients/c1", Name: "Blog <WP>", Type: "confidential", ClientID: "gth_ci_1", Created: created},
			{URL: "/t/acme/dashboard/clients/c2", Name: "Mobile", Type: "public", ClientID: "gth_ci_2", FirstParty: true, Created: created},
		}}}},
	{"dashboard-clients-empty", Page{Title: "Apps", Brand: plain, Data: DashboardClients{Frame: frame, NewURL: "/dashboard/clients/new"}}},
	{"dashboard-client-form", Page{Title: "Register an app", Brand: acme, Data: DashboardClientForm{Frame: frame,
		Action: "/t/acme/dashboard/clients", CancelURL: "/t/acme/dashboard/clients", Errors: clientErrors,
		Name: "", Type: "confidential", RedirectURIs: "http://x/\"cb\"\nhttps://y#f", Algorithms: []string{"RS256", "ES256"}, IDTokenAlg: "ES256",
		Scopes: []Choice{{Value: "openid", Description: "Sign you in", Checked: true}, {Value: "profile", Description: "Your <name>"},
			{Value: "contacts.*", Description: "Manage contacts", Planned: true}}}}},
	{"dashboard-client-form-edit", Page{Title: "Edit Blog", Brand: plain, Data: DashboardClientForm{Frame: frame, Edit: true,
		Action: "/dashboard/clients/c1", CancelURL: "/dashboard/clients/c1", Hidden: []Field{{"revision", "3"}}, Errors: FieldErrors{},
		Name: "Blog", Type: "public", FirstParty: true, Algorithms: []string{"RS256"}, IDTokenAlg: "RS256"}}},
	{"dashboard-client", Page{Title: "Blog <WP>", Brand: acme, Data: DashboardClient{Frame: withSection(SectionClients, "The app's settings are saved."),
		Name: "Blog <WP>", Description: "The & blog", Type: "confidential", Setup: setup,
		Settings: []Fact{{"Redirect URIs", "https://blog.example/cb"}, {"Scopes", "openid, profile"}},
		Credentials: []DashboardCredential{
			{ClientID: "gth_ci_old", Name: "default", SecretHint: "x1y2", Created: created, Expires: created.Add(time.Hour), Expired: true,
				DeleteAction: "/t/acme/dashboard/clients/c1/credentials/k1/delete"},
			{ClientID: "gth_ci_abc", Name: "rotated", SecretHint: "a9b8", Created: created, LastUsed: created.Add(time.Minute),
				ExpiryURL: "/t/acme/dashboard/clients/c1/credentials/k2/expiry", DeleteAction: "/t/acme/dashboard/clients/c1/credentials/k2/delete"},
			{ClientID: "gth_ci_stage", Name: "staging <eu>", SecretHint: "c7d6", Created: created, Expires: created.Add(48 * time.Hour),
				ExpiryURL: "/t/acme/dashboard/clients/c1/credentials/k3/expiry", KeepAction: "/t/acme/dashboard/clients/c1/credentials/k3/keep",
				DeleteAction: "/t/acme/dashboard/clients/c1/credentials/k3/delete"},
		},
		Created: created, Updated: created, EditURL: "/t/acme/dashboard/clients/c1/edit",
		NewCredentialURL: "/t/acme/dashboard/clients/c1/credentials/new",
		RotateAction:     "/t/acme/dashboard/clients/c1/rotate", DeleteAction: "/t/acme/dashboard/clients/c1/delete",
		Hidden: []Field{{"revision", "2"}},
		Logos: []DashboardLogo{
			{Field: "logo", InputID: "logo-file", Label: "Logo", URI: "https://id.example.com/assets/clients/c1/logo?v=ab&c",
				Action: "/t/acme/dashboard/clients/c1/logos/logo", DeleteAction: "/t/acme/dashboard/clients/c1/logos/logo/delete",
				Hidden: []Field{{"revision", "2"}}},
			{Field: "logo_dark", InputID: "logo-dark-file", Label: "Logo for dark mode", Dark: true,
				Action: "/t/acme/dashboard/clients/c1/logos/logo-dark", Hidden: []Field{{"revision", "2"}}},
		}}}},
	{"dashboard-client-logo-errors", Page{Title: "Blog", Brand: plain, Data: DashboardClient{Frame: frame, Name: "Blog", Type: "confidential",
		Setup: setup[:1], Credentials: []DashboardCredential{{ClientID: "gth_ci_abc", Name: "default", Created: created,
			ExpiryURL: "/dashboard/clients/c1/credentials/k1/expiry"}},
		Created: created, Updated: created, EditURL: "/dashboard/clients/c1/edit", NewCredentialURL: "/dashboard/clients/c1/credentials/new",
		RotateAction: "/dashboard/clients/c1/rotate", DeleteAction: "/dashboard/clients/c1/delete", Hidden: []Field{{"revision", "5"}},
		Errors: FieldErrors{"logo_dark": {"The SVG has a script (<script>), which is not allowed."}},
		Logos: []DashboardLogo{
			{Field: "logo", InputID: "logo-file", Label: "Logo", Action: "/dashboard/clients/c1/logos/logo", Hidden: []Field{{"revision", "5"}}},
			{Field: "logo_dark", InputID: "logo-dark-file", Label: "Logo for dark mode", Dark: true,
				Action: "/dashboard/clients/c1/logos/logo-dark", Hidden: []Field{{"revision", "5"}}},
		}}}},
	{"dashboard-credential-form", Page{Title: "Add a credential to Blog", Brand: acme, Data: DashboardCredentialForm{Frame: frame,
		Action: "/t/acme/dashboard/clients/c1/credentials", CancelURL: "/t/acme/dashboard/clients/c1", App: "Blog <WP>", Secret: true,
		Name: "staging & test", Expires: "at", ExpiresAt: "yesterday",
		Errors: FieldErrors{"expires": {"Give a time such as 2026-11-05T09:30, in UTC."}}}}},
	{"dashboard-credential-expiry", Page{Title: "When gth_ci_abc expires", Brand: plain, Data: DashboardCredentialForm{Frame: frame,
		Action: "/dashboard/clients/c1/credentials/k1/expiry", CancelURL: "/dashboard/clients/c1", App: "Blog", ClientID: "gth_ci_abc",
		Secret: true, Expires: "at", ExpiresAt: "2026-12-01T09:30", Errors: FieldErrors{}}}},
	{"dashboard-client-public", Page{Title: "Mobile", Brand: plain, Data: DashboardClient{Frame: frame, Name: "Mobile", Type: "public",
		Public: true, FirstParty: true, Setup: setup[:2],
		Credentials: []DashboardCredential{{ClientID: "gth_ci_2", Name: "default", Created: created,
			ExpiryURL: "/dashboard/clients/c2/credentials/k1/expiry"}},
		Created: created, Updated: created, EditURL: "/dashboard/clients/c2/edit", DeleteAction: "/dashboard/clients/c2/delete"}}},
	{"dashboard-once", Page{Title: "Blog is registered", Brand: acme, Data: DashboardOnce{Frame: frame,
		Lead: "Copy its client secret now: this is the only time it is shown.",
		Values: []CopyField{{ID: "client-id", Label: "Client ID", Value: "gth_ci_abc"},
			{ID: "client-secret", Label: "Client secret", Value: "gth_cs_<secret>", Mono: true, Hint: "Shown only now."}},
		Setup: setup[1:], Facts: []Fact{{"Expires", "never"}}, DoneURL: "/t/acme/dashboard/clients/c1", DoneLabel: "Go to the app's page"}}},
	{"dashboard-confirm", Page{Title: "Rotate the secret of Blog?", Brand: acme, Data: DashboardConfirm{Frame: frame,
		Lead: "The app gets a new client ID & secret.", Facts: []Fact{{"App", "Blog <WP>"}},
		Action: "/t/acme/dashboard/clients/c1/rotate", Hidden: []Field{{"confirm", "yes"}},
		OptionsLegend: "The old secret", OptionsName: "grace",
		Options: []Choice{{Value: "0", Label: "Stop now"}, {Value: "86400", Label: "A day", Checked: true}},
		Confirm: "Rotate secret", Danger: true, CancelURL: "/t/acme/dashboard/clients/c1"}}},
	{"dashboard-users", Page{Title: "Users", Brand: acme, Data: DashboardUsers{Frame: withSection(SectionUsers, ""),
		NewURL: "/t/acme/dashboard/users/new", Users: []DashboardUserRow{
			{URL: "/t/acme/dashboard/users/u1", Name: "Ana <Lima>", Username: "ana", Email: "ana@example.com", Roles: []string{"admin", "owner"}, Status: "active"},
			{URL: "/t/acme/dashboard/users/u2", Username: "bo", Status: "disabled"},
			{URL: "/t/acme/dashboard/users/u3", Username: "cy", Roles: []string{"agent"}, Status: "invited"},
		}}}},
	{"dashboard-user-form", Page{Title: "Add a user", Brand: plain, Data: DashboardUserForm{Frame: withSection(SectionUsers, ""),
		Action: "/dashboard/users", CancelURL: "/dashboard/users", Username: "ana lima", Roles: "owner", Invite: false,
		Errors: FieldErrors{"username": {"The username must not contain '@' or spaces."}, "password": {"Enter a password."},
			"roles": {"Only an owner can give or take away the owner role."}}}}},
	{"dashboard-user", Page{Title: "Ana", Brand: acme, Data: DashboardUser{Frame: withSection(SectionUsers, "The roles are saved."),
		Name: "Ana", Username: "ana", Status: "active", Facts: []Fact{{"Username", "ana"}, {"Email", "ana@example.com (verified)"}},
		Errors: FieldErrors{}, RolesAction: "/t/acme/dashboard/users/u1/roles", Roles: "admin, agent",
		StatusAction: "/t/acme/dashboard/users/u1/status", LinkAction: "/t/acme/dashboard/users/u1/password-link",
		EditURL: "/t/acme/dashboard/users/u1/edit", Hidden: []Field{{"revision", "4"}}}}},
	{"dashboard-user-edit", Page{Title: "Edit ana", Brand: acme, Data: DashboardUserEdit{Frame: withSection(SectionUsers, ""),
		Action: "/t/acme/dashboard/users/u1", CancelURL: "/t/acme/dashboard/users/u1", Hidden: []Field{{"revision", "4"}},
		Username: "ana", Name: "Ana <Lima>", Email: "ana@",
		Errors: FieldErrors{"email": {"The email must be an email address."}}}}},
	{"dashboard-user-self-disabled", Page{Title: "Bo", Brand: plain, Data: DashboardUser{Frame: withSection(SectionUsers, ""),
		Name: "Bo", Username: "bo", Status: "disabled", Self: true,
		Errors: FieldErrors{"": {"Someone changed this."}, "roles": {"b@d must be a role."}}, RolesAction: "/dashboard/users/u2/roles",
		Roles: "b@d", StatusAction: "/dashboard/users/u2/status", LinkAction: "/dashboard/users/u2/password-link",
		Hidden: []Field{{"revision", "1"}}}}},
	{"dashboard-apikeys", Page{Title: "API keys", Brand: acme, Data: DashboardAPIKeys{Frame: withSection(SectionAPIKeys, "The API key is revoked."),
		NewURL: "/t/acme/dashboard/apikeys/new", Keys: []DashboardAPIKey{
			{Name: "CRM <sync>", Prefix: "gth_sk_ab12", Scopes: []string{"oauth.clients.read", "users.read"}, Created: created,
				Expires: created.Add(90 * 24 * time.Hour), RevokeAction: "/t/acme/dashboard/apikeys/k1/revoke"},
			{Name: "Old", Prefix: "gth_sk_cd34", Scopes: []string{"audit.read"}, Created: created, Revoked: created.Add(time.Hour)},
		}}}},
	{"dashboard-apikey-form", Page{Title: "Create an API key", Brand: plain, Data: DashboardAPIKeyForm{Frame: withSection(SectionAPIKeys, ""),
		Action: "/dashboard/apikeys", CancelURL: "/dashboard/apikeys", Expires: "90", Name: "CRM",
		Errors: FieldErrors{"scopes": {"The key needs at least one scope."}},
		Scopes: []Choice{{Value: "oauth.clients.read", Label: "Read apps"}, {Value: "users.write", Label: "Change users", Checked: true}}}}},
	{"dashboard-audit", Page{Title: "Audit log", Brand: acme, Data: DashboardAudit{Frame: withSection(SectionAudit, ""),
		Action: "/t/acme/dashboard/audit", Errors: FieldErrors{}, FilterAction: "client.create", FilterResult: "failure",
		FilterSince: "2026-11-01", NextURL: "/t/acme/dashboard/audit?after=50&action=client.create", FirstURL: "/t/acme/dashboard/audit",
		Events: []DashboardEvent{
			{Seq: 51, Time: created, Actor: "user ana", Action: "client.create", Target: "client:c1", Result: "success", IP: "203.0.113.7",
				Details: []Fact{{"client_id", "gth_ci_1"}, {"name", "Blog <WP>"}}},
			{Seq: 52, Time: created, Actor: "anonymous", Action: "signin", Result: "failure", Details: []Fact{{"reason", "unknown_user"}}},
		}}}},
	{"dashboard-audit-errors", Page{Title: "Audit log", Brand: plain, Data: DashboardAudit{Frame: withSection(SectionAudit, ""),
		Action: "/dashboard/audit", FilterSince: "yesterday", Errors: FieldErrors{"since": {"Give a day such as 2026-11-05."}}}}},
	{"dashboard-branding", Page{Title: "Branding", Brand: acme, Data: DashboardBranding{Frame: withSection(SectionBranding, ""),
		Action: "/t/acme/dashboard/branding", Hidden: []Field{{"revision", "7"}}, Name: "Acme <Corp>", PrimaryColor: "blue",
		LogoURI: "http://cdn/logo.png", Errors: FieldErrors{"primary_color": {"The color must be a color such as #1a73e8."},
			"logo_uri": {"The logo URL must use https."}},
		DomainsAction: "/t/acme/dashboard/branding/domains", Domains: "login.acme.example", DomainErrors: FieldErrors{},
		DomainIssuers: []CopyField{{ID: "domain-issuer-1", Label: "Issuer on login.acme.example", Value: "https://login.acme.example"}}}}},
	{"dashboard-branding-domains", Page{Title: "Branding", Brand: plain, Data: DashboardBranding{Frame: withSection(SectionBranding, ""),
		Action: "/dashboard/branding", Hidden: []Field{{"revision", "8"}}, Name: "Acme", Errors: FieldErrors{},
		DomainsAction: "/dashboard/branding/domains", Domains: "login.acme.example\nhttps://x/<y>",
		DomainErrors: FieldErrors{"domains": {"https://x/<y> must be a host name such as login.example.com (no scheme, port or path)."}}}}},
	{"dashboard-error", Page{Title: "Not found", Brand: acme, Data: DashboardError{Frame: frame, Message: "There is no such page."}}},
	{"dashboard-denied", Page{Title: "You cannot use this dashboard", Brand: acme, Data: DashboardError{
		Frame: DashboardFrame{AccountURL: "/t/acme/account", SignOutAction: "/t/acme/oauth/logout/confirm"}, Message: "The dashboard is for owners & admins."}}},
}

// TestDashboardGolden compares every dashboard page with its golden file
// (go test -update rewrites them).
func TestDashboardGolden(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	for _, tc := range dashboardPages {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkGolden(t, tc.name, mustRender(t, r, tc.page).Body.Bytes())
		})
	}
}

var (
	idAttr       = regexp.MustCompile(`\bid="([^"]*)"`)
	describedBy  = regexp.MustCompile(`aria-describedby="([^"]*)"`)
	controlTag   = regexp.MustCompile(`<(?:input|textarea|select)\b[^>]*>`)
	copyButton   = regexp.MustCompile(`<button type="button" class="secondary small" data-copy="([^"]*)" hidden>`)
	scriptTag    = regexp.MustCompile(`<script\b[^>]*>`)
	invalidField = regexp.MustCompile(`<(?:input|textarea|select)\b[^>]*aria-invalid="true"[^>]*>`)
)

// TestDashboardAccessible checks what a screen-reader, keyboard and phone
// user needs on every dashboard page: a label bound to every visible
// control, ids that are unique and that every aria-describedby names, a
// problem's list named by its invalid field, alerts announced, copy
// buttons bound to a field and hidden until the script runs, and one
// script, carrying the response's nonce.
func TestDashboardAccessible(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	for _, tc := range dashboardPages {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := mustRender(t, r, tc.page)
			html := rec.Body.String()
			ids := map[string]bool{}
			for _, m := range idAttr.FindAllStringSubmatch(html, -1) {
				if ids[m[1]] {
					t.Errorf("id %q is used twice", m[1])
				}
				ids[m[1]] = true
			}
			for _, tag := range controlTag.FindAllString(html, -1) {
				a := attrs(tag)
				if a["type"] == "hidden" {
					continue
				}
				if id := a["id"]; id == "" || !strings.Contains(html, `<label for="`+id+`">`) {
					t.Errorf("control %s has no label bound to it", tag)
				}
			}
			for _, m := range describedBy.FindAllStringSubmatch(html, -1) {
				for _, id := range strings.Fields(m[1]) {
					if !ids[id] {
						t.Errorf("aria-describedby names %q, which is not on the page", id)
					}
				}
			}
			for _, tag := range invalidField.FindAllString(html, -1) {
				if !strings.Contains(attrs(tag)["aria-describedby"], "-error") {
					t.Errorf("invalid field %s does not name its problems", tag)
				}
			}
			for _, m := range copyButton.FindAllStringSubmatch(html, -1) {
				if !ids[m[1]] || !strings.Contains(html, `<textarea id="`+m[1]+`" rows="1" readonly`) {
					t.Errorf("copy button for %q has no read-only field", m[1])
				}
			}
			if strings.Contains(html, `class="alert"`) && !strings.Contains(html, `class="alert" role="alert"`) {
				t.Error("an alert is not announced with role=alert")
			}
			scripts := scriptTag.FindAllString(html, -1)
			if len(scripts) != 1 || !strings.Contains(scripts[0], `nonce="`+testNonce+`"`) {
				t.Errorf("got scripts %q, want the dashboard's one, with the nonce", scripts)
			}
			csp := rec.Header().Get("Content-Security-Policy")
			if !strings.HasSuffix(csp, "; script-src 'nonce-"+testNonce+"'") || !strings.HasPrefix(csp, CSP(testNonce)) {
				t.Errorf("got CSP %q, want the page policy and the script's nonce", csp)
			}
		})
	}
}

// TestDashboardFrameOnlyOnDashboard checks that the other pages keep
// their policy without scripts and their layout without the dashboard's
// additions.
func TestDashboardFrameOnlyOnDashboard(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	rec := httptest.NewRecorder()
	if err := r.Render(rec, http.StatusOK, Page{Title: "T", Brand: plain, Data: ErrorPage{Message: "m"}}); err != nil {
		t.Fatal(err)
	}
	if csp := rec.Header().Get("Content-Security-Policy"); csp != CSP(testNonce) {
		t.Errorf("got CSP %q on a hosted page, want %q", csp, CSP(testNonce))
	}
	for _, bad := range []string{"<script", "dashboard.", "dash-nav"} {
		if strings.Contains(rec.Body.String(), bad) {
			t.Errorf("a hosted page has %q", bad)
		}
	}
	if _, ok := r.pages[strings.TrimSuffix(dashboardFrame, ".html")]; ok {
		t.Error("the dashboard frame is parsed as a page of its own")
	}
}
