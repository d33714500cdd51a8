package dashboard

import (
	"cmp"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/admin"
	"github.com/gatehouse-id/gatehouse/web"
)

// userFields maps the user operations' fields to the user forms.
var userFields = fieldMap{
	"username":       {"username", "The username"},
	"email":          {"email", "The email"},
	"email_verified": {"email", "The email"},
	"name":           {"name", "The name"},
	"password":       {"password", "The password"},
	"roles":          {"roles", "The list of roles"},
}

// Who may change whom (only an owner makes, unmakes or changes an owner;
// nobody disables their own account or removes their own access) is
// decided by package admin's operations, for the dashboard and for the
// API alike: the pages show the refusals they return.

func (d *Dashboard) serveUsers(w http.ResponseWriter, r *http.Request, s *session) {
	users, next, err := d.admin.ListUsers(r.Context(), s.tenant.ID, listOptions(r))
	if err != nil {
		d.fail(w, r, s, d.storeError(r, "list users", err))
		return
	}
	data := web.DashboardUsers{Frame: s.frame(r.URL.Query().Get("done")), NewURL: s.link("/users/new"),
		NextURL: nextURL(s.link("/users"), next)}
	for _, u := range users {
		data.Users = append(data.Users, web.DashboardUserRow{URL: s.link("/users/" + u.ID), Name: u.Name,
			Username: u.Username, Email: u.Email, Roles: u.Roles, Status: string(u.Status)})
	}
	d.render(w, r, http.StatusOK, s, "Users", data)
}

func (d *Dashboard) userForm(s *session) web.DashboardUserForm {
	return web.DashboardUserForm{Frame: s.frame(""), Action: s.link("/users"), CancelURL: s.link("/users"),
		Errors: web.FieldErrors{}, Invite: true}
}

func (d *Dashboard) serveNewUser(w http.ResponseWriter, r *http.Request, s *session) {
	d.render(w, r, http.StatusOK, s, "Add a user", d.userForm(s))
}

func (d *Dashboard) serveCreateUser(w http.ResponseWriter, r *http.Request, s *session) {
	p := r.PostForm
	f := d.userForm(s)
	f.Username, f.Email, f.Name, f.Roles = p.Get("username"), p.Get("email"), p.Get("name"), p.Get("roles")
	f.Invite = p.Get("invite") != "no"
	in := admin.UserInput{
		Username: strings.TrimSpace(f.Username),
		Email:    strings.TrimSpace(f.Email),
		Name:     strings.TrimSpace(f.Name),
		Roles:    words(f.Roles),
	}
	if !f.Invite {
		in.Password = p.Get("password")
		if in.Password == "" {
			f.Errors.Add("password", "Enter a password, or choose to create a set-password link.")
		}
	}
	status := http.StatusUnprocessableEntity
	if !f.Errors.Any() {
		var (
			u    *gatehouse.User
			link admin.PasswordLink
			err  error
		)
		if f.Invite {
			u, link, err = d.admin.InviteUser(r.Context(), s.actor, s.tenant.ID, in)
		} else {
			u, err = d.admin.CreateUser(r.Context(), s.actor, s.tenant.ID, in)
		}
		if err == nil {
			if f.Invite {
				d.renderPasswordLink(w, r, s, u, link, true)
				return
			}
			redirect(w, done(s.link("/users/"+u.ID), "user-created"))
			return
		}
		var ok bool
		items := map[string][]string{"roles": gatehouse.NormalizeRoles(in.Roles)}
		if f.Errors, status, ok = formErrors(err, userFields, items); !ok {
			d.refuse(w, r, s, "create user", err)
			return
		}
	}
	d.render(w, r, status, s, "Add a user", f)
}

// renderPasswordLink shows a set-password link, the only time it is
// shown.
func (d *Dashboard) renderPasswordLink(w http.ResponseWriter, r *http.Request, s *session, u *gatehouse.User, link admin.PasswordLink, invite bool) {
	lead := "Send " + u.Username + " this link: with it they choose a new password. It works once, and it is shown only now."
	title := "Set-password link for " + u.Username
	if invite {
		lead = "Send " + u.Username + " this link: with it they choose their password and can then sign in. It works once, and it is shown only now."
		title = u.Username + " is added"
	}
	d.render(w, r, http.StatusOK, s, title, web.DashboardOnce{
		Frame: s.frame(""),
		Lead:  lead,
		Values: []web.CopyField{{ID: "password-link", Label: "Set-password link",
			Value: s.issuerURL() + "/password/set?" + url.Values{"token": {link.Token}}.Encode()}},
		Facts:     []web.Fact{{Term: "Works until", Detail: link.ExpiresAt.UTC().Format("2 Jan 2006, 15:04 UTC")}},
		DoneURL:   s.link("/users/" + u.ID),
		DoneLabel: "Go to the user's page",
	})
}

