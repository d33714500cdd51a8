package admin

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// APIKeyInput is what a new server API key is made from.
type APIKeyInput struct {
	Name   string
	Scopes []string
	// TTL is how long the key works; zero means until revoked.
	TTL time.Duration
}

// apiKeyPrefixLen is how much of a key lists show: the type prefix and
// four random characters, enough to tell keys apart and useless to an
// attacker.
const apiKeyPrefixLen = len(gatehouse.PrefixAPIKey) + 4

// CreateAPIKey creates a server API key and returns it with its value,
// which is never shown again. Errors: EINVALID naming each field.
func (s *Service) CreateAPIKey(ctx context.Context, a Actor, tenantID string, in APIKeyInput) (*gatehouse.APIKey, string, error) {
	sec := secret.NewPrefixed(gatehouse.PrefixAPIKey)
	now := s.clock()
	k := &gatehouse.APIKey{
		TenantID:  tenantID,
		Name:      in.Name,
		Prefix:    sec.Value[:apiKeyPrefixLen],
		Hash:      sec.Hash,
		Scopes:    gatehouse.NormalizeRoles(in.Scopes),
		CreatedBy: a.ID,
		CreatedAt: now,
	}
	var p gatehouse.Problems
	p.Merge("", k.Validate())
	switch {
	case in.TTL < 0:
		p.Add("ttl_seconds", "must not be negative")
	case in.TTL > 0:
		k.ExpiresAt = now.Add(in.TTL)
	}
	if slices.ContainsFunc(k.Scopes, gatehouse.IsPlatformScope) {
		platform, err := s.store.IsPlatformAdmin(ctx, tenantID)
		if err != nil {
			return nil, "", err
		}
		if !platform {
			for i, sc := range k.Scopes {
				if gatehouse.IsPlatformScope(sc) {
					p.Add("scopes["+itoa(i)+"]", "is only for keys of the platform's own tenant")
				}
			}
		}
	}
	if err := p.Err(); err != nil {
		return nil, "", err
	}
	if err := s.store.CreateAPIKey(ctx, k); err != nil {
		return nil, "", err
	}
	if err := s.record(ctx, a, tenantID, "apikey.create", "apikey:"+k.ID,
		map[string]string{"name": k.Name, "prefix": k.Prefix, "scopes": gatehouse.JoinScope(k.Scopes)}); err != nil {
		return nil, "", err
	}
	return k, sec.Value, nil
}

// ListAPIKeys pages through a tenant's API keys.
func (s *Service) ListAPIKeys(ctx context.Context, tenantID string, opt gatehouse.ListOptions) ([]*gatehouse.APIKey, string, error) {
	return s.store.ListAPIKeys(ctx, tenantID, opt)
}

// APIKey returns the tenant's API key with id. Errors: ENOTFOUND.
func (s *Service) APIKey(ctx context.Context, tenantID, id string) (*gatehouse.APIKey, error) {
	return s.store.GetAPIKey(ctx, tenantID, id)
}

// RevokeAPIKey stops a key at once. Errors: ENOTFOUND.
func (s *Service) RevokeAPIKey(ctx context.Context, a Actor, tenantID, id string) error {
	if err := s.store.RevokeAPIKey(ctx, tenantID, id, s.clock()); err != nil {
		return err
	}
	return s.record(ctx, a, tenantID, "apikey.revoke", "apikey:"+id, nil)
}

// keyUse throttles last-used updates to one write per key per interval, so
// authenticating API calls costs no write per request.
type keyUse struct {
	mu   sync.Mutex
	last map[string]time.Time
}

const touchInterval = time.Minute

// due reports whether a use of id at now should be written, and records it.
func (u *keyUse) due(id string, now time.Time) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.last == nil {
		u.last = map[string]time.Time{}
	}
	if t, ok := u.last[id]; ok && now.Sub(t) < touchInterval {
		return false
	}
	if len(u.last) > 100_000 { // bound memory; forgetting only costs a write
		clear(u.last)
	}
	u.last[id] = now
	return true
}

// AuthenticateAPIKey finds the usable key with this value. Any failure is
// EUNAUTHORIZED with one fixed message, so a caller learns nothing about
// which keys exist.
func (s *Service) AuthenticateAPIKey(ctx context.Context, value string) (*gatehouse.APIKey, error) {
	refused := gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "invalid API key")
	if len(value) < apiKeyPrefixLen || value[:len(gatehouse.PrefixAPIKey)] != gatehouse.PrefixAPIKey {
		return nil, refused
	}
	k, err := s.store.GetAPIKeyByHash(ctx, secret.Hash(value))
	switch {
	case gatehouse.IsCode(err, gatehouse.ENOTFOUND):
		return nil, refused
	case err != nil:
		return nil, err
	}
	now := s.clock()
	if !k.Usable(now) {
		return nil, refused
	}
	if s.keyUse.due(k.ID, now) {
		if err := s.store.TouchAPIKey(ctx, k.ID, now); err != nil {
			// Losing a last-used time must not fail the call it describes.
			s.keyUse.forget(k.ID)
		}
	}
	return k, nil
}

func (u *keyUse) forget(id string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.last, id)
}
