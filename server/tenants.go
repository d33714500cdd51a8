package server

import (
	"context"
	"sync"
	"time"

	"github.com/gatehouse-id/gatehouse"
)

// TenantLookup is the part of the store that issuer resolution reads;
// gatehouse.TenantStore implements it.
type TenantLookup interface {
	GetTenant(ctx context.Context, id string) (*gatehouse.Tenant, error)
	GetTenantBySlug(ctx context.Context, slug string) (*gatehouse.Tenant, error)
	GetTenantByDomain(ctx context.Context, host string) (*gatehouse.Tenant, error)
}

// maxCachedTenants bounds the cache: misses are cached too, and a client
// can send any number of made-up hosts and slugs.
const maxCachedTenants = 10000

// TenantCache answers Tenants (and TenantByID) from the store and keeps
// each answer, found or ENOTFOUND, for a short time, so the hot path does
// not query the store for every request. Other errors are never cached.
// After changing anything of a tenant (slug, domains, status, name,
// branding, settings), call Invalidate; other nodes see the change when
// their entries expire.
type TenantCache struct {
	store TenantLookup
	ttl   time.Duration
	clock gatehouse.Clock

	mu      sync.RWMutex
	entries map[tenantKey]tenantEntry
	// gen increases on Invalidate, so that an answer read from the store
	// before an invalidation is not cached after it.
	gen uint64
}

type tenantKey struct {
	by    tenantKeyKind
	value string
}

// tenantKeyKind is what a cached lookup was by.
type tenantKeyKind uint8

const (
	bySlug tenantKeyKind = iota
	byDomain
	byID
)

type tenantEntry struct {
	tenant  *gatehouse.Tenant // nil: not found
	expires time.Time
}

var _ Tenants = (*TenantCache)(nil)

// NewTenantCache returns a cache over store that keeps answers for ttl.
func NewTenantCache(store TenantLookup, ttl time.Duration, clock gatehouse.Clock) *TenantCache {
	return &TenantCache{store: store, ttl: ttl, clock: clock, entries: map[tenantKey]tenantEntry{}}
}

// TenantBySlug returns the tenant with this slug. Errors: ENOTFOUND, or
// the store's error.
func (c *TenantCache) TenantBySlug(ctx context.Context, slug string) (*gatehouse.Tenant, error) {
	return c.get(ctx, tenantKey{by: bySlug, value: slug}, c.store.GetTenantBySlug)
}

// TenantByDomain returns the tenant that registered host as a custom
// domain. Errors: ENOTFOUND, or the store's error.
func (c *TenantCache) TenantByDomain(ctx context.Context, host string) (*gatehouse.Tenant, error) {
	return c.get(ctx, tenantKey{by: byDomain, value: host}, c.store.GetTenantByDomain)
}

// TenantByID returns the tenant with this id, whatever its status: the
// sign-in pages read the tenant of a flow under the platform's issuer
// through it. Errors: ENOTFOUND, or the store's error.
func (c *TenantCache) TenantByID(ctx context.Context, id string) (*gatehouse.Tenant, error) {
	return c.get(ctx, tenantKey{by: byID, value: id}, c.store.GetTenant)
}

// Invalidate forgets every cached answer.
func (c *TenantCache) Invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	c.gen++
}

func (c *TenantCache) get(ctx context.Context, key tenantKey,
	load func(context.Context, string) (*gatehouse.Tenant, error)) (*gatehouse.Tenant, error) {
	now := c.clock()
	c.mu.RLock()
	e, ok := c.entries[key]
	gen := c.gen
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		if e.tenant == nil {
			return nil, notFound(key)
		}
		return e.tenant, nil
	}
	t, err := load(ctx, key.value)
	if err != nil && !gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		return nil, err
	}
	if err != nil || t == nil {
		t, err = nil, notFound(key)
	}
	c.mu.Lock()
	if c.gen == gen {
		if len(c.entries) >= maxCachedTenants {
			c.evict(now)
		}
		c.entries[key] = tenantEntry{tenant: t, expires: now.Add(c.ttl)}
	}
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return t, nil
}

// evict drops expired entries, or everything when none has expired: a
// flood of made-up names should cost the store a few queries, not the
// process its memory. Callers hold mu.
func (c *TenantCache) evict(now time.Time) {
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
	if len(c.entries) >= maxCachedTenants {
		clear(c.entries)
	}
}

func notFound(key tenantKey) error {
	switch key.by {
	case byDomain:
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "no tenant has the domain %q", key.value)
	case byID:
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "no tenant has the id %q", key.value)
	}
	return gatehouse.Errorf(gatehouse.ENOTFOUND, "no tenant has the slug %q", key.value)
}
