package dashboard

import (
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/admin"
	"github.com/gatehouse-id/gatehouse/web"
)

// A client's credentials beyond the one it is registered with: another
// client_id (and secret) added beside the others, and the time each stops
// working, set, cleared or brought forward to now.

// credentialFormFields maps the credential operations' fields to the
// credential form.
var credentialFormFields = fieldMap{
	"name":       {"name", "The name"},
	"expires_at": {"expires", "The time"},
}

// expiryFormFields maps them to the expiry form, where the time is checked
// before the operation sees it: what the operation refuses is that the
// credential has expired, a sentence of its own.
var expiryFormFields = fieldMap{"expires_at": {"expires", ""}}

// Expiry choices of the credential form.
const (
	expiresNever = "never"
	expiresAt    = "at"
	expiresNow   = "now"
)

// expiryLayouts are the forms a datetime-local field sends its value in
// (with seconds when the browser shows them); the form says it is UTC.
var expiryLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05"}

// readExpiry reads the expiry choice of a credential form: the choice, the
// time chosen for expiresAt, and a problem to show next to the choice.
// Now is a choice only for a credential that exists (allowNow).
func readExpiry(r *http.Request, now time.Time, allowNow bool) (choice string, at time.Time, problem string) {
	choice = r.PostForm.Get("expires")
	switch {
	case choice == expiresNever, choice == expiresNow && allowNow:
		return choice, time.Time{}, ""
	case choice != expiresAt:
		return choice, time.Time{}, "Choose when it expires."
	}
	v := strings.TrimSpace(r.PostForm.Get("expires_at"))
	if v == "" {
		return choice, time.Time{}, "Give the time it stops working, or choose another option."
	}
	for _, layout := range expiryLayouts {
		if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
			if !t.After(now) {
				return choice, time.Time{}, "Choose a time in the future: it is now " + now.UTC().Format(expiryLayouts[0]) + " UTC."
			}
			return choice, t, ""
		}
	}
	return choice, time.Time{}, "Give a time such as 2026-11-05T09:30, in UTC."
}

// credential reads the client named by the path and finds its credential
// the path names, answering 404 itself.
func (d *Dashboard) credential(w http.ResponseWriter, r *http.Request, s *session) (*gatehouse.Client, *gatehouse.ClientCredential, bool) {
	c, ok := d.client(w, r, s)
	if !ok {
		return nil, nil, false
	}
	for i := range c.Credentials {
		if c.Credentials[i].ID == r.PathValue("credential") {
			return c, &c.Credentials[i], true
		}
	}
	d.fail(w, r, s, errNotFound)
	return nil, nil, false
}

// newCredentialForm is the form that adds a credential to c.
func newCredentialForm(s *session, c *gatehouse.Client) web.DashboardCredentialForm {
	self := s.link("/clients/" + c.ID)
	return web.DashboardCredentialForm{Frame: s.frame(""), Action: self + "/credentials", CancelURL: self,
		Errors: web.FieldErrors{}, App: c.Name, Secret: !c.IsPublic(), Expires: expiresNever}
}

func (d *Dashboard) serveNewCredential(w http.ResponseWriter, r *http.Request, s *session) {
	c, ok := d.client(w, r, s)
	if !ok {
		return
	}
	d.render(w, r, http.StatusOK, s, "Add a credential to "+c.Name, newCredentialForm(s, c))
}

// serveAddCredential adds a credential and shows its secret, once.
func (d *Dashboard) serveAddCredential(w http.ResponseWriter, r *http.Request, s *session) {
	c, ok := d.client(w, r, s)
	if !ok {
		return
	}
	f := newCredentialForm(s, c)
	f.Name, f.Expires, f.ExpiresAt = r.PostForm.Get("name"), r.PostForm.Get("expires"), r.PostForm.Get("expires_at")
	choice, at, problem := readExpiry(r, d.clock(), false)
	status := http.StatusUnprocessableEntity
	if problem != "" {
		f.Errors.Add("expires", problem)
	} else {
		if choice == expiresNever {
			at = time.Time{}
		}
		in := admin.CredentialInput{Name: strings.TrimSpace(f.Name), ExpiresAt: at}
		cl, issued, err := d.admin.AddClientCredential(r.Context(), s.actor, s.tenant.ID, c.ID, in)
		if err == nil {
			d.renderAdded(w, r, s, cl, issued)
			return
		}
		if f.Errors, status, ok = formErrors(err, credentialFormFields, nil); !ok {
			d.fail(w, r, s, d.storeError(r, "add client credential", err))
			return
		}
	}
	d.render(w, r, status, s, "Add a credential to "+c.Name, f)
}

