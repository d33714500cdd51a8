package admin

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse"
)

// OAuth clients: /api/v1/clients. {id} is the registration id or one of
// the client's OAuth client_ids; {credential} a credential's id or its
// client_id.

func (api *API) registerClients(r Router) {
	read, write := api.scoped(gatehouse.APIScopeClientsRead), api.scoped(gatehouse.APIScopeClientsWrite)
	r.HandleAPI("GET /api/v1/clients", read(api.listClients))
	r.HandleAPI("POST /api/v1/clients", write(api.createClient))
	r.HandleAPI("GET /api/v1/clients/{id}", read(api.getClient))
	r.HandleAPI("PUT /api/v1/clients/{id}", write(api.replaceClient))
	r.HandleAPI("DELETE /api/v1/clients/{id}", write(api.deleteClient))
	r.HandleAPI("POST /api/v1/clients/{id}/credentials", write(api.addCredential))
	r.HandleAPI("POST /api/v1/clients/{id}/credentials/rotate", write(api.rotateSecret))
	r.HandleAPI("POST /api/v1/clients/{id}/credentials/{credential}/expire", write(api.expireCredential))
	r.HandleAPI("PATCH /api/v1/clients/{id}/credentials/{credential}", write(api.updateCredential))
	r.HandleAPI("DELETE /api/v1/clients/{id}/credentials/{credential}", write(api.deleteCredential))
	for _, name := range []string{gatehouse.AssetLogo, gatehouse.AssetLogoDark} {
		r.HandleAPIUpload("PUT /api/v1/clients/{id}/"+name, write(func(w http.ResponseWriter, r *http.Request, c *Caller) error {
			return api.uploadLogo(w, r, c, name)
		}))
		r.HandleAPI("DELETE /api/v1/clients/{id}/"+name, write(func(w http.ResponseWriter, r *http.Request, c *Caller) error {
			return api.deleteLogo(w, r, c, name)
		}))
		r.HandlePage("GET /assets/clients/{id}/"+name, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			api.serveAsset(w, r, name)
		}))
	}
}

// ClientInput is the body of POST /api/v1/clients and PUT
// /api/v1/clients/{id}: a client's settings. Fields left out take their
// defaults; a PUT replaces every setting, so send the whole document. The
// read-only fields of a Client may be sent back as they were read and
// are ignored.
type ClientInput struct {
	Name                    string            `json:"name" doc:"Shown to users on the consent page."`
	Description             string            `json:"description,omitempty" doc:"Free text for the tenant's admins."`
	Type                    string            `json:"type,omitempty" enum:"confidential,public" doc:"confidential (a server that keeps a secret) or public (a mobile or single-page app: no secret, PKCE required). Default confidential; it cannot change later."`
	Config                  ClientConfigInput `json:"config,omitzero"`
	Scopes                  []string          `json:"scopes,omitempty" doc:"Scopes the client may request. Default: openid profile email."`
	GrantTypes              []string          `json:"grant_types,omitempty" doc:"Default: authorization_code and refresh_token."`
	AuthMethod              string            `json:"auth_method,omitempty" enum:"client_secret_basic,client_secret_post,none" doc:"Token endpoint authentication. Default: client_secret_basic, or none for a public client."`
	IDTokenAlg              string            `json:"id_token_alg,omitempty" enum:"RS256,ES256,EdDSA" doc:"ID token signing algorithm. Default RS256."`
	AccessTokenTTL          int64             `json:"access_token_ttl,omitempty" doc:"Access token lifetime in seconds; 0 or absent for the default (3600)."`
	IDTokenTTL              int64             `json:"id_token_ttl,omitempty" doc:"ID token lifetime in seconds; default 3600."`
	RefreshTokenIdleTTL     int64             `json:"refresh_token_idle_ttl,omitempty" doc:"How long an unused refresh token lives, in seconds; default 30 days."`
	RefreshTokenAbsoluteTTL int64             `json:"refresh_token_absolute_ttl,omitempty" doc:"How long a grant's refresh tokens may be renewed, in seconds; default 90 days."`
	FirstParty              bool              `json:"first_party,omitempty" doc:"A client of the tenant itself: users are not asked for consent."`
	AlwaysIssueRefreshToken bool              `json:"always_issue_refresh_token,omitempty" doc:"Issue a refresh token even without the offline_access scope."`
	AllowedRoles            []string          `json:"allowed_roles,omitempty" doc:"When set, only users holding one of these roles may sign in to the client."`

	ID          json.RawMessage `json:"id,omitempty" readonly:"true"`
	TenantID    json.RawMessage `json:"tenant_id,omitempty" readonly:"true"`
	Credentials json.RawMessage `json:"credentials,omitempty" readonly:"true"`
	CreatedAt   json.RawMessage `json:"created_at,omitempty" readonly:"true"`
	UpdatedAt   json.RawMessage `json:"updated_at,omitempty" readonly:"true"`
}

