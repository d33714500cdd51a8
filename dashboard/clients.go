package dashboard

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/web"
)

// clientFields maps the client operations' fields to the client form.
var clientFields = fieldMap{
	"name":                    {"name", "The name"},
	"description":             {"description", "The description"},
	"type":                    {"type", "The type"},
	"config.redirect_uris":    {"redirect_uris", "This list"},
	"config.post_logout_uris": {"post_logout_uris", "This list"},
	"config.allowed_origins":  {"allowed_origins", "This list"},
	"scopes":                  {"scopes", ""},
	"id_token_alg":            {"id_token_alg", "The algorithm"},
}

// pageSize is how many items a list page shows.
const pageSize = 50

// listOptions reads the cursor of a list page.
func listOptions(r *http.Request) gatehouse.ListOptions {
	c := r.URL.Query().Get("cursor")
	if len(c) > 200 {
		c = ""
	}
	return gatehouse.ListOptions{Limit: pageSize, Cursor: c}
}

// nextURL is the link to the page after a list page, "" for none.
func nextURL(p, cursor string) string {
	if cursor == "" {
		return ""
	}
	return p + "?" + url.Values{"cursor": {cursor}}.Encode()
}

// currentCredential is the credential an app should be configured with:
// the newest one that has not expired (the last rotation's), or else the
// newest. Credentials come in the order they were added, so of two made
// at the same time the later wins.
func currentCredential(c *gatehouse.Client, now time.Time) *gatehouse.ClientCredential {
	var best *gatehouse.ClientCredential
	for i := range c.Credentials {
		cr := &c.Credentials[i]
		switch {
		case best == nil:
			best = cr
		case best.Expired(now) != cr.Expired(now):
			if !cr.Expired(now) {
				best = cr
			}
		case !cr.CreatedAt.Before(best.CreatedAt):
			best = cr
		}
	}
	return best
}

func (d *Dashboard) serveClients(w http.ResponseWriter, r *http.Request, s *session) {
	clients, next, err := d.admin.ListClients(r.Context(), s.tenant.ID, listOptions(r))
	if err != nil {
		d.fail(w, r, s, d.storeError(r, "list clients", err))
		return
	}
	data := web.DashboardClients{Frame: s.frame(r.URL.Query().Get("done")), NewURL: s.link("/clients/new"),
		NextURL: nextURL(s.link("/clients"), next)}
	now := d.clock()
	for _, c := range clients {
		row := web.DashboardClientRow{URL: s.link("/clients/" + c.ID), Name: c.Name, Type: string(c.Type),
			FirstParty: c.FirstParty, Created: c.CreatedAt}
		if cr := currentCredential(c, now); cr != nil {
			row.ClientID = cr.ClientID
		}
		data.Clients = append(data.Clients, row)
	}
	d.render(w, r, http.StatusOK, s, "Apps", data)
}

// clientForm is the client form filled from c.
func (d *Dashboard) clientForm(s *session, c *gatehouse.Client, edit bool) web.DashboardClientForm {
	f := web.DashboardClientForm{
		Frame:          s.frame(""),
		Action:         s.link("/clients"),
		CancelURL:      s.link("/clients"),
		Edit:           edit,
		Errors:         web.FieldErrors{},
		Name:           c.Name,
		Description:    c.Description,
		Type:           string(c.Type),
		RedirectURIs:   strings.Join(c.RedirectURIs, "\n"),
		PostLogoutURIs: strings.Join(c.PostLogoutRedirectURIs, "\n"),
		AllowedOrigins: strings.Join(c.AllowedOrigins, "\n"),
		Scopes:         d.scopeChoices(c.Scopes),
		FirstParty:     c.FirstParty,
		IDTokenAlg:     c.IDTokenAlg,
		Algorithms:     gatehouse.SigningAlgorithms(),
	}
	if edit {
		f.Action = s.link("/clients/" + c.ID)
		f.CancelURL = s.link("/clients/" + c.ID)
		f.Hidden = []web.Field{revisionField(c.Revision)}
	}
	return f
}

// scopeChoices are the scope picker's checkboxes: the available scopes,
// those in chosen ticked, then the planned groups, disabled.
func (d *Dashboard) scopeChoices(chosen []string) []web.Choice {
	var out []web.Choice
	for _, sc := range d.scopes.Available() {
		out = append(out, web.Choice{Value: sc.Name, Description: sc.Description, Checked: slices.Contains(chosen, sc.Name)})
	}
	for _, sc := range d.scopes.Planned() {
		out = append(out, web.Choice{Value: sc.Name, Description: sc.Description, Planned: true})
	}
	return out
}

