package admin

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// IssuedCredential is a client credential as created: the only time its
// secret is known.
type IssuedCredential struct {
	gatehouse.ClientCredential
	// Secret is empty for a public client.
	Secret string
}

// CreateClient validates and registers an OAuth client with one credential
// (a client_id and, for a confidential client, a secret). The caller fills
// the client's fields; defaults fill the rest. Errors: EINVALID naming each
// field, ENOTFOUND for an unknown tenant.
func (s *Service) CreateClient(ctx context.Context, a Actor, tenantID string, c *gatehouse.Client) (*gatehouse.Client, *IssuedCredential, error) {
	c.ID = ""
	c.TenantID = tenantID
	c.Credentials = nil
	raw := *c
	c.ApplyDefaults()
	if err := inRequestOrder(&raw, c).Validate(s.catalog); err != nil {
		return nil, nil, err
	}
	issued := s.newCredential(c, gatehouse.ClientCredentialDefaultName)
	c.Credentials = []gatehouse.ClientCredential{issued.ClientCredential}
	if err := s.store.CreateClient(ctx, c); err != nil {
		return nil, nil, err
	}
	issued.ClientCredential = c.Credentials[0]
	if err := s.record(ctx, a, tenantID, "client.create", "client:"+c.ID,
		map[string]string{"client_id": issued.ClientID, "name": c.Name, "type": string(c.Type)}); err != nil {
		return nil, nil, err
	}
	return c, issued, nil
}

// newCredential generates a client_id and, for a confidential client, a
// secret.
func (s *Service) newCredential(c *gatehouse.Client, name string) *IssuedCredential {
	cred := gatehouse.ClientCredential{
		TenantID:  c.TenantID,
		Client:    c.ID,
		ClientID:  gatehouse.PrefixClientID + secret.Token(16),
		Name:      name,
		CreatedAt: s.clock(),
	}
	issued := &IssuedCredential{ClientCredential: cred}
	if !c.IsPublic() {
		sec := secret.NewPrefixed(gatehouse.PrefixClientSecret)
		issued.SecretHash, issued.SecretHint, issued.Secret = sec.Hash, sec.Hint, sec.Value
	}
	return issued
}

// Client finds a client of the tenant by its registration id or by one of
// its OAuth client_ids. Errors: ENOTFOUND.
func (s *Service) Client(ctx context.Context, tenantID, ref string) (*gatehouse.Client, error) {
	ref = strings.TrimSpace(ref)
	var (
		c   *gatehouse.Client
		err error
	)
	switch {
	case !plausibleRef(ref):
		err = gatehouse.Errorf(gatehouse.ENOTFOUND, "not found")
	case gatehouse.IsUUID(ref):
		c, err = s.store.GetClient(ctx, tenantID, ref)
	default:
		c, err = s.store.GetClientByClientID(ctx, ref)
		if err == nil && c.TenantID != tenantID {
			c, err = nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "not found")
		}
	}
	if gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "client %q not found in this tenant", truncateRunes(ref, 100))
	}
	return c, err
}

// ListClients pages through a tenant's clients.
func (s *Service) ListClients(ctx context.Context, tenantID string, opt gatehouse.ListOptions) ([]*gatehouse.Client, string, error) {
	return s.store.ListClients(ctx, tenantID, opt)
}

// RotateClientSecret adds a new credential (client_id and secret) to a
// confidential client and makes the existing ones expire after grace (zero:
// at once), so a deployment can switch over without downtime. A credential
// that already expires sooner keeps its expiry. Errors: ENOTFOUND, EINVALID
// for a public client or a negative grace.
func (s *Service) RotateClientSecret(ctx context.Context, a Actor, tenantID, ref string, grace time.Duration) (*gatehouse.Client, *IssuedCredential, error) {
	if grace < 0 {
		return nil, nil, &gatehouse.Error{Code: gatehouse.EINVALID, Message: "grace: must not be negative",
			Fields: []gatehouse.FieldError{{Field: "grace", Message: "must not be negative"}}}
	}
	c, err := s.Client(ctx, tenantID, ref)
	if err != nil {
		return nil, nil, err
	}
	if c.IsPublic() {
		return nil, nil, &gatehouse.Error{Code: gatehouse.EINVALID, Message: "client: a public client has no secret to rotate",
			Fields: []gatehouse.FieldError{{Field: "client", Message: "a public client has no secret to rotate"}}}
	}
	now := s.clock()
	issued := s.newCredential(c, "rotated "+now.UTC().Format("2006-01-02"))
	until := now.Add(grace)
	if err := s.store.AddClientCredential(ctx, &issued.ClientCredential, until); err != nil {
		return nil, nil, err
	}
	if err := s.record(ctx, a, tenantID, "client.secret.rotate", "client:"+c.ID,
		map[string]string{"client_id": issued.ClientID, "old_expire_at": until.UTC().Format(time.RFC3339)}); err != nil {
		return nil, nil, err
	}
	c, err = s.store.GetClient(ctx, tenantID, c.ID)
	return c, issued, err
}