// user reads the user named by the path, answering 404 itself.
func (d *Dashboard) user(w http.ResponseWriter, r *http.Request, s *session) (*gatehouse.User, bool) {
	id := r.PathValue("id")
	if !gatehouse.IsUUID(id) {
		d.fail(w, r, s, errNotFound)
		return nil, false
	}
	u, err := d.admin.User(r.Context(), s.tenant.ID, id)
	if err != nil {
		d.fail(w, r, s, d.storeError(r, "get user", err))
		return nil, false
	}
	return u, true
}

func (d *Dashboard) serveUser(w http.ResponseWriter, r *http.Request, s *session) {
	u, ok := d.user(w, r, s)
	if !ok {
		return
	}
	d.renderUser(w, r, http.StatusOK, s, u, r.URL.Query().Get("done"), nil, "")
}

// renderUser shows a user's page; errs and roles, when given, are the
// roles form's problems and what was typed.
func (d *Dashboard) renderUser(w http.ResponseWriter, r *http.Request, status int, s *session, u *gatehouse.User,
	notice string, errs web.FieldErrors, roles string) {
	if errs == nil {
		errs = web.FieldErrors{}
		roles = strings.Join(u.Roles, ", ")
	}
	self := s.link("/users/" + u.ID)
	email := u.Email
	switch {
	case email == "":
		email = "None"
	case u.EmailVerified:
		email += " (verified)"
	}
	name := u.Name
	if name == "" {
		name = u.Username
	}
	data := web.DashboardUser{
		Frame:    s.frame(notice),
		Name:     name,
		Username: u.Username,
		Status:   string(u.Status),
		Self:     u.ID == s.user.ID,
		Errors:   errs,
		Facts: []web.Fact{
			{Term: "Username", Detail: u.Username},
			{Term: "Name", Detail: cmp.Or(u.Name, "None")},
			{Term: "Email", Detail: email},
			{Term: "Status", Detail: statusText[u.Status]},
			{Term: "User ID (sub)", Detail: u.ID},
			{Term: "Created", Detail: u.CreatedAt.UTC().Format("2 Jan 2006, 15:04 UTC")},
		},
		EditURL:      self + "/edit",
		RolesAction:  self + "/roles",
		Roles:        roles,
		StatusAction: self + "/status",
		LinkAction:   self + "/password-link",
		Hidden:       []web.Field{revisionField(u.Revision)},
	}
	d.render(w, r, status, s, name, data)
}

var statusText = map[gatehouse.Status]string{
	gatehouse.StatusActive:   "Active",
	gatehouse.StatusDisabled: "Disabled: cannot sign in",
	gatehouse.StatusInvited:  "Invited: has not chosen a password yet",
}

// refuse answers an operation's error: a change the signed-in admin may
// not make (EFORBIDDEN, whose message is written to be shown) with a 403
// page, any other as a failure.
func (d *Dashboard) refuse(w http.ResponseWriter, r *http.Request, s *session, op string, err error) {
	if gatehouse.IsCode(err, gatehouse.EFORBIDDEN) {
		d.render(w, r, http.StatusForbidden, s, "Not allowed",
			web.DashboardError{Frame: s.frame(""), Message: sentence(gatehouse.ErrorMessage(err))})
		return
	}
	d.fail(w, r, s, d.storeError(r, op, err))
}

func (d *Dashboard) serveSetRoles(w http.ResponseWriter, r *http.Request, s *session) {
	u, ok := d.user(w, r, s)
	if !ok {
		return
	}
	typed := r.PostForm.Get("roles")
	roles := words(typed)
	_, err := d.admin.ReplaceUserRoles(r.Context(), s.actor, s.tenant.ID, u.ID, roles, revision(r))
	if err == nil {
		redirect(w, done(s.link("/users/"+u.ID), "roles-saved"))
		return
	}
	errs, status, ok := formErrors(err, userFields, map[string][]string{"roles": roles})
	if !ok {
		d.refuse(w, r, s, "set roles", err)
		return
	}
	if gatehouse.ErrorCode(err) == codeStale {
		if u, ok = d.user(w, r, s); !ok {
			return
		}
		typed = strings.Join(u.Roles, ", ")
	}
	d.renderUser(w, r, status, s, u, "", errs, typed)
}

