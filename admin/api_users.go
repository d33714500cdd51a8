package admin

import (
	"net/http"
	"net/url"
	"time"

	"github.com/gatehouse-id/gatehouse"
)

// Users and roles: /api/v1/users. {id} is the user's id, username or
// email.

// PasswordSetPath is the page, under the tenant's issuer, where a
// set-password link leads; the token is its query parameter.
const PasswordSetPath = "/password/set"

func (api *API) registerUsers(r Router) {
	read, write := api.scoped(gatehouse.APIScopeUsersRead), api.scoped(gatehouse.APIScopeUsersWrite)
	r.HandleAPI("GET /api/v1/users", read(api.listUsers))
	r.HandleAPI("POST /api/v1/users", write(api.createUser))
	r.HandleAPI("POST /api/v1/users/invite", write(api.inviteUser))
	r.HandleAPI("GET /api/v1/users/{id}", read(api.getUser))
	r.HandleAPI("PATCH /api/v1/users/{id}", write(api.updateUser))
	r.HandleAPI("PUT /api/v1/users/{id}/roles", write(api.setRoles))
	r.HandleAPI("POST /api/v1/users/{id}/password", write(api.setPassword))
	r.HandleAPI("POST /api/v1/users/{id}/password-link", write(api.passwordLink))
}

// CreateUserInput is the body of POST /api/v1/users and (without a
// password)
// POST /api/v1/users/invite.
type CreateUserInput struct {
	Username      string   `json:"username" doc:"Sign-in name, unique in the tenant: no '@' or spaces."`
	Email         string   `json:"email,omitempty" doc:"Unique in the tenant when set."`
	EmailVerified bool     `json:"email_verified,omitempty"`
	Name          string   `json:"name,omitempty"`
	Picture       string   `json:"picture,omitempty" doc:"https URL of the user's picture."`
	Password      string   `json:"password,omitempty" doc:"Optional: without one the user signs in through a connector or is sent a set-password link. Never with an invitation." writeonly:"true"`
	Roles         []string `json:"roles,omitempty" doc:"Role names in the tenant: owner, admin, agent, ..."`
}

func (in CreateUserInput) input() UserInput {
	return UserInput{Username: in.Username, Email: in.Email, EmailVerified: in.EmailVerified, Name: in.Name,
		Picture: in.Picture, Password: in.Password, Roles: in.Roles}
}

// UserChangeInput is the body of PATCH /api/v1/users/{id}: the fields
// sent change, the others stay. An empty string clears email, name or
// picture.
type UserChangeInput struct {
	Email         *string `json:"email,omitempty" doc:"A new email is unverified unless email_verified is sent too."`
	EmailVerified *bool   `json:"email_verified,omitempty"`
	Name          *string `json:"name,omitempty"`
	Picture       *string `json:"picture,omitempty"`
	Status        *string `json:"status,omitempty" enum:"active,disabled" doc:"disabled ends the user's sessions and revokes the access they gave applications; active enables the account again."`
}

// RolesInput is the body of PUT /api/v1/users/{id}/roles.
type RolesInput struct {
	Roles []string `json:"roles" doc:"The user's roles, replacing the current ones; empty removes every role."`
}

// PasswordInput is the body of POST /api/v1/users/{id}/password.
type PasswordInput struct {
	Password string `json:"password" doc:"At least 8 characters." writeonly:"true"`
}

// PasswordLinkDoc is a single-use link where a user chooses a password.
// Hand it to the user yourself (Gatehouse sends no email); it is shown
// only in this response.
type PasswordLinkDoc struct {
	URL       string    `json:"set_password_url" doc:"Single use; it stops working when used, when a new link is issued, or when the user is disabled."`
	ExpiresAt time.Time `json:"expires_at"`
}

// InvitationDoc is the answer to an invitation: the invited user and
// their link.
type InvitationDoc struct {
	User UserDoc `json:"user"`
	PasswordLinkDoc
}

func userLocation(u *gatehouse.User) string { return "/api/v1/users/" + u.ID }