// refill puts what was typed back into a client form that came back with
// problems, exactly as typed.
func (d *Dashboard) refill(f *web.DashboardClientForm, r *http.Request) {
	p := r.PostForm
	f.Name, f.Description = p.Get("name"), p.Get("description")
	if !f.Edit {
		f.Type = p.Get("type")
	}
	f.RedirectURIs, f.PostLogoutURIs, f.AllowedOrigins = p.Get("redirect_uris"), p.Get("post_logout_uris"), p.Get("allowed_origins")
	f.Scopes = d.scopeChoices(p["scopes"])
	f.FirstParty = checked(r, "first_party")
	f.IDTokenAlg = p.Get("id_token_alg")
}

// applyClientForm sets the fields of c that the client form holds, and
// returns the problems the form itself finds.
func applyClientForm(c *gatehouse.Client, r *http.Request) web.FieldErrors {
	p := r.PostForm
	c.Name = strings.TrimSpace(p.Get("name"))
	c.Description = strings.TrimSpace(p.Get("description"))
	c.RedirectURIs = lines(p.Get("redirect_uris"))
	c.PostLogoutRedirectURIs = lines(p.Get("post_logout_uris"))
	c.AllowedOrigins = lines(p.Get("allowed_origins"))
	c.Scopes = p["scopes"]
	c.FirstParty = checked(r, "first_party")
	c.IDTokenAlg = p.Get("id_token_alg")
	errs := web.FieldErrors{}
	if len(c.Scopes) == 0 {
		errs.Add("scopes", "Choose at least one scope; openid is the one every sign-in needs.")
	}
	// ApplyDefaults sorts the lists as the operations will, so that a
	// problem with an item, named by its index, is found here.
	c.ApplyDefaults()
	return errs
}

// clientItems are the lists of c whose items the operations name by
// index, by form field.
func clientItems(c *gatehouse.Client) map[string][]string {
	return map[string][]string{
		"redirect_uris":    c.RedirectURIs,
		"post_logout_uris": c.PostLogoutRedirectURIs,
		"allowed_origins":  c.AllowedOrigins,
	}
}

func (d *Dashboard) serveNewClient(w http.ResponseWriter, r *http.Request, s *session) {
	c := &gatehouse.Client{Type: gatehouse.ClientConfidential}
	c.ApplyDefaults()
	d.render(w, r, http.StatusOK, s, "Register an app", d.clientForm(s, c, false))
}

func (d *Dashboard) serveCreateClient(w http.ResponseWriter, r *http.Request, s *session) {
	c := &gatehouse.Client{Type: gatehouse.ClientType(r.PostForm.Get("type"))}
	if c.Type == "" {
		c.Type = gatehouse.ClientConfidential
	}
	errs := applyClientForm(c, r)
	status := http.StatusUnprocessableEntity
	if !errs.Any() {
		created, issued, err := d.admin.CreateClient(r.Context(), s.actor, s.tenant.ID, c)
		if err == nil {
			d.renderCreated(w, r, s, created, issued.ClientID, issued.Secret)
			return
		}
		var ok bool
		if errs, status, ok = formErrors(err, clientFields, clientItems(c)); !ok {
			d.fail(w, r, s, d.storeError(r, "create client", err))
			return
		}
	}
	f := d.clientForm(s, c, false)
	d.refill(&f, r)
	f.Errors = errs
	d.render(w, r, status, s, "Register an app", f)
}

// renderCreated shows a new client's credential, its secret for the only
// time, with the values its settings need.
func (d *Dashboard) renderCreated(w http.ResponseWriter, r *http.Request, s *session, c *gatehouse.Client, clientID, secret string) {
	lead := "The app is registered. Copy its client secret now: this is the only time it is shown. Gatehouse keeps only a hash of it."
	if c.IsPublic() {
		lead = "The app is registered. It is a public app, so it has no secret: it signs users in with PKCE."
	}
	d.render(w, r, http.StatusOK, s, c.Name+" is registered", web.DashboardOnce{
		Frame:     s.frame(""),
		Lead:      lead,
		Values:    credentialFields(clientID, secret),
		Setup:     d.setupFields(s, c, ""),
		DoneURL:   s.link("/clients/" + c.ID),
		DoneLabel: "Go to the app's page",
	})
}