func (d *Dashboard) serveSetStatus(w http.ResponseWriter, r *http.Request, s *session) {
	u, ok := d.user(w, r, s)
	if !ok {
		return
	}
	st := gatehouse.Status(r.PostForm.Get("status"))
	if st != gatehouse.StatusActive && st != gatehouse.StatusDisabled {
		d.fail(w, r, s, errBadRequest)
		return
	}
	ch := admin.UserChange{Status: &st}
	// Asked before the confirmation, which could only end in a refusal.
	if err := d.admin.CheckUserChange(r.Context(), s.actor, s.tenant.ID, u, ch); err != nil {
		d.refuse(w, r, s, "check user change", err)
		return
	}
	if st == gatehouse.StatusDisabled && !confirmed(r) {
		d.render(w, r, http.StatusOK, s, "Disable "+u.Username+"?", web.DashboardConfirm{
			Frame: s.frame(""),
			Lead: u.Username + " is signed out everywhere and cannot sign in, and the apps they allowed lose their access. " +
				"You can enable the account again later; the apps must then be allowed again.",
			Facts:     []web.Fact{{Term: "User", Detail: u.Username}, {Term: "Roles", Detail: strings.Join(u.Roles, ", ")}},
			Action:    s.link("/users/" + u.ID + "/status"),
			Hidden:    []web.Field{revisionField(u.Revision), {Name: "status", Value: string(st)}, {Name: "confirm", Value: "yes"}},
			Confirm:   "Disable account",
			Danger:    true,
			CancelURL: s.link("/users/" + u.ID),
		})
		return
	}
	_, err := d.admin.UpdateUser(r.Context(), s.actor, s.tenant.ID, u.ID, ch, revision(r))
	switch {
	case err == nil:
		notice := "user-enabled"
		if st == gatehouse.StatusDisabled {
			notice = "user-disabled"
		}
		redirect(w, done(s.link("/users/"+u.ID), notice))
	case gatehouse.ErrorCode(err) == codeStale:
		if u, ok = d.user(w, r, s); ok {
			errs := web.FieldErrors{}
			errs.Add("", msgStale)
			d.renderUser(w, r, http.StatusConflict, s, u, "", errs, strings.Join(u.Roles, ", "))
		}
	default:
		d.refuse(w, r, s, "change user status", err)
	}
}

func (d *Dashboard) servePasswordLink(w http.ResponseWriter, r *http.Request, s *session) {
	u, ok := d.user(w, r, s)
	if !ok {
		return
	}
	u, link, err := d.admin.IssuePasswordLink(r.Context(), s.actor, s.tenant.ID, u.ID)
	if err != nil {
		if gatehouse.IsCode(err, gatehouse.ECONFLICT) {
			d.render(w, r, http.StatusConflict, s, "No link was created",
				web.DashboardError{Frame: s.frame(""), Message: sentence(gatehouse.ErrorMessage(err))})
			return
		}
		d.refuse(w, r, s, "issue password link", err)
		return
	}
	d.renderPasswordLink(w, r, s, u, link, false)
}

// editForm is the form that changes u's name and email, filled from u.
func editForm(s *session, u *gatehouse.User) web.DashboardUserEdit {
	self := s.link("/users/" + u.ID)
	return web.DashboardUserEdit{Frame: s.frame(""), Action: self, CancelURL: self, Errors: web.FieldErrors{},
		Hidden: []web.Field{revisionField(u.Revision)}, Username: u.Username, Name: u.Name, Email: u.Email}
}

func (d *Dashboard) serveEditUser(w http.ResponseWriter, r *http.Request, s *session) {
	u, ok := d.user(w, r, s)
	if !ok {
		return
	}
	// A form that could only be refused is not shown.
	if err := d.admin.CheckUserChange(r.Context(), s.actor, s.tenant.ID, u, admin.UserChange{}); err != nil {
		d.refuse(w, r, s, "check user change", err)
		return
	}
	d.render(w, r, http.StatusOK, s, "Edit "+u.Username, editForm(s, u))
}

// serveUpdateUser changes a user's name and email.
func (d *Dashboard) serveUpdateUser(w http.ResponseWriter, r *http.Request, s *session) {
	u, ok := d.user(w, r, s)
	if !ok {
		return
	}
	name, email := r.PostForm.Get("name"), r.PostForm.Get("email")
	ch := admin.UserChange{Name: ptr(strings.TrimSpace(name)), Email: ptr(strings.TrimSpace(email))}
	_, err := d.admin.UpdateUser(r.Context(), s.actor, s.tenant.ID, u.ID, ch, revision(r))
	if err == nil {
		redirect(w, done(s.link("/users/"+u.ID), "user-updated"))
		return
	}
	if gatehouse.IsCode(err, gatehouse.EFORBIDDEN) {
		d.refuse(w, r, s, "update user", err)
		return
	}
	errs, status, ok := formErrors(err, userFields, nil)
	if !ok {
		d.fail(w, r, s, d.storeError(r, "update user", err))
		return
	}
	if gatehouse.ErrorCode(err) == codeStale {
		// The form shows the current values, to change again.
		if u, ok = d.user(w, r, s); !ok {
			return
		}
		name, email = u.Name, u.Email
	}
	f := editForm(s, u)
	f.Name, f.Email, f.Errors = name, email, errs
	d.render(w, r, status, s, "Edit "+u.Username, f)
}

// ptr returns a pointer to v, for the optional fields of a change.
func ptr[T any](v T) *T { return &v }