// maxClientCredentials bounds a client's credentials: rotation needs two
// or three at once, and each is checked on every token request.
const maxClientCredentials = 20

// ReplaceClient replaces the settings of the tenant's client with those of
// in: every field but its id, tenant, type and credentials, defaults
// filling what in leaves unset (an empty type keeps the current one, which
// cannot change). match, when not nil, must name the client's current
// revision, so a change the caller never saw is not overwritten. Errors:
// ENOTFOUND, errPrecondition (the revision moved on), EINVALID naming each
// field.
func (s *Service) ReplaceClient(ctx context.Context, a Actor, tenantID, ref string, in *gatehouse.Client, match IfMatch) (*gatehouse.Client, error) {
	for attempt := 1; ; attempt++ {
		cur, err := s.Client(ctx, tenantID, ref)
		if err != nil {
			return nil, err
		}
		if !match.matches(cur.Revision) {
			return nil, staleError("client", cur.Revision)
		}
		next := *in
		next.ID, next.TenantID, next.Credentials = cur.ID, cur.TenantID, cur.Credentials
		next.CreatedAt, next.UpdatedAt, next.Revision = cur.CreatedAt, cur.UpdatedAt, cur.Revision
		if next.Type == "" {
			next.Type = cur.Type
		}
		raw := next
		next.ApplyDefaults()
		var p gatehouse.Problems
		if next.Type != cur.Type {
			p.Add("type", "cannot change once the client is registered; register a new client instead")
		}
		p.Merge("", inRequestOrder(&raw, &next).Validate(s.catalog))
		if err := p.Err(); err != nil {
			return nil, err
		}
		changed := changedFields(NewClientDoc(cur, nil), NewClientDoc(&next, nil), "credentials", "updated_at", "created_at")
		if len(changed) == 0 {
			return cur, nil // nothing to write, nothing to audit
		}
		err = s.store.UpdateClient(ctx, &next)
		if gatehouse.IsCode(err, gatehouse.ECONFLICT) {
			if match.conditional() {
				return nil, errStaleRace("client")
			}
			if attempt < 3 {
				continue
			}
		}
		if err != nil {
			return nil, err
		}
		if err := s.record(ctx, a, tenantID, "client.update", "client:"+next.ID,
			map[string]string{"fields": strings.Join(changed, ",")}); err != nil {
			return nil, err
		}
		return &next, nil
	}
}

// DeleteClient removes the tenant's client with its credentials, assets,
// consents, grants and tokens: every token it was issued stops working.
// match, when not nil, must name its current revision. Errors: ENOTFOUND,
// errPrecondition.
func (s *Service) DeleteClient(ctx context.Context, a Actor, tenantID, ref string, match IfMatch) error {
	c, err := s.Client(ctx, tenantID, ref)
	if err != nil {
		return err
	}
	if !match.matches(c.Revision) {
		return staleError("client", c.Revision)
	}
	if err := s.store.DeleteClient(ctx, tenantID, c.ID); err != nil {
		return err
	}
	ids := make([]string, 0, len(c.Credentials))
	for _, cr := range c.Credentials {
		ids = append(ids, cr.ClientID)
	}
	return s.record(ctx, a, tenantID, "client.delete", "client:"+c.ID,
		map[string]string{"name": c.Name, "client_ids": strings.Join(ids, ",")})
}

// CredentialInput is what a new client credential is made from.
type CredentialInput struct {
	// Name tells credentials apart; empty names it after the day.
	Name string
	// ExpiresAt, when not zero, is when it stops working; it must be in
	// the future.
	ExpiresAt time.Time
}

