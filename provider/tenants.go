package provider

import (
	"context"
	"sync"
	"time"

	"github.com/gatehouse-id/gatehouse"
)

// tenantTTL is how long a tenant read from the store is trusted: a tenant
// disabled on another node stops being served here within this time, as
// it stops being resolved as an issuer (the server's tenant cache keeps
// the same time).
const tenantTTL = 30 * time.Second

// maxCachedTenantIDs bounds the cache. The ids come from stored clients
// and signed tokens, never from free input, so this is only a backstop.
const maxCachedTenantIDs = 10000

// tenantCache keeps tenants by id for tenantTTL, so that the token
// endpoint, userinfo and introspection do not read the tenant row on
// every request. Only found tenants are kept; errors never are.
type tenantCache struct {
	mu      sync.RWMutex
	entries map[string]tenantEntry
}

type tenantEntry struct {
	tenant  *gatehouse.Tenant
	expires time.Time
}

// get returns the tenant with id, from the cache while it is fresh, else
// from load.
func (c *tenantCache) get(ctx context.Context, id string, now time.Time,
	load func(context.Context, string) (*gatehouse.Tenant, error)) (*gatehouse.Tenant, error) {
	c.mu.RLock()
	e, ok := c.entries[id]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) && !now.Before(e.expires.Add(-tenantTTL)) {
		return e.tenant, nil
	}
	t, err := load(ctx, id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.entries) >= maxCachedTenantIDs {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= maxCachedTenantIDs {
			clear(c.entries)
		}
	}
	c.entries[id] = tenantEntry{tenant: t, expires: now.Add(tenantTTL)}
	c.mu.Unlock()
	return t, nil
}