// ClientConfigInput holds a client's URIs in a ClientInput.
type ClientConfigInput struct {
	RedirectURIs        []string `json:"redirect_uris,omitempty" doc:"Exact redirect URIs: absolute, no fragment, https except on a loopback host or with a private-use scheme (com.example.app:/callback) for native apps."`
	PostLogoutURIs      []string `json:"post_logout_uris,omitempty" doc:"Where RP-initiated logout may return, under the rules of redirect_uris."`
	AllowedOrigins      []string `json:"allowed_origins,omitempty" doc:"Origins (scheme, host, port) whose browser code may call the token endpoint (CORS)."`
	LogoURI             string   `json:"logo_uri,omitempty" doc:"https URL of the logo on light backgrounds; set by a logo upload."`
	LogoDarkModeURI     string   `json:"logo_dark_mode_uri,omitempty" doc:"https URL of the logo on dark backgrounds; set by a logo upload."`
	InteractionEndpoint string   `json:"interaction_endpoint,omitempty" doc:"When set, users sign in and consent there instead of on the hosted pages."`
}

// client converts the input to a client, recording problems with the
// lifetimes.
func (in *ClientInput) client(p *gatehouse.Problems) *gatehouse.Client {
	return &gatehouse.Client{
		Name:                    in.Name,
		Description:             in.Description,
		Type:                    gatehouse.ClientType(in.Type),
		RedirectURIs:            in.Config.RedirectURIs,
		PostLogoutRedirectURIs:  in.Config.PostLogoutURIs,
		AllowedOrigins:          in.Config.AllowedOrigins,
		LogoURI:                 in.Config.LogoURI,
		LogoDarkURI:             in.Config.LogoDarkModeURI,
		InteractionEndpoint:     in.Config.InteractionEndpoint,
		Scopes:                  in.Scopes,
		GrantTypes:              in.GrantTypes,
		AuthMethod:              in.AuthMethod,
		IDTokenAlg:              in.IDTokenAlg,
		AccessTokenTTL:          seconds(p, "access_token_ttl", in.AccessTokenTTL),
		IDTokenTTL:              seconds(p, "id_token_ttl", in.IDTokenTTL),
		RefreshIdleTTL:          seconds(p, "refresh_token_idle_ttl", in.RefreshTokenIdleTTL),
		RefreshAbsoluteTTL:      seconds(p, "refresh_token_absolute_ttl", in.RefreshTokenAbsoluteTTL),
		FirstParty:              in.FirstParty,
		AlwaysIssueRefreshToken: in.AlwaysIssueRefreshToken,
		AllowedRoles:            in.AllowedRoles,
	}
}

// decodeClient reads a ClientInput and converts it.
func decodeClient(r *http.Request) (*gatehouse.Client, error) {
	var in ClientInput
	if err := decodeJSON(r, &in); err != nil {
		return nil, err
	}
	var p gatehouse.Problems
	c := in.client(&p)
	return c, p.Err()
}

func clientLocation(c *gatehouse.Client) string { return "/api/v1/clients/" + c.ID }

