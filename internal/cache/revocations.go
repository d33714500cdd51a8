package cache

// maxRevocations bounds the revocation cache; past it, it starts over. An
// answer is under a hundred bytes.
const maxRevocations = 100000

// revocationKey names one question: is this jti, or this grant, revoked.
type revocationKey struct{ jti, grantID string }

// revocationAnswer is a cached answer: revoked for good, or live as of
// generation gen.
type revocationAnswer struct {
	revoked bool
	gen     uint64
}

// Revocations keeps AccessTokenRevoked's answers.
//
// A "revoked" answer is kept for good: a revoked jti or grant never
// becomes live again, and a grant that is gone never comes back (grant ids
// are random and never reused). A "not revoked" answer holds only until
// the next revocation anywhere.
//
// The zero Revocations is off: it serves nothing until SetOn(true).
type Revocations struct {
	t table[revocationKey, revocationAnswer]
}

// Get returns the cached answer, and the generation to pass to Put after a
// miss. A live answer counts only in the generation it was read in.
func (c *Revocations) Get(jti, grantID string) (revoked bool, gen uint64, ok bool) {
	a, gen, found := c.t.get(revocationKey{jti, grantID})
	switch {
	case !found:
		return false, gen, false
	case a.revoked:
		return true, gen, true
	case a.gen == gen:
		return false, gen, true
	}
	return false, gen, false
}

// Put stores an answer read in generation gen. A live answer read before
// an invalidation is dropped; a revoked one is true whenever it was read.
func (c *Revocations) Put(jti, grantID string, revoked bool, gen uint64) {
	c.t.put(revocationKey{jti, grantID}, revocationAnswer{revoked: revoked, gen: gen}, gen, revoked, maxRevocations)
}

// Invalidate records a revocation: every live answer is stale, and every
// revoked one still holds.
func (c *Revocations) Invalidate() { c.t.bump() }

// SetOn turns the cache on or off, forgetting every answer either way.
func (c *Revocations) SetOn(on bool) { c.t.setOn(on) }
