package admin

import (
	"net/http"
	"time"

	"github.com/gatehouse-id/gatehouse"
)

// APIKeyDoc is a server API key as the API shows it. Key appears only in
// the response that creates it.
type APIKeyDoc struct {
	ID         string     `json:"id"`
	TenantID   string     `json:"tenant_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Key        string     `json:"key,omitempty"`
	Scopes     []string   `json:"scopes"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// NewAPIKeyDoc renders a key; value is its secret when just created.
func NewAPIKeyDoc(k *gatehouse.APIKey, value string) APIKeyDoc {
	return APIKeyDoc{ID: k.ID, TenantID: k.TenantID, Name: k.Name, Prefix: k.Prefix, Key: value,
		Scopes: orEmpty(k.Scopes), CreatedBy: k.CreatedBy, CreatedAt: k.CreatedAt.UTC(),
		ExpiresAt: timePtr(k.ExpiresAt), LastUsedAt: timePtr(k.LastUsedAt), RevokedAt: timePtr(k.RevokedAt)}
}

func (api *API) listAPIKeys(w http.ResponseWriter, r *http.Request, c *Caller) error {
	opt, err := page(r)
	if err != nil {
		return err
	}
	keys, next, err := api.svc.ListAPIKeys(r.Context(), c.TenantID, opt)
	if err != nil {
		return err
	}
	doc := listDoc[APIKeyDoc]{Items: make([]APIKeyDoc, 0, len(keys)), NextCursor: next}
	for _, k := range keys {
		doc.Items = append(doc.Items, NewAPIKeyDoc(k, ""))
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}

func (api *API) getAPIKey(w http.ResponseWriter, r *http.Request, c *Caller) error {
	k, err := api.svc.APIKey(r.Context(), c.TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, NewAPIKeyDoc(k, ""))
	return nil
}

// APIKeyBody is the body of POST /api/v1/apikeys.
type APIKeyBody struct {
	Name       string   `json:"name" doc:"Tells the keys apart."`
	Scopes     []string `json:"scopes" doc:"What the key may do; see the security scheme for each endpoint's scope."`
	TTLSeconds int64    `json:"ttl_seconds,omitempty" doc:"Lifetime in seconds; 0 or absent: until revoked."`
}

func (api *API) createAPIKey(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in APIKeyBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	var p gatehouse.Problems
	ttl := seconds(&p, "ttl_seconds", in.TTLSeconds)
	if in.TTLSeconds < 0 {
		ttl = -1 // reported by CreateAPIKey with the other fields
	} else if err := p.Err(); err != nil {
		return err
	}
	k, value, err := api.svc.CreateAPIKey(r.Context(), c.Actor, c.TenantID, APIKeyInput{Name: in.Name, Scopes: in.Scopes, TTL: ttl})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/apikeys/"+k.ID)
	writeJSON(w, http.StatusCreated, NewAPIKeyDoc(k, value))
	return nil
}

func (api *API) revokeAPIKey(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if err := api.svc.RevokeAPIKey(r.Context(), c.Actor, c.TenantID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
