package cache

import (
	"slices"
	"time"

	"github.com/gatehouse-id/gatehouse"
)

// maxClients bounds the client cache; past it, it starts over.
const maxClients = 10000

// Clients keeps clients by OAuth client_id, with all their credentials,
// for GetClientByClientID. Any change to any client or credential
// invalidates all of them: clients change rarely, and a credential's
// client_id is not the client's id. The secret is never trusted from the
// cache alone: the caller compares the presented secret's hash with the
// credential's on every request, as it would after a database read.
//
// The zero Clients is off: it serves nothing until SetOn(true).
type Clients struct {
	t table[string, *gatehouse.Client]
}

// Get returns a copy of the cached client and the generation to pass to
// Put after a miss.
func (c *Clients) Get(clientID string) (*gatehouse.Client, uint64, bool) {
	cl, gen, ok := c.t.get(clientID)
	if !ok {
		return nil, gen, false
	}
	return cloneClient(cl), gen, true
}

// Put stores a copy of cl under clientID unless the cache was invalidated
// since gen was read.
func (c *Clients) Put(clientID string, cl *gatehouse.Client, gen uint64) {
	c.t.put(clientID, cloneClient(cl), gen, false, maxClients)
}

// Invalidate forgets every client, after a change to any client or
// credential.
func (c *Clients) Invalidate() { c.t.clear() }

// SetOn turns the cache on or off, emptying it either way.
func (c *Clients) SetOn(on bool) { c.t.setOn(on) }

// Touch records a use of the credential with clientID in the cached client
// it names. A last-used time is a statistic, not a reason to forget every
// cached client, so the cached copy is replaced by an updated one and the
// generation stays.
func (c *Clients) Touch(clientID string, at time.Time) {
	t := &c.t
	t.mu.Lock()
	defer t.mu.Unlock()
	cl, ok := t.entries[clientID]
	if !ok {
		return
	}
	cl = cloneClient(cl)
	for i := range cl.Credentials {
		if cl.Credentials[i].ClientID == clientID {
			cl.Credentials[i].LastUsedAt = at
		}
	}
	t.entries[clientID] = cl
}

// cloneClient copies a client deeply enough that a caller may change the
// copy (its lists, its credentials) without touching the cached one.
func cloneClient(c *gatehouse.Client) *gatehouse.Client {
	out := *c
	out.RedirectURIs = slices.Clone(c.RedirectURIs)
	out.PostLogoutRedirectURIs = slices.Clone(c.PostLogoutRedirectURIs)
	out.AllowedOrigins = slices.Clone(c.AllowedOrigins)
	out.Scopes = slices.Clone(c.Scopes)
	out.GrantTypes = slices.Clone(c.GrantTypes)
	out.AllowedRoles = slices.Clone(c.AllowedRoles)
	out.Credentials = slices.Clone(c.Credentials)
	for i := range out.Credentials {
		out.Credentials[i].SecretHash = slices.Clone(out.Credentials[i].SecretHash)
	}
	return &out
}