// AddClientCredential gives the tenant's client another credential: a new
// client_id and, for a confidential client, a secret, returned this once.
// The existing credentials keep working. Errors: ENOTFOUND, EINVALID
// naming each field, ECONFLICT when the client has as many credentials as
// it may.
func (s *Service) AddClientCredential(ctx context.Context, a Actor, tenantID, ref string, in CredentialInput) (*gatehouse.Client, *IssuedCredential, error) {
	now := s.clock()
	var p gatehouse.Problems
	if in.Name == "" {
		in.Name = "added " + now.UTC().Format("2006-01-02")
	}
	checkLine(&p, "name", in.Name, true, maxCredentialName)
	if !in.ExpiresAt.IsZero() && !in.ExpiresAt.After(now) {
		p.Add("expires_at", "must be in the future")
	}
	if err := p.Err(); err != nil {
		return nil, nil, err
	}
	c, err := s.Client(ctx, tenantID, ref)
	if err != nil {
		return nil, nil, err
	}
	if len(c.Credentials) >= maxClientCredentials {
		return nil, nil, gatehouse.Errorf(gatehouse.ECONFLICT,
			"the client has %d credentials, the most it may have; delete one it no longer uses first", len(c.Credentials))
	}
	issued := s.newCredential(c, in.Name)
	issued.ExpiresAt = in.ExpiresAt
	if err := s.store.AddClientCredential(ctx, &issued.ClientCredential, time.Time{}); err != nil {
		return nil, nil, err
	}
	details := map[string]string{"client_id": issued.ClientID, "name": issued.Name}
	if !in.ExpiresAt.IsZero() {
		details["expires_at"] = in.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if err := s.record(ctx, a, tenantID, "client.credential.add", "client:"+c.ID, details); err != nil {
		return nil, nil, err
	}
	c, err = s.store.GetClient(ctx, tenantID, c.ID)
	return c, issued, err
}

// credential finds a credential of c by its id or its OAuth client_id.
func credential(c *gatehouse.Client, ref string) (*gatehouse.ClientCredential, error) {
	for i := range c.Credentials {
		if cr := &c.Credentials[i]; cr.ID == ref || cr.ClientID == ref {
			return cr, nil
		}
	}
	return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "credential %q not found in this client", ref)
}

// ExpireClientCredential makes one credential of the tenant's client stop
// working at at, or now for the zero time. A credential that has expired
// stays expired (see UpdateClientCredential). Errors: ENOTFOUND, EINVALID
// for a time in the past or a later time for an expired credential.
func (s *Service) ExpireClientCredential(ctx context.Context, a Actor, tenantID, ref, credRef string, at time.Time) (*gatehouse.Client, error) {
	switch now := s.clock(); {
	case at.IsZero():
		at = now
	case at.Before(now):
		return nil, fieldError("expires_at", "must not be in the past")
	}
	return s.UpdateClientCredential(ctx, a, tenantID, ref, credRef, CredentialChange{Expiry: &at}, nil)
}

// maxCredentialName bounds a credential's name, which tells credentials
// apart in lists.
const maxCredentialName = 100

// CredentialChange is a change to one credential of a client: the fields
// left nil stay as they are.
type CredentialChange struct {
	// Name renames the credential, under the rules of a new one's name.
	Name *string
	// Expiry is when the credential stops working: the zero time for
	// never, and a time that has passed for now.
	Expiry *time.Time
}

// msgExpiredStays refuses to move the expiry of a credential that has
// expired: its secret may have been retired because it leaked, so only a
// new credential lets the app in again.
const msgExpiredStays = "the credential has expired and cannot be brought back; add a new credential instead"

