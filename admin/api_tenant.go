package admin

import (
	"encoding/json"
	"net/http"

	"github.com/gatehouse-id/gatehouse"
)

// The caller's own tenant (/api/v1/tenant), and the platform's tenant list
// (/api/v1/tenants) for keys of a tenant marked as the platform's own.

func (api *API) registerTenant(r Router) {
	r.HandleAPI("GET /api/v1/tenant", api.endpoint(gatehouse.APIScopeTenantRead, api.getTenant))
	r.HandleAPI("PUT /api/v1/tenant", api.endpoint(gatehouse.APIScopeTenantWrite, api.replaceTenant))
	r.HandleAPI("GET /api/v1/tenants", api.platformEndpoint(gatehouse.APIScopePlatformTenantsRead, api.listTenants))
	r.HandleAPI("POST /api/v1/tenants", api.platformEndpoint(gatehouse.APIScopePlatformTenantsWrite, api.createTenant))
	r.HandleAPI("GET /api/v1/tenants/{id}", api.platformEndpoint(gatehouse.APIScopePlatformTenantsRead, api.getAnyTenant))
}

// TenantSettingsBody is the body of PUT /api/v1/tenant: everything a
// tenant's admins may change of it. The read-only fields of a Tenant may be
// sent back as they were read and are ignored.
type TenantSettingsBody struct {
	Name     string             `json:"name"`
	Branding gatehouse.Branding `json:"branding,omitzero" doc:"Logos (https URLs) and colors (#rgb or #rrggbb) of the hosted pages."`
	Domains  []string           `json:"domains,omitempty" doc:"Custom host names (login.example.com) that serve the tenant's issuer once their DNS points at the platform."`
	Settings TenantSettingsDoc  `json:"settings,omitzero"`

	ID        json.RawMessage `json:"id,omitempty" readonly:"true"`
	Slug      json.RawMessage `json:"slug,omitempty" readonly:"true"`
	Status    json.RawMessage `json:"status,omitempty" readonly:"true"`
	CreatedAt json.RawMessage `json:"created_at,omitempty" readonly:"true"`
	UpdatedAt json.RawMessage `json:"updated_at,omitempty" readonly:"true"`
}

func (api *API) getTenant(w http.ResponseWriter, r *http.Request, c *Caller) error {
	t, err := api.svc.store.GetTenant(r.Context(), c.TenantID)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, t.Revision, NewTenantDoc(t))
	return nil
}

func (api *API) replaceTenant(w http.ResponseWriter, r *http.Request, c *Caller) error {
	match, err := ifMatch(r, true)
	if err != nil {
		return err
	}
	var in TenantSettingsBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	t, err := api.svc.UpdateTenantSettings(r.Context(), c.Actor, c.TenantID, TenantSettingsInput{
		Name: in.Name, Branding: in.Branding, Domains: in.Domains,
		Settings: gatehouse.TenantSettings{SSOReturnURL: in.Settings.SSOReturnURL, Widget: in.Settings.Widget},
	}, match)
	if err != nil {
		return err
	}
	api.tenantChanged()
	writeVersioned(w, http.StatusOK, t.Revision, NewTenantDoc(t))
	return nil
}

// NewTenantBody is the body of POST /api/v1/tenants.
type NewTenantBody struct {
	Slug    string   `json:"slug" doc:"Lower-case letters, digits and hyphens; names the tenant's issuer {platform issuer}/t/{slug}."`
	Name    string   `json:"name"`
	Domains []string `json:"domains,omitempty"`
}

func (api *API) listTenants(w http.ResponseWriter, r *http.Request, c *Caller) error {
	opt, err := page(r)
	if err != nil {
		return err
	}
	tenants, next, err := api.svc.ListTenants(r.Context(), opt)
	if err != nil {
		return err
	}
	doc := listDoc[TenantDoc]{Items: make([]TenantDoc, 0, len(tenants)), NextCursor: next}
	for _, t := range tenants {
		doc.Items = append(doc.Items, NewTenantDoc(t))
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}

func (api *API) getAnyTenant(w http.ResponseWriter, r *http.Request, c *Caller) error {
	t, err := api.svc.Tenant(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, t.Revision, NewTenantDoc(t))
	return nil
}

// createTenant creates a tenant for the platform. The new tenant's chain
// records its creation; the platform tenant's own chain records it too,
// so each side's log shows who did it.
func (api *API) createTenant(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in NewTenantBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	t, err := api.svc.CreateTenant(r.Context(), c.Actor, TenantInput{Slug: in.Slug, Name: in.Name, Domains: in.Domains})
	if err != nil {
		return err
	}
	if err := api.svc.record(r.Context(), c.Actor, c.TenantID, "platform.tenant.create", "tenant:"+t.ID,
		map[string]string{"slug": t.Slug}); err != nil {
		return err
	}
	api.tenantChanged()
	w.Header().Set("Location", "/api/v1/tenants/"+t.ID)
	writeVersioned(w, http.StatusCreated, t.Revision, NewTenantDoc(t))
	return nil
}
