package login

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/token"
	"github.com/gatehouse-id/gatehouse/web"
)

// JWT credentials on the account page. A user creates one for the apps
// they name (or any app of their organization), sees its value once,
// and can revoke it at any time:
//
//	app's Connect button ──► /account/credentials/new?client_id=… ── signed out ──► sign-in ──┐
//	                                   │ signed in  ◄──────────────────────────────────────────┘
//	                                   ▼
//	                          form (app pre-filled) ──POST /account/credentials──► value, shown once
//
//	account page ──revoke──► confirmation ──POST confirm=yes──► revoked, with every token it issued
//
// The credential is a JWT signed by the issuer (token.Credential) whose
// audience is the issuer's token endpoint; the store keeps its SHA-256.

// pathTokenEndpoint is the token endpoint, relative to the issuer: the
// audience of the credentials minted here, where apps exchange them.
const pathTokenEndpoint = "/oauth/token"

// Limits of the credential form.
const (
	maxCredentialName = 100
	// maxCredentialApps bounds the client IDs one credential names.
	maxCredentialApps = 20
	// maxClientIDLength is the longest client ID looked up.
	maxClientIDLength = 100
	// maxCredentialDays is the longest lifetime a user may choose: a
	// credential is a standing permission, and must be renewed at least
	// yearly.
	maxCredentialDays = 365
	// defaultCredentialDays is the lifetime the form offers first.
	defaultCredentialDays = "90"
	// dateLayout is the form of a day in the form (an HTML date input).
	dateLayout = "2006-01-02"
)

// The "who may use it" choices.
const (
	audienceClients = "clients"
	audienceAny     = "any"
)

// serveNewCredential shows the form that creates a JWT credential. With
// client_id (an app's Connect link) it opens restricted to that app,
// shown by its name; a client_id that names no app of the user's
// organization gets a notice and the plain form. A signed-out browser is
// asked to sign in, to the app's organization when the app is known, and
// comes back here.
func (l *Login) serveNewCredential(w http.ResponseWriter, r *http.Request) {
	iss, ok := l.issuer(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	asked := strings.TrimSpace(q.Get("client_id"))
	clientID := asked
	if len(clientID) > maxClientIDLength || !gatehouse.StorableText(clientID) {
		clientID = ""
	}
	a, err := l.currentAccount(r, iss)
	if err != nil {
		l.renderError(w, r, iss, nil, l.storeError(r, "read session", err))
		return
	}
	if a == nil {
		l.credentialSignIn(w, r, iss, clientID, q.Get("organization"))
		return
	}
	form := l.newCredentialForm(iss, a)
	if asked != "" {
		var app *gatehouse.Client
		if clientID != "" {
			if app, err = l.tenantApp(r.Context(), a.user.TenantID, clientID); err != nil {
				l.renderError(w, r, iss, a.tenant, l.storeError(r, "get client", err))
				return
			}
		}
		switch {
		case app == nil:
			form.Notice = "The application that sent you here is not registered in " + a.tenant.Name +
				". Check the link with the application's developer, or name the applications yourself below."
		default:
			form.ConnectApp = app.Name
			form.Name = truncateRunes(app.Name, maxCredentialName)
			form.ClientIDs = clientID
			form.Apps = []web.CredentialApp{{ClientID: clientID, Name: app.Name}}
		}
	}
	l.renderCredentialForm(w, r, a, http.StatusOK, form)
}

// credentialSignIn asks a signed-out browser to sign in and come back to
// the credential form: on a tenant's issuer to that tenant; on the
// platform's, to the organization of the app named by clientID, or, for
// an unknown app, first to the organization the user names.
func (l *Login) credentialSignIn(w http.ResponseWriter, r *http.Request, iss gatehouse.Issuer, clientID, organization string) {
	ret := url.Values{}
	if clientID != "" {
		ret.Set("client_id", clientID)
	}
	tenant := iss.Tenant
	if tenant == nil && clientID != "" {
		c, err := l.store.GetClientByClientID(r.Context(), clientID)
		switch {
		case err == nil:
			t, err := l.store.GetTenant(r.Context(), c.TenantID)
			if err != nil && !gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
				l.renderError(w, r, iss, nil, l.storeError(r, "get tenant", err))
				return
			}
			if err == nil && t.Status == gatehouse.StatusActive {
				tenant = t
			}
		case !gatehouse.IsCode(err, gatehouse.ENOTFOUND):
			l.renderError(w, r, iss, nil, l.storeError(r, "get client", err))
			return
		}
	}
	slug := ""
	if tenant == nil {
		var perr *web.PageError
		tenant, slug, perr = l.accountTenant(r, iss, organization)
		if perr != nil {
			l.renderError(w, r, iss, nil, perr)
			return
		}
	}
	if tenant == nil {
		data := web.Organization{Action: base(iss) + pathNewCredential, Name: "organization", Slug: slug}
		if clientID != "" {
			data.Hidden = []web.Field{{Name: "client_id", Value: clientID}}
		}
		if slug != "" {
			data.Error = "There is no active organization with that name."
		}
		l.render(w, r, http.StatusOK, web.Page{Title: "Sign in to your account", Brand: l.brand(nil), Data: data})
		return
	}
	l.renderAccountSignIn(w, r, iss, tenant, http.StatusOK, "", "", link(iss, pathNewCredential, ret))
}