// UpdateClientCredential renames one credential of the tenant's client or
// changes when it stops working. An expired credential stays expired:
// asking for it to expire again changes nothing, and a later expiry, or
// none, is refused. match, when not nil, must name the client's current
// revision, which a credential change leaves as it is. Both changes are
// written in one statement. Errors: ENOTFOUND, errPrecondition, EINVALID
// naming each field.
func (s *Service) UpdateClientCredential(ctx context.Context, a Actor, tenantID, ref, credRef string, ch CredentialChange, match IfMatch) (*gatehouse.Client, error) {
	if ch.Name != nil {
		var p gatehouse.Problems
		checkLine(&p, "name", *ch.Name, true, maxCredentialName)
		if err := p.Err(); err != nil {
			return nil, err
		}
	}
	c, err := s.Client(ctx, tenantID, ref)
	if err != nil {
		return nil, err
	}
	if !match.matches(c.Revision) {
		return nil, staleError("client", c.Revision)
	}
	cr, err := credential(c, credRef)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	name, expiry := cr.Name, cr.ExpiresAt
	if ch.Name != nil {
		name = *ch.Name
	}
	if ch.Expiry != nil {
		expiry = *ch.Expiry
		if !expiry.IsZero() && expiry.Before(now) {
			expiry = now
		}
		if cr.Expired(now) {
			if expiry.IsZero() || expiry.After(now) {
				return nil, fieldError("expires_at", msgExpiredStays)
			}
			// It stopped already; its expiry keeps saying when.
			expiry = cr.ExpiresAt
		}
	}
	renamed, moved := name != cr.Name, !expiry.Equal(cr.ExpiresAt)
	if !renamed && !moved {
		return c, nil // nothing to write, nothing to audit
	}
	if err := s.store.UpdateClientCredential(ctx, tenantID, cr.ID, name, expiry); err != nil {
		return nil, err
	}
	if renamed {
		if err := s.record(ctx, a, tenantID, "client.credential.rename", "client:"+c.ID,
			map[string]string{"client_id": cr.ClientID, "name": name}); err != nil {
			return nil, err
		}
	}
	if moved {
		action, details := "client.credential.expire", map[string]string{"client_id": cr.ClientID}
		if expiry.IsZero() {
			action = "client.credential.expiry.clear"
		} else {
			details["expires_at"] = expiry.UTC().Format(time.RFC3339)
		}
		if err := s.record(ctx, a, tenantID, action, "client:"+c.ID, details); err != nil {
			return nil, err
		}
	}
	return s.store.GetClient(ctx, tenantID, c.ID)
}

// DeleteClientCredential removes one credential of the tenant's client at
// once. The last credential cannot be deleted: delete the client instead.
// Errors: ENOTFOUND, ECONFLICT for the last credential.
func (s *Service) DeleteClientCredential(ctx context.Context, a Actor, tenantID, ref, credRef string) (*gatehouse.Client, error) {
	c, err := s.Client(ctx, tenantID, ref)
	if err != nil {
		return nil, err
	}
	cr, err := credential(c, credRef)
	if err != nil {
		return nil, err
	}
	if len(c.Credentials) == 1 {
		return nil, gatehouse.Errorf(gatehouse.ECONFLICT,
			"this is the client's only credential; add another first, or expire it, or delete the client")
	}
	if err := s.store.DeleteClientCredential(ctx, tenantID, cr.ID); err != nil {
		return nil, err
	}
	if err := s.record(ctx, a, tenantID, "client.credential.delete", "client:"+c.ID,
		map[string]string{"client_id": cr.ClientID}); err != nil {
		return nil, err
	}
	return s.store.GetClient(ctx, tenantID, c.ID)
}

// AssetPath returns the path, under an issuer, at which a client's asset
// is served, with its version.
func AssetPath(clientID, name, digest string) string {
	p := "/assets/clients/" + clientID + "/" + name
	if digest != "" {
		p += "?v=" + digest[:min(len(digest), 16)]
	}
	return p
}

// SetClientLogo stores an uploaded logo (name is gatehouse.AssetLogo or
// gatehouse.AssetLogoDark) of the tenant's client and points the client's
// logo URI at the copy served from issuerURL. The image is checked by
// its bytes: a PNG or JPEG, or an SVG that is rebuilt from an allow-list.
// match, when not nil, must name the client's current revision. Errors:
// ENOTFOUND, errPrecondition, EINVALID (a refused or unreadable image),
// errTooLarge, errUnsupportedMedia.
func (s *Service) SetClientLogo(ctx context.Context, a Actor, tenantID, ref, name string, data []byte, issuerURL string, match IfMatch) (*gatehouse.Client, error) {
	if name != gatehouse.AssetLogo && name != gatehouse.AssetLogoDark {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "no asset %q", name)
	}
	c, err := s.Client(ctx, tenantID, ref)
	if err != nil {
		return nil, err
	}
	if !match.matches(c.Revision) {
		return nil, staleError("client", c.Revision)
	}
	out, ctype, err := checkLogo(data)
	if err != nil {
		return nil, err
	}
	asset := &gatehouse.ClientAsset{TenantID: tenantID, Client: c.ID, Name: name, ContentType: ctype,
		Data: out, Digest: digest(out), UpdatedAt: s.clock()}
	if err := s.store.PutClientAsset(ctx, asset); err != nil {
		return nil, err
	}
	uri := strings.TrimSuffix(issuerURL, "/") + AssetPath(c.ID, name, asset.Digest)
	c, err = s.setLogoURI(ctx, tenantID, c, name, uri, match)
	if err != nil {
		return nil, err
	}
	if err := s.record(ctx, a, tenantID, "client.logo.set", "client:"+c.ID, map[string]string{
		"asset": name, "content_type": ctype, "bytes": strconv.Itoa(len(out)), "sha256": asset.Digest}); err != nil {
		return nil, err
	}
	return c, nil
}