// credentialFields are a new credential's client ID and secret (none for
// a public client), to copy.
func credentialFields(clientID, secret string) []web.CopyField {
	out := []web.CopyField{{ID: "client-id", Label: "Client ID", Value: clientID, Mono: true}}
	if secret != "" {
		out = append(out, web.CopyField{ID: "client-secret", Label: "Client secret", Value: secret, Mono: true,
			Hint: "Shown only now. If it is lost, rotate the secret on the app's page."})
	}
	return out
}

// setupFields are the values an OIDC plugin asks for: the issuer and its
// endpoints, the scopes and, when clientID is not empty, the client ID.
func (d *Dashboard) setupFields(s *session, c *gatehouse.Client, clientID string) []web.CopyField {
	iss := s.issuerURL()
	var out []web.CopyField
	if clientID != "" {
		out = append(out, web.CopyField{ID: "setup-client-id", Label: "Client ID", Value: clientID, Mono: true})
	}
	return append(out,
		web.CopyField{ID: "setup-issuer", Label: "Issuer", Value: iss},
		web.CopyField{ID: "setup-discovery", Label: "Discovery URL", Value: iss + "/.well-known/openid-configuration"},
		web.CopyField{ID: "setup-authorize", Label: "Authorize URL (login endpoint)", Value: iss + "/oauth/authorize"},
		web.CopyField{ID: "setup-token", Label: "Token URL", Value: iss + "/oauth/token"},
		web.CopyField{ID: "setup-userinfo", Label: "UserInfo URL", Value: iss + "/oauth/userinfo"},
		web.CopyField{ID: "setup-jwks", Label: "JWKS URL", Value: iss + "/oauth/jwks.json"},
		web.CopyField{ID: "setup-logout", Label: "End session URL (logout)", Value: iss + "/oauth/logout"},
		web.CopyField{ID: "setup-scopes", Label: "Scopes", Value: gatehouse.JoinScope(d.catalogOrder(c.Scopes)),
			Hint: "Separated by spaces. The app may ask for fewer; openid is needed to sign in."},
	)
}