func (api *API) listClients(w http.ResponseWriter, r *http.Request, c *Caller) error {
	opt, err := page(r)
	if err != nil {
		return err
	}
	clients, next, err := api.svc.ListClients(r.Context(), c.TenantID, opt)
	if err != nil {
		return err
	}
	doc := listDoc[ClientDoc]{Items: make([]ClientDoc, 0, len(clients)), NextCursor: next}
	for _, cl := range clients {
		doc.Items = append(doc.Items, NewClientDoc(cl, nil))
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}

func (api *API) createClient(w http.ResponseWriter, r *http.Request, c *Caller) error {
	in, err := decodeClient(r)
	if err != nil {
		return err
	}
	cl, issued, err := api.svc.CreateClient(r.Context(), c.Actor, c.TenantID, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", clientLocation(cl))
	writeVersioned(w, http.StatusCreated, cl.Revision, NewClientDoc(cl, issued))
	return nil
}

func (api *API) getClient(w http.ResponseWriter, r *http.Request, c *Caller) error {
	cl, err := api.svc.Client(r.Context(), c.TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, cl.Revision, NewClientDoc(cl, nil))
	return nil
}

func (api *API) replaceClient(w http.ResponseWriter, r *http.Request, c *Caller) error {
	match, err := ifMatch(r, true)
	if err != nil {
		return err
	}
	in, err := decodeClient(r)
	if err != nil {
		return err
	}
	cl, err := api.svc.ReplaceClient(r.Context(), c.Actor, c.TenantID, r.PathValue("id"), in, match)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, cl.Revision, NewClientDoc(cl, nil))
	return nil
}

func (api *API) deleteClient(w http.ResponseWriter, r *http.Request, c *Caller) error {
	match, err := ifMatch(r, true)
	if err != nil {
		return err
	}
	if err := api.svc.DeleteClient(r.Context(), c.Actor, c.TenantID, r.PathValue("id"), match); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// AddCredentialInput is the body of POST
// /api/v1/clients/{id}/credentials.
type AddCredentialInput struct {
	Name      string `json:"name,omitempty" doc:"Tells the credentials apart; default: \"added\" and the day."`
	ExpiresAt string `json:"expires_at,omitempty" format:"date-time" doc:"When it stops working (RFC 3339); absent: never."`
}

// IssuedCredentialDoc is a credential as created, with the secret that is
// never shown again, and the client it belongs to.
type IssuedCredentialDoc struct {
	Credential CredentialDoc `json:"credential" doc:"The new credential; secret is set for a confidential client and shown only here."`
	Client     ClientDoc     `json:"client"`
}

func newIssuedDoc(cl *gatehouse.Client, issued *IssuedCredential) IssuedCredentialDoc {
	doc := NewClientDoc(cl, issued)
	var cred CredentialDoc
	for _, cd := range doc.Credentials {
		if cd.ClientID == issued.ClientID {
			cred = cd
		}
	}
	return IssuedCredentialDoc{Credential: cred, Client: doc}
}

func (api *API) addCredential(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in AddCredentialInput
	if err := decodeEmptyOr(r, &in); err != nil {
		return err
	}
	at, err := parseTime("expires_at", in.ExpiresAt)
	if err != nil {
		return err
	}
	ci := CredentialInput{Name: in.Name, ExpiresAt: at}
	cl, issued, err := api.svc.AddClientCredential(r.Context(), c.Actor, c.TenantID, r.PathValue("id"), ci)
	if err != nil {
		return err
	}
	w.Header().Set("Location", clientLocation(cl))
	writeVersioned(w, http.StatusCreated, cl.Revision, newIssuedDoc(cl, issued))
	return nil
}

// RotateInput is the body of POST /api/v1/clients/{id}/credentials/rotate.
type RotateInput struct {
	GraceSeconds int64 `json:"grace_seconds,omitempty" doc:"How long the existing credentials keep working, in seconds; 0 or absent: they stop at once."`
}

func (api *API) rotateSecret(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in RotateInput
	if err := decodeEmptyOr(r, &in); err != nil {
		return err
	}
	var p gatehouse.Problems
	grace := seconds(&p, "grace_seconds", in.GraceSeconds)
	if err := p.Err(); err != nil {
		return err
	}
	cl, issued, err := api.svc.RotateClientSecret(r.Context(), c.Actor, c.TenantID, r.PathValue("id"), grace)
	if err != nil {
		return err
	}
	w.Header().Set("Location", clientLocation(cl))
	writeVersioned(w, http.StatusCreated, cl.Revision, newIssuedDoc(cl, issued))
	return nil
}

// ExpireInput is the body of POST .../credentials/{credential}/expire.
type ExpireInput struct {
	ExpiresAt string `json:"expires_at,omitempty" format:"date-time" doc:"When the credential stops working (RFC 3339); absent: now."`
}

func (api *API) expireCredential(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in ExpireInput
	if err := decodeEmptyOr(r, &in); err != nil {
		return err
	}
	at, err := parseTime("expires_at", in.ExpiresAt)
	if err != nil {
		return err
	}
	cl, err := api.svc.ExpireClientCredential(r.Context(), c.Actor, c.TenantID, r.PathValue("id"), r.PathValue("credential"), at)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, cl.Revision, NewClientDoc(cl, nil))
	return nil
}

// CredentialChangeInput is the body of PATCH
// .../credentials/{credential}, a merge patch (RFC 7396): the fields sent
// change, the others stay.
type CredentialChangeInput struct {
	Name      *string   `json:"name,omitempty" doc:"A new name, under the rules of a new credential's; null leaves it as it is."`
	ExpiresAt patchTime `json:"expires_at,omitzero" format:"date-time" doc:"When it stops working (RFC 3339); a time that has passed means now; null: never. An expired credential cannot be given a later expiry or none (422): add a new credential instead."`
}

// patchTime is a time member of a merge patch, which tells apart a member
// left out (nothing changes), null (the time is cleared) and a time.
type patchTime struct {
	sent, null bool
	value      string
}

func (p *patchTime) UnmarshalJSON(b []byte) error {
	p.sent = true
	if string(b) == "null" {
		p.null = true
		return nil
	}
	if err := json.Unmarshal(b, &p.value); err != nil {
		return &json.UnmarshalTypeError{Value: "non-string", Type: reflect.TypeFor[time.Time]()}
	}
	return nil
}

// change converts the input to the change it asks for.
func (in *CredentialChangeInput) change() (CredentialChange, error) {
	ch := CredentialChange{Name: in.Name}
	if !in.ExpiresAt.sent {
		return ch, nil
	}
	var at time.Time
	if !in.ExpiresAt.null {
		if in.ExpiresAt.value == "" {
			return ch, fieldError("expires_at", "must be a time such as 2026-11-05T09:30:00Z (RFC 3339), or null for never")
		}
		var err error
		if at, err = parseTime("expires_at", in.ExpiresAt.value); err != nil {
			return ch, err
		}
	}
	ch.Expiry = &at
	return ch, nil
}

func (api *API) updateCredential(w http.ResponseWriter, r *http.Request, c *Caller) error {
	match, err := ifMatch(r, false)
	if err != nil {
		return err
	}
	var in CredentialChangeInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	ch, err := in.change()
	if err != nil {
		return err
	}
	cl, err := api.svc.UpdateClientCredential(r.Context(), c.Actor, c.TenantID, r.PathValue("id"), r.PathValue("credential"), ch, match)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, cl.Revision, NewClientDoc(cl, nil))
	return nil
}