// safeReturn checks where the account sign-in form may return to: only
// this issuer's credential form, with nothing but a client_id, so the
// field cannot send anyone to another site or page. It returns the
// rebuilt path.
func safeReturn(iss gatehouse.Issuer, ret string) (string, bool) {
	if ret == "" || len(ret) > 512 || strings.ContainsAny(ret, "\\\x00") {
		return "", false
	}
	u, err := url.Parse(ret)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || u.Fragment != "" ||
		u.Path != base(iss)+pathNewCredential {
		return "", false
	}
	q := url.Values{}
	if id := u.Query().Get("client_id"); id != "" && len(id) <= maxClientIDLength && gatehouse.StorableText(id) {
		q.Set("client_id", id)
	}
	return link(iss, pathNewCredential, q), true
}

// accountReturn is where a successful account sign-in goes: ret when
// safeReturn admits it, the account page otherwise.
func accountReturn(iss gatehouse.Issuer, ret string) string {
	if p, ok := safeReturn(iss, ret); ok {
		return p
	}
	return base(iss) + pathAccount
}

// newCredentialForm returns the empty form: restricted to named apps
// (the user must choose to open it to every app) and 90 days.
func (l *Login) newCredentialForm(iss gatehouse.Issuer, a *account) web.NewCredential {
	today := l.clock().UTC().Truncate(24 * time.Hour)
	return web.NewCredential{
		Action:           base(iss) + pathCredentials,
		CancelURL:        base(iss) + pathAccount,
		OrganizationName: a.tenant.Name,
		Expires:          defaultCredentialDays,
		MinDate:          today.Format(dateLayout),
		MaxDate:          today.AddDate(0, 0, maxCredentialDays).Format(dateLayout),
		Audience:         audienceClients,
	}
}

func (l *Login) renderCredentialForm(w http.ResponseWriter, r *http.Request, a *account, status int, form web.NewCredential) {
	l.render(w, r, status, web.Page{Title: "Create a JWT credential", Brand: l.brand(a.tenant), Data: form})
}

