package login

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Slowing down password guessing. Per account, the store counts
// consecutive failures; from lockoutThreshold on, the account must wait
// lockoutDelay after its last failure before another attempt is even
// checked (attempts in between are refused and not counted). Names that
// match no account get the same schedule from an in-memory counter, so
// the "too many attempts" answer does not tell which names exist. Per
// client address, failures drain a token bucket.
const (
	lockoutThreshold = 5
	lockoutBase      = 30 * time.Second
	lockoutMax       = 15 * time.Minute

	// An address may fail ipFailureBurst times at once, then once per
	// ipFailureEvery: enough for a shared office address, far too few to
	// guess passwords.
	ipFailureBurst = 30
	ipFailureEvery = 10 * time.Second

	// maxTracked bounds each in-memory table, so a flood of addresses or
	// names cannot grow memory without bound.
	maxTracked = 10000
)

// lockoutDelay is how long an account with n consecutive failures waits
// after the last one: nothing below the threshold, then lockoutBase
// doubling with every further failure, at most lockoutMax.
func lockoutDelay(n int) time.Duration {
	if n < lockoutThreshold {
		return 0
	}
	shift := n - lockoutThreshold
	if shift >= 10 {
		return lockoutMax
	}
	return min(lockoutBase<<shift, lockoutMax)
}

// lockedOut reports whether an account with n failures, the last at last,
// must still wait at now.
func lockedOut(n int, last, now time.Time) bool {
	d := lockoutDelay(n)
	return d > 0 && now.Before(last.Add(d))
}

// ipKey groups addresses the way one client usually holds them: an IPv4
// address alone, an IPv6 address by its /64.
func ipKey(ip netip.Addr) netip.Prefix {
	ip = ip.Unmap()
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits)
	return p
}

// ipLimiter is a token bucket of sign-in failures per client address.
type ipLimiter struct {
	mu sync.Mutex
	m  map[netip.Prefix]*rate.Limiter
}

func newIPLimiter() *ipLimiter { return &ipLimiter{m: map[netip.Prefix]*rate.Limiter{}} }

// blocked reports whether the address has no failures left at now.
func (l *ipLimiter) blocked(ip netip.Addr, now time.Time) bool {
	if !ip.IsValid() {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.m[ipKey(ip)]
	return lim != nil && lim.TokensAt(now) < 1
}

// fail spends one failure of the address.
func (l *ipLimiter) fail(ip netip.Addr, now time.Time) {
	if !ip.IsValid() {
		return
	}
	k := ipKey(ip)
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.m[k]
	if lim == nil {
		if len(l.m) >= maxTracked {
			l.prune(now)
		}
		lim = rate.NewLimiter(rate.Every(ipFailureEvery), ipFailureBurst)
		l.m[k] = lim
	}
	lim.AllowN(now, 1)
}

// prune drops the addresses whose bucket is full again, and if that is not
// enough, arbitrary ones: forgetting an address only gives it a fresh
// bucket.
func (l *ipLimiter) prune(now time.Time) {
	for k, lim := range l.m {
		if lim.TokensAt(now) >= ipFailureBurst {
			delete(l.m, k)
		}
	}
	for k := range l.m {
		if len(l.m) < maxTracked*9/10 {
			break
		}
		delete(l.m, k)
	}
}

// failureCounter counts consecutive failures for names that match no
// account, keyed by tenant and name, with the same schedule as accounts.
type failureCounter struct {
	mu sync.Mutex
	m  map[string]failures
}

type failures struct {
	n    int
	last time.Time
}

func newFailureCounter() *failureCounter { return &failureCounter{m: map[string]failures{}} }

func counterKey(tenantID, name string) string { return tenantID + "\x00" + name }

// lockedOut reports whether the name must still wait at now.
func (c *failureCounter) lockedOut(tenantID, name string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.m[counterKey(tenantID, name)]
	return ok && lockedOut(f.n, f.last, now)
}

// fail counts one more failure for the name.
func (c *failureCounter) fail(tenantID, name string, now time.Time) {
	k := counterKey(tenantID, name)
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.m[k]
	if !ok && len(c.m) >= maxTracked {
		c.prune(now)
	}
	c.m[k] = failures{n: f.n + 1, last: now}
}

// prune drops names whose last failure is old enough that their delay is
// over, then arbitrary ones if the table is still nearly full.
func (c *failureCounter) prune(now time.Time) {
	for k, f := range c.m {
		if !now.Before(f.last.Add(lockoutMax)) {
			delete(c.m, k)
		}
	}
	for k := range c.m {
		if len(c.m) < maxTracked*9/10 {
			break
		}
		delete(c.m, k)
	}
}