// renderAdded shows a new credential, its secret for the only time.
func (d *Dashboard) renderAdded(w http.ResponseWriter, r *http.Request, s *session, c *gatehouse.Client, issued *admin.IssuedCredential) {
	lead := "The credential is added. Copy its client secret now: this is the only time it is shown. " +
		"The app's other credentials keep working until you expire or delete them."
	if issued.Secret == "" {
		lead = "The credential is added: the app can use the new client ID. Its other credentials keep working until you expire or delete them."
	}
	expires := "Never"
	if !issued.ExpiresAt.IsZero() {
		expires = issued.ExpiresAt.UTC().Format("2 Jan 2006, 15:04 UTC")
	}
	d.render(w, r, http.StatusOK, s, "New credential for "+c.Name, web.DashboardOnce{
		Frame:     s.frame(""),
		Lead:      lead,
		Values:    credentialFields(issued.ClientID, issued.Secret),
		Facts:     []web.Fact{{Term: "Name", Detail: issued.Name}, {Term: "Expires", Detail: expires}},
		DoneURL:   s.link("/clients/" + c.ID),
		DoneLabel: "Go to the app's page",
	})
}

// expiryForm is the form that changes when cred of c stops working.
func expiryForm(s *session, c *gatehouse.Client, cred *gatehouse.ClientCredential) web.DashboardCredentialForm {
	self := s.link("/clients/" + c.ID)
	f := web.DashboardCredentialForm{Frame: s.frame(""), Action: self + "/credentials/" + cred.ID + "/expiry",
		CancelURL: self, Errors: web.FieldErrors{}, App: c.Name, ClientID: cred.ClientID, Secret: cred.SecretHint != "",
		Expires: expiresNever}
	if !cred.ExpiresAt.IsZero() {
		f.Expires, f.ExpiresAt = expiresAt, cred.ExpiresAt.UTC().Format(expiryLayouts[0])
	}
	return f
}

func (d *Dashboard) serveCredentialExpiry(w http.ResponseWriter, r *http.Request, s *session) {
	c, cred, ok := d.credential(w, r, s)
	if !ok {
		return
	}
	d.render(w, r, http.StatusOK, s, "When "+cred.ClientID+" expires", expiryForm(s, c, cred))
}

// serveSetCredentialExpiry sets, clears or brings forward to now when a
// credential stops working; now stops the app's use of it for good, so it
// asks first.
func (d *Dashboard) serveSetCredentialExpiry(w http.ResponseWriter, r *http.Request, s *session) {
	c, cred, ok := d.credential(w, r, s)
	if !ok {
		return
	}
	f := expiryForm(s, c, cred)
	f.Expires, f.ExpiresAt = r.PostForm.Get("expires"), r.PostForm.Get("expires_at")
	choice, at, problem := readExpiry(r, d.clock(), true)
	if problem != "" {
		f.Errors.Add("expires", problem)
		d.render(w, r, http.StatusUnprocessableEntity, s, "When "+cred.ClientID+" expires", f)
		return
	}
	self := s.link("/clients/" + c.ID)
	if choice == expiresNow && !confirmed(r) {
		d.render(w, r, http.StatusOK, s, "Stop this credential now?", web.DashboardConfirm{
			Frame: s.frame(""),
			Lead: "The app can no longer use the client ID " + cred.ClientID + ": tokens it asks for with it are refused at once. " +
				"This cannot be undone: to let the app in again, add a new credential.",
			Facts:     []web.Fact{{Term: "App", Detail: c.Name}, {Term: "Client ID", Detail: cred.ClientID}, {Term: "Name", Detail: cred.Name}},
			Action:    f.Action,
			Hidden:    []web.Field{{Name: "expires", Value: expiresNow}, {Name: "confirm", Value: "yes"}},
			Confirm:   "Stop credential",
			Danger:    true,
			CancelURL: self,
		})
		return
	}
	notice := "expiry-saved"
	var err error
	if choice == expiresNow {
		notice = "expired"
		_, err = d.admin.ExpireClientCredential(r.Context(), s.actor, s.tenant.ID, c.ID, cred.ID, time.Time{})
	} else {
		_, err = d.admin.UpdateClientCredential(r.Context(), s.actor, s.tenant.ID, c.ID, cred.ID, admin.CredentialChange{Expiry: &at}, nil)
	}
	if err == nil {
		redirect(w, done(self, notice))
		return
	}
	errs, status, ok := formErrors(err, expiryFormFields, nil)
	if !ok {
		d.fail(w, r, s, d.storeError(r, "set client credential expiry", err))
		return
	}
	f.Errors = errs
	d.render(w, r, status, s, "When "+cred.ClientID+" expires", f)
}

// serveKeepCredential clears a credential's scheduled expiry, so it keeps
// working. It asks nothing first: it stops nothing, and an expiry can be
// set again.
func (d *Dashboard) serveKeepCredential(w http.ResponseWriter, r *http.Request, s *session) {
	c, cred, ok := d.credential(w, r, s)
	if !ok {
		return
	}
	never := time.Time{}
	_, err := d.admin.UpdateClientCredential(r.Context(), s.actor, s.tenant.ID, c.ID, cred.ID, admin.CredentialChange{Expiry: &never}, nil)
	if err == nil {
		redirect(w, done(s.link("/clients/"+c.ID), "expiry-cleared"))
		return
	}
	errs, status, ok := formErrors(err, fieldMap{"expires_at": {"", ""}}, nil)
	if !ok {
		d.fail(w, r, s, d.storeError(r, "clear client credential expiry", err))
		return
	}
	d.renderClient(w, r, status, s, c, "", errs)
}