func (api *API) deleteCredential(w http.ResponseWriter, r *http.Request, c *Caller) error {
	cl, err := api.svc.DeleteClientCredential(r.Context(), c.Actor, c.TenantID, r.PathValue("id"), r.PathValue("credential"))
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, cl.Revision, NewClientDoc(cl, nil))
	return nil
}

// uploadLogo stores the raw body as a client's logo. If-Match is optional:
// when sent it must name the client's current revision.
func (api *API) uploadLogo(w http.ResponseWriter, r *http.Request, c *Caller, name string) error {
	match, err := ifMatch(r, false)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, gatehouse.MaxAssetSize+1))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return gatehouse.Errorf(errTooLarge, "the logo must be at most %d KiB", gatehouse.MaxAssetSize>>10)
		}
		return &gatehouse.Error{Code: errMalformed, Message: "the body could not be read"}
	}
	iss, err := requestIssuer(r)
	if err != nil {
		return err
	}
	cl, err := api.svc.SetClientLogo(r.Context(), c.Actor, c.TenantID, r.PathValue("id"), name, data, iss.URL, match)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, cl.Revision, NewClientDoc(cl, nil))
	return nil
}

func (api *API) deleteLogo(w http.ResponseWriter, r *http.Request, c *Caller, name string) error {
	match, err := ifMatch(r, false)
	if err != nil {
		return err
	}
	cl, err := api.svc.DeleteClientLogo(r.Context(), c.Actor, c.TenantID, r.PathValue("id"), name, match)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, cl.Revision, NewClientDoc(cl, nil))
	return nil
}

// Cache lifetimes of served assets: a URL that names the current version
// never changes, so it may be kept for a year; any other is rechecked
// soon.
const (
	assetMaxAge      = 365 * 24 * time.Hour
	assetStaleMaxAge = 5 * time.Minute
)

// assetCSP keeps an SVG opened as a document from running or loading
// anything; inline styles are how many SVGs are drawn.
const assetCSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"

// serveAsset serves a client's uploaded logo from our origin, to anyone:
// logos are public. A tenant issuer serves only its own clients' logos.
func (api *API) serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	notFound := func() {
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "not found\n")
	}
	a, err := api.svc.ClientAsset(r.Context(), r.PathValue("id"), name)
	if err != nil {
		if !gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
			api.log.ErrorContext(r.Context(), "serve client asset", "err", err)
			w.Header().Set("Retry-After", "5")
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		notFound()
		return
	}
	if iss, ok := gatehouse.IssuerFrom(r.Context()); !ok || !iss.Admits(a.TenantID) {
		notFound()
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", assetCSP)
	h.Set("Content-Disposition", "inline")
	// Logos are meant to be shown on other sites, including pages that
	// require their resources to opt in (Cross-Origin-Embedder-Policy).
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Set("ETag", `"`+a.Digest+`"`)
	maxAge := assetStaleMaxAge
	if v := r.URL.Query().Get("v"); v != "" && strings.HasPrefix(a.Digest, v) && len(v) >= 16 {
		maxAge = assetMaxAge
	}
	cache := "public, max-age=" + strconv.Itoa(int(maxAge/time.Second))
	if maxAge == assetMaxAge {
		cache += ", immutable"
	}
	h.Set("Cache-Control", cache)
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagListHas(inm, `"`+a.Digest+`"`) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(a.Data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(a.Data)
	}
}

// etagListHas reports whether an If-None-Match header names etag (weak
// comparison, RFC 9110 §13.1.2) or is "*".
func etagListHas(header, etag string) bool {
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimPrefix(strings.TrimSpace(part), "W/")
		if part == etag || part == "*" {
			return true
		}
	}
	return false
}
