package dashboard

import (
	"net/http"
	"slices"
	"strconv"
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

// domainFields maps the tenant settings operation's problems with the
// custom domains to the domains form.
var domainFields = fieldMap{"domains": {"domains", "The domain"}}

// brandingForm is the branding page, its two forms filled from t.
func brandingForm(s *session, t *gatehouse.Tenant) web.DashboardBranding {
	var issuers []web.CopyField
	for i, d := range t.Domains {
		issuers = append(issuers, web.CopyField{ID: "domain-issuer-" + strconv.Itoa(i+1), Label: "Issuer on " + d,
			Value: "https://" + d})
	}
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
		DomainsAction:   s.link("/branding/domains"),
		Domains:         strings.Join(t.Domains, "\n"),
		DomainErrors:    web.FieldErrors{},
		DomainIssuers:   issuers,
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

// serveUpdateDomains replaces the tenant's custom domains; its name,
// branding and settings stay as they are. Removing a domain stops every
// app set up with the issuer on it, so it asks first.
func (d *Dashboard) serveUpdateDomains(w http.ResponseWriter, r *http.Request, s *session) {
	typed := r.PostForm.Get("domains")
	domains := words(typed)
	var removed []string
	for _, cur := range s.tenant.Domains {
		if !slices.ContainsFunc(domains, func(v string) bool { return sameDomain(v, cur) }) {
			removed = append(removed, cur)
		}
	}
	if len(removed) > 0 && !confirmed(r) {
		facts := make([]web.Fact, 0, len(removed))
		for _, dom := range removed {
			facts = append(facts, web.Fact{Term: "Removed", Detail: dom})
		}
		d.render(w, r, http.StatusOK, s, "Remove custom domains?", web.DashboardConfirm{
			Frame: s.frame(""),
			Lead: "The sign-in pages of " + s.tenant.Name + " are no longer served on the domains below, and apps set up " +
				"with the issuer on one of them stop signing users in until they are set up again.",
			Facts:  facts,
			Action: s.link("/branding/domains"),
			Hidden: []web.Field{revisionField(s.tenant.Revision), {Name: "domains", Value: strings.Join(domains, " ")},
				{Name: "confirm", Value: "yes"}},
			Confirm:   "Remove domains",
			Danger:    true,
			CancelURL: s.link("/branding"),
		})
		return
	}
	t := s.tenant
	in := admin.TenantSettingsInput{Name: t.Name, Branding: t.Branding, Domains: domains, Settings: t.Settings}
	_, err := d.admin.UpdateTenantSettings(r.Context(), s.actor, t.ID, in, revision(r))
	if err == nil {
		d.tenantChanged()
		redirect(w, done(s.link("/branding"), "domains-saved"))
		return
	}
	var (
		errs   web.FieldErrors
		status int
		ok     bool
	)
	if gatehouse.IsCode(err, gatehouse.ECONFLICT) {
		// The only unique value here: a domain another tenant holds.
		errs, status, ok = web.FieldErrors{}, http.StatusConflict, true
		errs.Add("domains", "One of these domains is already registered by another organization.")
	} else if errs, status, ok = formErrors(err, domainFields, map[string][]string{"domains": domains}); !ok {
		d.fail(w, r, s, d.storeError(r, "update tenant domains", err))
		return
	}
	f := brandingForm(s, t)
	if gatehouse.ErrorCode(err) != codeStale {
		f.Domains = typed
	}
	f.DomainErrors = errs
	d.render(w, r, status, s, "Branding", f)
}

// sameDomain reports whether a typed domain is a registered one, as the
// operation compares them (in lower case, without a final dot).
func sameDomain(typed, registered string) bool {
	return strings.EqualFold(strings.TrimSuffix(strings.TrimSpace(typed), "."), registered)
}