// serveCreateCredential creates a JWT credential from the form and shows
// its value, once. Every problem is listed on the form again, with what
// was typed; nothing is stored until all is well.
func (l *Login) serveCreateCredential(w http.ResponseWriter, r *http.Request) {
	l.accountAction(w, r, func(iss gatehouse.Issuer, a *account) {
		ctx := r.Context()
		now := l.clock()
		f := r.PostForm
		form := l.newCredentialForm(iss, a)
		form.Name = strings.TrimSpace(f.Get("name"))
		form.Expires = f.Get("expires")
		form.ExpiresOn = strings.TrimSpace(f.Get("expires_on"))
		form.Audience = f.Get("audience")
		form.ClientIDs = f.Get("client_ids")
		if len(form.ClientIDs) > 2000 {
			form.ClientIDs = ""
			form.Errors = append(form.Errors, "The list of client IDs is too long.")
		}

		if msg := checkCredentialName(form.Name); msg != "" {
			form.Errors = append(form.Errors, msg)
		}
		expires, msg := credentialExpiry(form.Expires, form.ExpiresOn, now)
		if msg != "" {
			form.Errors = append(form.Errors, msg)
		}
		var allowed []string
		switch form.Audience {
		case audienceAny:
		case audienceClients:
			ids, apps, problems, err := l.checkClientIDs(ctx, a, form.ClientIDs)
			if err != nil {
				l.renderError(w, r, iss, a.tenant, l.storeError(r, "get client", err))
				return
			}
			allowed, form.Apps = ids, apps
			form.Errors = append(form.Errors, problems...)
		default:
			form.Audience = audienceClients
			form.Errors = append(form.Errors, "Choose who may use the credential.")
		}
		if len(form.Errors) > 0 {
			l.renderCredentialForm(w, r, a, http.StatusBadRequest, form)
			return
		}

		cred := &gatehouse.JWTCredential{
			ID:               secret.NewID(),
			TenantID:         a.user.TenantID,
			UserID:           a.user.ID,
			Name:             form.Name,
			AllowedClientIDs: allowed,
			CreatedAt:        now,
			ExpiresAt:        expires,
		}
		raw, hash, err := l.tokens.Credential(token.CredentialClaims{
			Issuer:    iss.URL,
			Subject:   a.user.ID,
			Audience:  iss.URL + pathTokenEndpoint,
			JTI:       cred.ID,
			TenantID:  cred.TenantID,
			ClientIDs: allowed,
			IssuedAt:  now,
			Expiry:    expires,
		})
		if err != nil {
			l.renderError(w, r, iss, a.tenant, l.storeError(r, "mint JWT credential", err))
			return
		}
		cred.Hash = hash
		if err := cred.Validate(); err != nil {
			// The form's checks are stricter than Validate's; reaching
			// here is a bug.
			l.renderError(w, r, iss, a.tenant, l.storeError(r, "validate JWT credential", err))
			return
		}
		if err := l.store.CreateJWTCredential(ctx, cred); err != nil {
			l.renderError(w, r, iss, a.tenant, l.storeError(r, "create JWT credential", err))
			return
		}
		who := "any"
		if len(allowed) > 0 {
			who = strings.Join(allowed, " ")
		}
		l.record(r, cred.TenantID, userActor(a.user.ID), "credential.create", "credential:"+cred.ID, gatehouse.ResultSuccess,
			map[string]string{
				"credential_id":      cred.ID,
				"name":               cred.Name,
				"allowed_client_ids": who,
				"expires_at":         expires.UTC().Format(time.RFC3339),
			})
		l.render(w, r, http.StatusOK, web.Page{
			Title: "Your new JWT credential",
			Brand: l.brand(a.tenant),
			Data: web.CredentialCreated{
				Name:             cred.Name,
				Value:            raw,
				Expires:          expires,
				AnyApp:           len(allowed) == 0,
				Apps:             form.Apps,
				OrganizationName: a.tenant.Name,
				TokenEndpoint:    iss.URL + pathTokenEndpoint,
				GrantType:        gatehouse.GrantJWTBearer,
				AccountURL:       base(iss) + pathAccount,
			},
		})
	})
}

// checkCredentialName returns what is wrong with a credential's name, ""
// when nothing is.
func checkCredentialName(name string) string {
	switch {
	case name == "":
		return "Give the credential a name."
	case !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "The name contains characters that cannot be used."
	case utf8.RuneCountInString(name) > maxCredentialName:
		return "The name can be at most " + strconv.Itoa(maxCredentialName) + " characters long."
	}
	return ""
}

