package admin

import (
	"context"
	"strings"
	"time"

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
	c.ApplyDefaults()
	if err := c.Validate(s.catalog); err != nil {
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
	if gatehouse.IsUUID(ref) {
		c, err = s.store.GetClient(ctx, tenantID, ref)
	} else {
		c, err = s.store.GetClientByClientID(ctx, ref)
		if err == nil && c.TenantID != tenantID {
			c, err = nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "not found")
		}
	}
	if gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "client %q not found in this tenant", ref)
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
