package admin

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/gatehouse-id/gatehouse"
)

// InstallKeyDoc is a public install key as the API and the CLI show it.
// The key is not a secret, so it is always shown.
type InstallKeyDoc struct {
	ID        string     `json:"id"`
	TenantID  string     `json:"tenant_id"`
	Key       string     `json:"key"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

// NewInstallKeyDoc renders an install key.
func NewInstallKeyDoc(k *gatehouse.InstallKey) InstallKeyDoc {
	return InstallKeyDoc{ID: k.ID, TenantID: k.TenantID, Key: k.Key, CreatedAt: k.CreatedAt.UTC(), RevokedAt: timePtr(k.RevokedAt)}
}

// installMaxAge is how long browsers and shared caches may keep a
// widget's settings: short, so that a change of branding or a revoked key
// shows within a minute, long enough to spare a lookup on every page view.
const installMaxAge = time.Minute

func (api *API) registerInstall(r Router) {
	r.HandleAPI("GET /api/v1/installkeys", api.endpoint(gatehouse.APIScopeTenantRead, api.listInstallKeys))
	r.HandleAPI("POST /api/v1/installkeys", api.endpoint(gatehouse.APIScopeTenantWrite, api.createInstallKey))
	r.HandleAPI("GET /api/v1/installkeys/{id}", api.endpoint(gatehouse.APIScopeTenantRead, api.getInstallKey))
	r.HandleAPI("POST /api/v1/installkeys/{id}/rotate", api.endpoint(gatehouse.APIScopeTenantWrite, api.rotateInstallKey))
	r.HandleAPI("DELETE /api/v1/installkeys/{id}", api.endpoint(gatehouse.APIScopeTenantWrite, api.revokeInstallKey))
	r.HandleAPI("GET /api/v1/install/{key}", http.HandlerFunc(api.serveInstall))
}

func (api *API) listInstallKeys(w http.ResponseWriter, r *http.Request, c *Caller) error {
	keys, err := api.svc.ListInstallKeys(r.Context(), c.TenantID)
	if err != nil {
		return err
	}
	doc := listDoc[InstallKeyDoc]{Items: make([]InstallKeyDoc, 0, len(keys))}
	for _, k := range keys {
		doc.Items = append(doc.Items, NewInstallKeyDoc(k))
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}

func (api *API) getInstallKey(w http.ResponseWriter, r *http.Request, c *Caller) error {
	keys, err := api.svc.ListInstallKeys(r.Context(), c.TenantID)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.ID == r.PathValue("id") {
			writeJSON(w, http.StatusOK, NewInstallKeyDoc(k))
			return nil
		}
	}
	return gatehouse.Errorf(gatehouse.ENOTFOUND, "install key not found")
}

// decodeEmpty accepts an absent body or an empty JSON object, for
// endpoints that take no parameters but may be sent "{}".
func decodeEmpty(r *http.Request) error {
	var none struct{}
	return decodeEmptyOr(r, &none)
}

// decodeEmptyOr decodes a JSON object into v, and accepts an absent body
// as one with every field left out.
func decodeEmptyOr(r *http.Request, v any) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimLeft(b, jsonSpace)) == 0 {
		return nil
	}
	return decodeObject(b, v)
}

func (api *API) createInstallKey(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if err := decodeEmpty(r); err != nil {
		return err
	}
	k, err := api.svc.CreateInstallKey(r.Context(), c.Actor, c.TenantID)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/installkeys/"+k.ID)
	writeJSON(w, http.StatusCreated, NewInstallKeyDoc(k))
	return nil
}

func (api *API) rotateInstallKey(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if err := decodeEmpty(r); err != nil {
		return err
	}
	k, err := api.svc.RotateInstallKey(r.Context(), c.Actor, c.TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/installkeys/"+k.ID)
	writeJSON(w, http.StatusCreated, NewInstallKeyDoc(k))
	return nil
}

func (api *API) revokeInstallKey(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if err := api.svc.RevokeInstallKey(r.Context(), c.Actor, c.TenantID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// serveInstall answers a website widget: the public settings of the
// tenant whose install key is in the path. It needs no credential and
// accepts none; any page may read it (CORS *, never with cookies). A
// tenant issuer answers only for keys of its own tenant.
func (api *API) serveInstall(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	settings, err := api.svc.InstallSettings(r.Context(), r.PathValue("key"))
	if err == nil {
		if iss, ok := gatehouse.IssuerFrom(r.Context()); !ok || !iss.Admits(settings.TenantID) {
			err = gatehouse.Errorf(gatehouse.ENOTFOUND, "unknown install key")
		}
	}
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(installMaxAge/time.Second)))
	writeJSON(w, http.StatusOK, settings)
}