// credentialExpiry returns when a credential created at now ends, from
// the form's choice: a number of days, or the end of a chosen day (UTC),
// at most maxCredentialDays ahead. The message says what is wrong, ""
// when nothing is.
func credentialExpiry(choice, day string, now time.Time) (time.Time, string) {
	switch choice {
	case "30", "90", "365":
		n, _ := strconv.Atoi(choice)
		return now.Add(time.Duration(n) * 24 * time.Hour), ""
	case "date":
		d, err := time.ParseInLocation(dateLayout, day, time.UTC)
		if err != nil {
			return time.Time{}, "Choose the day the credential expires."
		}
		today := now.UTC().Truncate(24 * time.Hour)
		end := d.AddDate(0, 0, 1)
		switch {
		case d.Before(today):
			return time.Time{}, "The day the credential expires must not be in the past."
		case d.After(today.AddDate(0, 0, maxCredentialDays)):
			return time.Time{}, "A credential can last at most a year; choose an earlier day."
		}
		return end, ""
	}
	return time.Time{}, "Choose when the credential expires."
}

// checkClientIDs reads the client IDs typed in the form (separated by
// spaces, commas or new lines) and checks that each names an app of the
// user's organization. It returns them without repeats, the apps by name,
// and one problem per ID that is not an app of the organization (an
// unknown ID and another organization's read the same).
func (l *Login) checkClientIDs(ctx context.Context, a *account, typed string) ([]string, []web.CredentialApp, []string, error) {
	var ids []string
	for _, id := range strings.FieldsFunc(typed, func(r rune) bool { return unicode.IsSpace(r) || r == ',' }) {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	switch {
	case len(ids) == 0:
		return nil, nil, []string{"Name at least one application by its client ID, or let any application of " +
			a.tenant.Name + " use the credential."}, nil
	case len(ids) > maxCredentialApps:
		return nil, nil, []string{"A credential can name at most " + strconv.Itoa(maxCredentialApps) +
			" applications; let any application use it instead."}, nil
	}
	var (
		apps     []web.CredentialApp
		problems []string
	)
	for _, id := range ids {
		var app *gatehouse.Client
		if len(id) <= maxClientIDLength && gatehouse.StorableText(id) {
			var err error
			if app, err = l.tenantApp(ctx, a.user.TenantID, id); err != nil {
				return nil, nil, nil, err
			}
		}
		if app == nil {
			problems = append(problems, "“"+truncateRunes(id, maxClientIDLength)+"” is not the client ID of an application of "+a.tenant.Name+".")
			continue
		}
		apps = append(apps, web.CredentialApp{ClientID: id, Name: app.Name})
	}
	return ids, apps, problems, nil
}

// tenantApp returns the app with OAuth client_id id when it belongs to
// the tenant; nil when there is none (another tenant's reads the same).
func (l *Login) tenantApp(ctx context.Context, tenantID, id string) (*gatehouse.Client, error) {
	c, err := l.store.GetClientByClientID(ctx, id)
	switch {
	case gatehouse.IsCode(err, gatehouse.ENOTFOUND):
		return nil, nil
	case err != nil:
		return nil, err
	case c.TenantID != tenantID:
		return nil, nil
	}
	return c, nil
}

// credentialApps names the apps a credential allows, each once, for the
// pages; names caches lookups across credentials.
func (l *Login) credentialApps(ctx context.Context, tenantID string, ids []string, names map[string]string) ([]web.CredentialApp, error) {
	apps := make([]web.CredentialApp, 0, len(ids))
	for _, id := range ids {
		name, ok := names[id]
		if !ok {
			app, err := l.tenantApp(ctx, tenantID, id)
			if err != nil {
				return nil, err
			}
			if app != nil {
				name = app.Name
			}
			names[id] = name
		}
		apps = append(apps, web.CredentialApp{ClientID: id, Name: name})
	}
	return apps, nil
}

// accountCredentials lists the user's credentials that are not revoked,
// for the account page.
func (l *Login) accountCredentials(r *http.Request, a *account, now time.Time) ([]web.AccountCredential, error) {
	ctx := r.Context()
	creds, err := l.store.ListJWTCredentials(ctx, a.user.TenantID, a.user.ID)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	var out []web.AccountCredential
	for _, c := range creds {
		if !c.RevokedAt.IsZero() {
			continue
		}
		apps, err := l.credentialApps(ctx, c.TenantID, c.AllowedClientIDs, names)
		if err != nil {
			return nil, err
		}
		out = append(out, web.AccountCredential{
			ID:       c.ID,
			Name:     c.Name,
			AnyApp:   len(c.AllowedClientIDs) == 0,
			Apps:     apps,
			Created:  c.CreatedAt,
			Expires:  c.ExpiresAt,
			LastUsed: c.LastUsedAt,
			Expired:  !now.Before(c.ExpiresAt),
		})
	}
	return out, nil
}

// serveRevokeCredential revokes one of the user's credentials, after a
// confirmation: the first post (from the account page) shows what will
// stop working, the second (confirm=yes) revokes the credential and, in
// the same store transaction, every grant made with it, so the access
// tokens apps got with it stop at once.
func (l *Login) serveRevokeCredential(w http.ResponseWriter, r *http.Request) {
	l.accountAction(w, r, func(iss gatehouse.Issuer, a *account) {
		ctx := r.Context()
		id := r.PostForm.Get("credential")
		if id == "" || len(id) > 64 || !gatehouse.StorableText(id) {
			redirect(w, accountDone(iss, ""))
			return
		}
		cred, err := l.store.GetJWTCredential(ctx, a.user.TenantID, id)
		if gatehouse.IsCode(err, gatehouse.ENOTFOUND) || (err == nil && cred.UserID != a.user.ID) {
			// Not one of this user's credentials: nothing to do, and
			// nothing to tell about someone else's.
			redirect(w, accountDone(iss, ""))
			return
		}
		if err != nil {
			l.renderError(w, r, iss, a.tenant, l.storeError(r, "get JWT credential", err))
			return
		}
		if !cred.RevokedAt.IsZero() {
			redirect(w, accountDone(iss, "credential"))
			return
		}
		if r.PostForm.Get("confirm") != "yes" {
			apps, err := l.credentialApps(ctx, cred.TenantID, cred.AllowedClientIDs, map[string]string{})
			if err != nil {
				l.renderError(w, r, iss, a.tenant, l.storeError(r, "get client", err))
				return
			}
			l.render(w, r, http.StatusOK, web.Page{
				Title: "Revoke this credential?",
				Brand: l.brand(a.tenant),
				Data: web.RevokeCredential{
					Action:    base(iss) + pathRevokeCredential,
					Hidden:    []web.Field{{Name: "credential", Value: cred.ID}, {Name: "confirm", Value: "yes"}},
					Name:      cred.Name,
					AnyApp:    len(cred.AllowedClientIDs) == 0,
					Apps:      apps,
					Expires:   cred.ExpiresAt,
					LastUsed:  cred.LastUsedAt,
					CancelURL: base(iss) + pathAccount,
				},
			})
			return
		}
		if err := l.store.RevokeJWTCredential(ctx, cred.TenantID, cred.ID, l.clock()); err != nil {
			if gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
				redirect(w, accountDone(iss, ""))
				return
			}
			l.renderError(w, r, iss, a.tenant, l.storeError(r, "revoke JWT credential", err))
			return
		}
		l.record(r, cred.TenantID, userActor(a.user.ID), "credential.revoke", "credential:"+cred.ID, gatehouse.ResultSuccess,
			map[string]string{"credential_id": cred.ID, "name": cred.Name})
		redirect(w, accountDone(iss, "credential"))
	})
}

// truncateRunes shortens s to at most n characters.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
