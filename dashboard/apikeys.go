package dashboard

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/admin"
	"github.com/gatehouse-id/gatehouse/web"
)

// apiKeyFields maps the API key operations' fields to the key form.
var apiKeyFields = fieldMap{
	"name":        {"name", "The name"},
	"scopes":      {"scopes", "The key"},
	"ttl_seconds": {"expires", "The lifetime"},
}

// apiScopeText says what each API key scope allows.
var apiScopeText = map[string]string{
	gatehouse.APIScopeRuntimeTokensWrite:   "Create SDK runtime tokens",
	gatehouse.APIScopeClientsRead:          "Read apps",
	gatehouse.APIScopeClientsWrite:         "Register, change and delete apps",
	gatehouse.APIScopeUsersRead:            "Read users",
	gatehouse.APIScopeUsersWrite:           "Add and change users and roles",
	gatehouse.APIScopeAPIKeysRead:          "Read API keys",
	gatehouse.APIScopeAPIKeysWrite:         "Create and revoke API keys",
	gatehouse.APIScopeConnectorsRead:       "Read sign-in connectors",
	gatehouse.APIScopeConnectorsWrite:      "Change sign-in connectors",
	gatehouse.APIScopeTenantRead:           "Read the organization's settings",
	gatehouse.APIScopeTenantWrite:          "Change the organization's settings and branding",
	gatehouse.APIScopeAuditRead:            "Read and export the audit log",
	gatehouse.APIScopePlatformTenantsRead:  "List the platform's organizations",
	gatehouse.APIScopePlatformTenantsWrite: "Create organizations on the platform",
}

// expiryChoices are the lifetimes a new key may have, in days ("never":
// until revoked).
var expiryChoices = []string{"30", "90", "365", "never"}

func (d *Dashboard) serveAPIKeys(w http.ResponseWriter, r *http.Request, s *session) {
	keys, next, err := d.admin.ListAPIKeys(r.Context(), s.tenant.ID, listOptions(r))
	if err != nil {
		d.fail(w, r, s, d.storeError(r, "list API keys", err))
		return
	}
	now := d.clock()
	data := web.DashboardAPIKeys{Frame: s.frame(r.URL.Query().Get("done")), NewURL: s.link("/apikeys/new"),
		NextURL: nextURL(s.link("/apikeys"), next)}
	for _, k := range keys {
		row := web.DashboardAPIKey{Name: k.Name, Prefix: k.Prefix, Scopes: k.Scopes, Created: k.CreatedAt,
			Expires: k.ExpiresAt, LastUsed: k.LastUsedAt, Revoked: k.RevokedAt,
			Expired: !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt)}
		if k.Usable(now) {
			row.RevokeAction = s.link("/apikeys/" + k.ID + "/revoke")
		}
		data.Keys = append(data.Keys, row)
	}
	d.render(w, r, http.StatusOK, s, "API keys", data)
}

// apiKeyForm is the key form with the scopes the tenant's keys may hold
// (the platform's scopes only for the platform's own tenant), those in
// chosen ticked.
func (d *Dashboard) apiKeyForm(r *http.Request, s *session, chosen []string) (web.DashboardAPIKeyForm, error) {
	platform, err := d.admin.IsPlatformAdmin(r.Context(), s.tenant.ID)
	if err != nil {
		return web.DashboardAPIKeyForm{}, err
	}
	f := web.DashboardAPIKeyForm{Frame: s.frame(""), Action: s.link("/apikeys"), CancelURL: s.link("/apikeys"),
		Errors: web.FieldErrors{}, Expires: "90"}
	for _, sc := range gatehouse.APIScopes() {
		if gatehouse.IsPlatformScope(sc) && !platform {
			continue
		}
		f.Scopes = append(f.Scopes, web.Choice{Value: sc, Label: apiScopeText[sc], Checked: slices.Contains(chosen, sc)})
	}
	return f, nil
}

