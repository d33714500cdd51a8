package dashboard

import (
	"net/http"
	"strings"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/admin"
	"github.com/gatehouse-id/gatehouse/web"
)

// brandingFields maps the tenant settings operation's fields to the
// branding form.
var brandingFields = fieldMap{
	"name":                      {"name", "The name"},
	"branding.logo_uri":         {"logo_uri", "The logo URL"},
	"branding.logo_dark_uri":    {"logo_dark_uri", "The logo URL"},
	"branding.primary_color":    {"primary_color", "The color"},
	"branding.background_color": {"background_color", "The color"},
}

// brandingForm is the branding form filled from t.
func brandingForm(s *session, t *gatehouse.Tenant) web.DashboardBranding {
	return web.DashboardBranding{
		Frame:           s.frame(""),
		Action:          s.link("/branding"),
		Hidden:          []web.Field{revisionField(t.Revision)},
		Errors:          web.FieldErrors{},
		Name:            t.Name,
		PrimaryColor:    t.Branding.PrimaryColor,
		BackgroundColor: t.Branding.BackgroundColor,
		LogoURI:         t.Branding.LogoURI,
		LogoDarkURI:     t.Branding.LogoDarkURI,
	}
}

func (d *Dashboard) serveBranding(w http.ResponseWriter, r *http.Request, s *session) {
	f := brandingForm(s, s.tenant)
	f.Frame = s.frame(r.URL.Query().Get("done"))
	d.render(w, r, http.StatusOK, s, "Branding", f)
}

// serveUpdateBranding changes the tenant's name and branding; its custom
// domains and other settings stay as they are.
func (d *Dashboard) serveUpdateBranding(w http.ResponseWriter, r *http.Request, s *session) {
	p := r.PostForm
	in := admin.TenantSettingsInput{
		Name: strings.TrimSpace(p.Get("name")),
		Branding: gatehouse.Branding{
			LogoURI:         strings.TrimSpace(p.Get("logo_uri")),
			LogoDarkURI:     strings.TrimSpace(p.Get("logo_dark_uri")),
			PrimaryColor:    strings.TrimSpace(p.Get("primary_color")),
			BackgroundColor: strings.TrimSpace(p.Get("background_color")),
		},
		Domains:  s.tenant.Domains,
		Settings: s.tenant.Settings,
	}
	_, err := d.admin.UpdateTenantSettings(r.Context(), s.actor, s.tenant.ID, in, revision(r))
	if err == nil {
		d.tenantChanged()
		redirect(w, done(s.link("/branding"), "branding-saved"))
		return
	}
	errs, status, ok := formErrors(err, brandingFields, nil)
	if !ok {
		d.fail(w, r, s, d.storeError(r, "update tenant settings", err))
		return
	}
	f := brandingForm(s, s.tenant)
	if gatehouse.ErrorCode(err) != codeStale {
		f.Name, f.LogoURI, f.LogoDarkURI = p.Get("name"), p.Get("logo_uri"), p.Get("logo_dark_uri")
		f.PrimaryColor, f.BackgroundColor = p.Get("primary_color"), p.Get("background_color")
	}
	f.Errors = errs
	d.render(w, r, status, s, "Branding", f)
}
