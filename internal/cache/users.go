package cache

import (
	"slices"

	"github.com/gatehouse-id/gatehouse"
)

// maxUsers bounds the user cache; past it, it starts over. A user is a few
// hundred bytes.
const maxUsers = 50000

// userKey names a user: ids are unique per tenant.
type userKey struct{ tenantID, id string }

// Users keeps users by tenant and id, for GetUser, which userinfo,
// introspection and every refresh call.
//
// The zero Users is off: it serves nothing until SetOn(true).
type Users struct {
	t table[userKey, *gatehouse.User]
}

// Get returns a copy of the cached user and the generation to pass to Put
// after a miss.
func (c *Users) Get(tenantID, id string) (*gatehouse.User, uint64, bool) {
	u, gen, ok := c.t.get(userKey{tenantID, id})
	if !ok {
		return nil, gen, false
	}
	return cloneUser(u), gen, true
}

// Put stores a copy of u unless the cache was invalidated since gen was
// read.
func (c *Users) Put(u *gatehouse.User, gen uint64) {
	u = cloneUser(u)
	c.t.put(userKey{u.TenantID, u.ID}, u, gen, false, maxUsers)
}

// Forget drops one user, after a change to it.
func (c *Users) Forget(tenantID, id string) { c.t.forget(userKey{tenantID, id}) }

// Invalidate forgets every user, after a change that may concern any of
// them.
func (c *Users) Invalidate() { c.t.clear() }

// SetOn turns the cache on or off, emptying it either way.
func (c *Users) SetOn(on bool) { c.t.setOn(on) }

// cloneUser copies a user so that no caller shares its roles with the
// cache.
func cloneUser(u *gatehouse.User) *gatehouse.User {
	out := *u
	out.Roles = slices.Clone(u.Roles)
	return &out
}