func (api *API) listUsers(w http.ResponseWriter, r *http.Request, c *Caller) error {
	opt, err := page(r)
	if err != nil {
		return err
	}
	users, next, err := api.svc.ListUsers(r.Context(), c.TenantID, opt)
	if err != nil {
		return err
	}
	doc := listDoc[UserDoc]{Items: make([]UserDoc, 0, len(users)), NextCursor: next}
	for _, u := range users {
		doc.Items = append(doc.Items, NewUserDoc(u))
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}

func (api *API) createUser(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in CreateUserInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	u, err := api.svc.CreateUser(r.Context(), c.Actor, c.TenantID, in.input())
	if err != nil {
		return err
	}
	w.Header().Set("Location", userLocation(u))
	writeVersioned(w, http.StatusCreated, u.Revision, NewUserDoc(u))
	return nil
}

func (api *API) inviteUser(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in CreateUserInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	u, link, err := api.svc.InviteUser(r.Context(), c.Actor, c.TenantID, in.input())
	if err != nil {
		return err
	}
	doc, err := api.linkDoc(r, c, link)
	if err != nil {
		return err
	}
	w.Header().Set("Location", userLocation(u))
	writeVersioned(w, http.StatusCreated, u.Revision, InvitationDoc{User: NewUserDoc(u), PasswordLinkDoc: doc})
	return nil
}

// linkDoc builds the set-password link on the tenant's own issuer, so the
// page shows the tenant's branding: the issuer of the request when it is
// the tenant's, else the tenant's path under the platform issuer.
func (api *API) linkDoc(r *http.Request, c *Caller, link PasswordLink) (PasswordLinkDoc, error) {
	iss, err := requestIssuer(r)
	if err != nil {
		return PasswordLinkDoc{}, err
	}
	base := iss.URL
	if iss.Tenant == nil {
		t, err := api.svc.store.GetTenant(r.Context(), c.TenantID)
		if err != nil {
			return PasswordLinkDoc{}, err
		}
		base += "/t/" + t.Slug
	}
	u := base + PasswordSetPath + "?" + url.Values{"token": {link.Token}}.Encode()
	return PasswordLinkDoc{URL: u, ExpiresAt: link.ExpiresAt.UTC()}, nil
}

func (api *API) getUser(w http.ResponseWriter, r *http.Request, c *Caller) error {
	u, err := api.svc.User(r.Context(), c.TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, u.Revision, NewUserDoc(u))
	return nil
}

func (api *API) updateUser(w http.ResponseWriter, r *http.Request, c *Caller) error {
	match, err := ifMatch(r, false)
	if err != nil {
		return err
	}
	var in UserChangeInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	ch := UserChange{Email: in.Email, EmailVerified: in.EmailVerified, Name: in.Name, Picture: in.Picture}
	if in.Status != nil {
		st := gatehouse.Status(*in.Status)
		ch.Status = &st
	}
	u, err := api.svc.UpdateUser(r.Context(), c.Actor, c.TenantID, r.PathValue("id"), ch, match)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, u.Revision, NewUserDoc(u))
	return nil
}

func (api *API) setRoles(w http.ResponseWriter, r *http.Request, c *Caller) error {
	match, err := ifMatch(r, false)
	if err != nil {
		return err
	}
	var in RolesInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Roles == nil {
		return fieldError("roles", "is required; send [] to remove every role")
	}
	u, err := api.svc.ReplaceUserRoles(r.Context(), c.Actor, c.TenantID, r.PathValue("id"), in.Roles, match)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, u.Revision, NewUserDoc(u))
	return nil
}

func (api *API) setPassword(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in PasswordInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	u, err := api.svc.SetUserPassword(r.Context(), c.Actor, c.TenantID, r.PathValue("id"), in.Password)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, u.Revision, NewUserDoc(u))
	return nil
}

func (api *API) passwordLink(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if err := decodeEmpty(r); err != nil {
		return err
	}
	_, link, err := api.svc.IssuePasswordLink(r.Context(), c.Actor, c.TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	doc, err := api.linkDoc(r, c, link)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, doc)
	return nil
}