// DeleteClientLogo removes an uploaded logo and, when the client's logo
// URI points at it, clears the URI. Errors: ENOTFOUND (no such logo).
func (s *Service) DeleteClientLogo(ctx context.Context, a Actor, tenantID, ref, name string, match IfMatch) (*gatehouse.Client, error) {
	if name != gatehouse.AssetLogo && name != gatehouse.AssetLogoDark {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "no asset %q", name)
	}
	c, err := s.Client(ctx, tenantID, ref)
	if err != nil {
		return nil, err
	}
	if !match.matches(c.Revision) {
		return nil, staleError("client", c.Revision)
	}
	if err := s.store.DeleteClientAsset(ctx, tenantID, c.ID, name); err != nil {
		return nil, err
	}
	cur := c.LogoURI
	if name == gatehouse.AssetLogoDark {
		cur = c.LogoDarkURI
	}
	if strings.Contains(cur, AssetPath(c.ID, name, "")) {
		if c, err = s.setLogoURI(ctx, tenantID, c, name, "", match); err != nil {
			return nil, err
		}
	}
	if err := s.record(ctx, a, tenantID, "client.logo.delete", "client:"+c.ID, map[string]string{"asset": name}); err != nil {
		return nil, err
	}
	return c, nil
}

// setLogoURI writes one of the client's logo URIs, re-reading the client
// when a concurrent change won (unless the change is conditional).
func (s *Service) setLogoURI(ctx context.Context, tenantID string, c *gatehouse.Client, name, uri string, match IfMatch) (*gatehouse.Client, error) {
	for attempt := 1; ; attempt++ {
		field := &c.LogoURI
		if name == gatehouse.AssetLogoDark {
			field = &c.LogoDarkURI
		}
		if *field == uri {
			return c, nil
		}
		*field = uri
		err := s.store.UpdateClient(ctx, c)
		if gatehouse.IsCode(err, gatehouse.ECONFLICT) {
			if match.conditional() {
				return nil, errStaleRace("client")
			}
			if attempt < 3 {
				if c, err = s.store.GetClient(ctx, tenantID, c.ID); err != nil {
					return nil, err
				}
				continue
			}
		}
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

// ClientAsset returns an uploaded asset of a client by the client's
// registration id, for serving it. Errors: ENOTFOUND.
func (s *Service) ClientAsset(ctx context.Context, clientID, name string) (*gatehouse.ClientAsset, error) {
	if !gatehouse.IsUUID(clientID) || (name != gatehouse.AssetLogo && name != gatehouse.AssetLogoDark) {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "asset not found")
	}
	return s.store.GetClientAsset(ctx, clientID, name)
}

// plausibleRef reports whether ref could name a row at all: references
// come from URLs, and one with a NUL byte or invalid UTF-8 must be "not
// found" rather than a value a database refuses.
func plausibleRef(ref string) bool {
	return ref != "" && len(ref) <= 320 && utf8.ValidString(ref) && !strings.ContainsRune(ref, 0)
}

// inRequestOrder returns c, with defaults applied, but with the lists that
// ApplyDefaults sorts and merges put back in the order they were given
// (each item normalized as ApplyDefaults would), so that a problem is
// named by the index the caller sent ("scopes[1]"), and an item given
// twice is named rather than merged.
func inRequestOrder(raw, c *gatehouse.Client) *gatehouse.Client {
	probe := *c
	keep := func(given, normalized []string, norm func(string) string) []string {
		if len(given) == 0 {
			return normalized
		}
		out := make([]string, len(given))
		for i, s := range given {
			out[i] = norm(strings.TrimSpace(s))
		}
		return out
	}
	same := func(s string) string { return s }
	probe.Scopes = keep(raw.Scopes, c.Scopes, same)
	probe.GrantTypes = keep(raw.GrantTypes, c.GrantTypes, same)
	probe.AllowedRoles = keep(raw.AllowedRoles, c.AllowedRoles, strings.ToLower)
	probe.AllowedOrigins = keep(raw.AllowedOrigins, c.AllowedOrigins, func(s string) string { return strings.TrimSuffix(s, "/") })
	return &probe
}