// catalogOrder returns scopes in the order of the scope catalog (openid
// first, as plugins show it), any the catalog does not know last.
func (d *Dashboard) catalogOrder(scopes []string) []string {
	out := make([]string, 0, len(scopes))
	for _, sc := range d.scopes.Available() {
		if slices.Contains(scopes, sc.Name) {
			out = append(out, sc.Name)
		}
	}
	for _, sc := range scopes {
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// client reads the client named by the path, answering 404 itself.
func (d *Dashboard) client(w http.ResponseWriter, r *http.Request, s *session) (*gatehouse.Client, bool) {
	id := r.PathValue("id")
	if !gatehouse.IsUUID(id) {
		d.fail(w, r, s, errNotFound)
		return nil, false
	}
	c, err := d.admin.Client(r.Context(), s.tenant.ID, id)
	if err != nil {
		d.fail(w, r, s, d.storeError(r, "get client", err))
		return nil, false
	}
	return c, true
}

func (d *Dashboard) serveClient(w http.ResponseWriter, r *http.Request, s *session) {
	c, ok := d.client(w, r, s)
	if !ok {
		return
	}
	d.renderClient(w, r, http.StatusOK, s, c, r.URL.Query().Get("done"), nil)
}

// renderClient shows a client's page; errs, when given, are the problems
// of a logo upload.
func (d *Dashboard) renderClient(w http.ResponseWriter, r *http.Request, status int, s *session, c *gatehouse.Client,
	notice string, errs web.FieldErrors) {
	now := d.clock()
	self := s.link("/clients/" + c.ID)
	data := web.DashboardClient{
		Frame:            s.frame(notice),
		Name:             c.Name,
		Description:      c.Description,
		Type:             string(c.Type),
		Public:           c.IsPublic(),
		FirstParty:       c.FirstParty,
		Created:          c.CreatedAt,
		Updated:          c.UpdatedAt,
		EditURL:          self + "/edit",
		NewCredentialURL: self + "/credentials/new",
		RotateAction:     self + "/rotate",
		DeleteAction:     self + "/delete",
		Hidden:           []web.Field{revisionField(c.Revision)},
		Logos:            logoForms(c, self),
		Errors:           errs,
	}
	clientID := ""
	if cr := currentCredential(c, now); cr != nil {
		clientID = cr.ClientID
	}
	data.Setup = d.setupFields(s, c, clientID)
	for _, cr := range c.Credentials {
		dc := web.DashboardCredential{ClientID: cr.ClientID, Name: cr.Name, SecretHint: cr.SecretHint,
			Created: cr.CreatedAt, Expires: cr.ExpiresAt, Expired: cr.Expired(now), LastUsed: cr.LastUsedAt}
		// An expired credential's expiry no longer moves: only a new
		// credential lets the app in again.
		if !dc.Expired {
			dc.ExpiryURL = self + "/credentials/" + cr.ID + "/expiry"
			if !cr.ExpiresAt.IsZero() {
				dc.KeepAction = self + "/credentials/" + cr.ID + "/keep"
			}
		}
		if len(c.Credentials) > 1 {
			dc.DeleteAction = self + "/credentials/" + cr.ID + "/delete"
		}
		data.Credentials = append(data.Credentials, dc)
	}
	none := func(l []string) string {
		if len(l) == 0 {
			return "None"
		}
		return strings.Join(l, ", ")
	}
	data.Settings = []web.Fact{
		{Term: "Redirect URIs", Detail: none(c.RedirectURIs)},
		{Term: "Sign-out return URIs", Detail: none(c.PostLogoutRedirectURIs)},
		{Term: "Allowed origins", Detail: none(c.AllowedOrigins)},
		{Term: "Scopes", Detail: none(d.catalogOrder(c.Scopes))},
		{Term: "Grant types", Detail: none(c.GrantTypes)},
		{Term: "Client authentication", Detail: c.AuthMethod},
		{Term: "ID token algorithm", Detail: c.IDTokenAlg},
	}
	d.render(w, r, status, s, c.Name, data)
}

func (d *Dashboard) serveEditClient(w http.ResponseWriter, r *http.Request, s *session) {
	c, ok := d.client(w, r, s)
	if !ok {
		return
	}
	d.render(w, r, http.StatusOK, s, "Edit "+c.Name, d.clientForm(s, c, true))
}

func (d *Dashboard) serveUpdateClient(w http.ResponseWriter, r *http.Request, s *session) {
	cur, ok := d.client(w, r, s)
	if !ok {
		return
	}
	next := *cur
	errs := applyClientForm(&next, r)
	var err error
	if !errs.Any() {
		_, err = d.admin.ReplaceClient(r.Context(), s.actor, s.tenant.ID, cur.ID, &next, revision(r))
		if err == nil {
			redirect(w, done(s.link("/clients/"+cur.ID), "client-updated"))
			return
		}
	}
	status := http.StatusUnprocessableEntity
	if err != nil {
		if errs, status, ok = formErrors(err, clientFields, clientItems(&next)); !ok {
			d.fail(w, r, s, d.storeError(r, "update client", err))
			return
		}
	}
	f := d.clientForm(s, cur, true)
	if gatehouse.ErrorCode(err) != codeStale {
		d.refill(&f, r)
	}
	f.Errors = errs
	d.render(w, r, status, s, "Edit "+cur.Name, f)
}

// confirmed reports whether a destructive post is the one its
// confirmation page sent.
func confirmed(r *http.Request) bool { return r.PostForm.Get("confirm") == "yes" }

func (d *Dashboard) serveDeleteClient(w http.ResponseWriter, r *http.Request, s *session) {
	c, ok := d.client(w, r, s)
	if !ok {
		return
	}
	lead := "Users can no longer sign in to " + c.Name + ", and every token it was issued stops working at once. This cannot be undone."
	if confirmed(r) {
		err := d.admin.DeleteClient(r.Context(), s.actor, s.tenant.ID, c.ID, revision(r))
		if err == nil {
			redirect(w, done(s.link("/clients"), "client-deleted"))
			return
		}
		if gatehouse.ErrorCode(err) != codeStale {
			d.fail(w, r, s, d.storeError(r, "delete client", err))
			return
		}
		lead = "This app was changed since you opened its page. " + lead
	}
	d.render(w, r, http.StatusOK, s, "Delete "+c.Name+"?", web.DashboardConfirm{
		Frame:     s.frame(""),
		Lead:      lead,
		Facts:     clientFacts(c, d.clock()),
		Action:    s.link("/clients/" + c.ID + "/delete"),
		Hidden:    []web.Field{revisionField(c.Revision), {Name: "confirm", Value: "yes"}},
		Confirm:   "Delete app",
		Danger:    true,
		CancelURL: s.link("/clients/" + c.ID),
	})
}

// clientFacts sum a client up on a confirmation page.
func clientFacts(c *gatehouse.Client, now time.Time) []web.Fact {
	facts := []web.Fact{{Term: "App", Detail: c.Name}}
	if cr := currentCredential(c, now); cr != nil {
		facts = append(facts, web.Fact{Term: "Client ID", Detail: cr.ClientID})
	}
	return append(facts, web.Fact{Term: "Redirect URIs", Detail: strings.Join(c.RedirectURIs, ", ")})
}

// graceChoices are the rotation's choices of how long the old secret
// keeps working, in seconds.
var graceChoices = []web.Choice{
	{Value: "0", Label: "Stop the old secret now"},
	{Value: "3600", Label: "Keep the old secret working for an hour"},
	{Value: "86400", Label: "Keep the old secret working for a day", Checked: true},
	{Value: "604800", Label: "Keep the old secret working for a week"},
}

func (d *Dashboard) serveRotateSecret(w http.ResponseWriter, r *http.Request, s *session) {
	c, ok := d.client(w, r, s)
	if !ok {
		return
	}
	chosen := r.PostForm.Get("grace")
	known := slices.ContainsFunc(graceChoices, func(c web.Choice) bool { return c.Value == chosen })
	secs, _ := strconv.Atoi(chosen)
	grace := time.Duration(secs) * time.Second
	if !confirmed(r) || !known {
		d.render(w, r, http.StatusOK, s, "Rotate the secret of "+c.Name+"?", web.DashboardConfirm{
			Frame: s.frame(""),
			Lead: "The app gets a new client ID and secret, shown once on the next page. Put both into its settings; " +
				"until then it keeps working with the old ones for as long as you choose here.",
			Facts:         clientFacts(c, d.clock()),
			Action:        s.link("/clients/" + c.ID + "/rotate"),
			Hidden:        []web.Field{{Name: "confirm", Value: "yes"}},
			OptionsLegend: "The old secret",
			OptionsName:   "grace",
			Options:       graceChoices,
			Confirm:       "Rotate secret",
			Danger:        true,
			CancelURL:     s.link("/clients/" + c.ID),
		})
		return
	}
	c, issued, err := d.admin.RotateClientSecret(r.Context(), s.actor, s.tenant.ID, c.ID, grace)
	if err != nil {
		if gatehouse.IsCode(err, gatehouse.EINVALID) {
			d.render(w, r, http.StatusUnprocessableEntity, s, "The secret was not rotated",
				web.DashboardError{Frame: s.frame(""), Message: sentence(gatehouse.ErrorMessage(err))})
			return
		}
		d.fail(w, r, s, d.storeError(r, "rotate client secret", err))
		return
	}
	when := "now"
	if grace > 0 {
		when = "at " + d.clock().Add(grace).UTC().Format("2 Jan 2006, 15:04 UTC")
	}
	d.render(w, r, http.StatusOK, s, "New secret for "+c.Name, web.DashboardOnce{
		Frame: s.frame(""),
		Lead: "Put the new client ID and secret into the app's settings now: this is the only time the secret is shown. " +
			"The old ones stop working " + when + ".",
		Values:    credentialFields(issued.ClientID, issued.Secret),
		Setup:     d.setupFields(s, c, ""),
		DoneURL:   s.link("/clients/" + c.ID),
		DoneLabel: "Go to the app's page",
	})
}

func (d *Dashboard) serveDeleteCredential(w http.ResponseWriter, r *http.Request, s *session) {
	c, cred, ok := d.credential(w, r, s)
	if !ok {
		return
	}
	if !confirmed(r) {
		d.render(w, r, http.StatusOK, s, "Delete this credential?", web.DashboardConfirm{
			Frame: s.frame(""),
			Lead:  "The app can no longer use the client ID " + cred.ClientID + " and its secret: tokens it asks for with them are refused at once.",
			Facts: []web.Fact{{Term: "App", Detail: c.Name}, {Term: "Client ID", Detail: cred.ClientID},
				{Term: "Name", Detail: cred.Name}},
			Action:    s.link("/clients/" + c.ID + "/credentials/" + cred.ID + "/delete"),
			Hidden:    []web.Field{{Name: "confirm", Value: "yes"}},
			Confirm:   "Delete credential",
			Danger:    true,
			CancelURL: s.link("/clients/" + c.ID),
		})
		return
	}
	if _, err := d.admin.DeleteClientCredential(r.Context(), s.actor, s.tenant.ID, c.ID, cred.ID); err != nil {
		if gatehouse.IsCode(err, gatehouse.ECONFLICT) {
			d.render(w, r, http.StatusConflict, s, "The credential was not deleted",
				web.DashboardError{Frame: s.frame(""), Message: sentence(gatehouse.ErrorMessage(err))})
			return
		}
		d.fail(w, r, s, d.storeError(r, "delete client credential", err))
		return
	}
	redirect(w, done(s.link("/clients/"+c.ID), "credential-deleted"))
}