func (d *Dashboard) serveNewAPIKey(w http.ResponseWriter, r *http.Request, s *session) {
	f, err := d.apiKeyForm(r, s, nil)
	if err != nil {
		d.fail(w, r, s, d.storeError(r, "read tenant", err))
		return
	}
	d.render(w, r, http.StatusOK, s, "Create an API key", f)
}

func (d *Dashboard) serveCreateAPIKey(w http.ResponseWriter, r *http.Request, s *session) {
	p := r.PostForm
	f, err := d.apiKeyForm(r, s, p["scopes"])
	if err != nil {
		d.fail(w, r, s, d.storeError(r, "read tenant", err))
		return
	}
	f.Name, f.Expires = p.Get("name"), p.Get("expires")
	in := admin.APIKeyInput{Name: strings.TrimSpace(f.Name), Scopes: p["scopes"]}
	switch {
	case f.Expires == "never":
	case slices.Contains(expiryChoices, f.Expires):
		days, _ := strconv.Atoi(f.Expires)
		in.TTL = time.Duration(days) * 24 * time.Hour
	default:
		f.Errors.Add("expires", "Choose when the key expires.")
	}
	status := http.StatusUnprocessableEntity
	if !f.Errors.Any() {
		k, value, err := d.admin.CreateAPIKey(r.Context(), s.actor, s.tenant.ID, in)
		if err == nil {
			expires := "Never (until revoked)"
			if !k.ExpiresAt.IsZero() {
				expires = k.ExpiresAt.UTC().Format("2 Jan 2006, 15:04 UTC")
			}
			d.render(w, r, http.StatusOK, s, "API key "+k.Name+" is created", web.DashboardOnce{
				Frame: s.frame(""),
				Lead: "Copy the key now into your backend's configuration: this is the only time it is shown. " +
					"Gatehouse keeps only a hash of it. Never put it in a web page or an app.",
				Values: []web.CopyField{{ID: "api-key", Label: "API key", Value: value, Mono: true}},
				Facts: []web.Fact{{Term: "Name", Detail: k.Name}, {Term: "Scopes", Detail: gatehouse.JoinScope(k.Scopes)},
					{Term: "Expires", Detail: expires}},
				DoneURL:   s.link("/apikeys"),
				DoneLabel: "Back to the API keys",
			})
			return
		}
		var ok bool
		items := map[string][]string{"scopes": gatehouse.NormalizeRoles(in.Scopes)}
		if f.Errors, status, ok = formErrors(err, apiKeyFields, items); !ok {
			d.fail(w, r, s, d.storeError(r, "create API key", err))
			return
		}
	}
	d.render(w, r, status, s, "Create an API key", f)
}

func (d *Dashboard) serveRevokeAPIKey(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	if !gatehouse.IsUUID(id) {
		d.fail(w, r, s, errNotFound)
		return
	}
	k, err := d.admin.APIKey(r.Context(), s.tenant.ID, id)
	if err != nil {
		d.fail(w, r, s, d.storeError(r, "get API key", err))
		return
	}
	if !confirmed(r) {
		d.render(w, r, http.StatusOK, s, "Revoke "+k.Name+"?", web.DashboardConfirm{
			Frame: s.frame(""),
			Lead:  "Backends using this key are refused at once. This cannot be undone: a backend that still needs access needs a new key.",
			Facts: []web.Fact{{Term: "Name", Detail: k.Name}, {Term: "Key", Detail: k.Prefix + "…"},
				{Term: "Scopes", Detail: gatehouse.JoinScope(k.Scopes)}},
			Action:    s.link("/apikeys/" + k.ID + "/revoke"),
			Hidden:    []web.Field{{Name: "confirm", Value: "yes"}},
			Confirm:   "Revoke key",
			Danger:    true,
			CancelURL: s.link("/apikeys"),
		})
		return
	}
	if err := d.admin.RevokeAPIKey(r.Context(), s.actor, s.tenant.ID, k.ID); err != nil {
		d.fail(w, r, s, d.storeError(r, "revoke API key", err))
		return
	}
	redirect(w, done(s.link("/apikeys"), "key-revoked"))
}
