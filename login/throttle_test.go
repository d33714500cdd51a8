package login

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

func TestLockoutDelay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{0, 0},
		{4, 0},
		{5, 30 * time.Second},
		{6, time.Minute},
		{7, 2 * time.Minute},
		{9, 8 * time.Minute},
		{10, lockoutMax},
		{11, lockoutMax},
		{1000, lockoutMax},
	}
	for _, tc := range tests {
		if got := lockoutDelay(tc.failures); got != tc.want {
			t.Errorf("lockoutDelay(%d): got %v, want %v", tc.failures, got, tc.want)
		}
	}
	last := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if !lockedOut(5, last, last.Add(29*time.Second)) || lockedOut(5, last, last.Add(30*time.Second)) {
		t.Error("five failures: want locked out for exactly 30 s")
	}
	if lockedOut(4, last, last) {
		t.Error("four failures: want no wait")
	}
}

func TestIPLimiter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newIPLimiter()
	ip := netip.MustParseAddr("192.0.2.7")
	for i := range ipFailureBurst {
		if l.blocked(ip, now) {
			t.Fatalf("blocked after %d failures, want %d allowed", i, ipFailureBurst)
		}
		l.fail(ip, now)
	}
	if !l.blocked(ip, now) {
		t.Fatalf("not blocked after %d failures at once", ipFailureBurst)
	}
	if l.blocked(netip.MustParseAddr("192.0.2.8"), now) {
		t.Error("a neighbour address is blocked too")
	}
	if !l.blocked(netip.MustParseAddr("::ffff:192.0.2.7"), now) {
		t.Error("the IPv4-mapped form of the address escapes the limit")
	}
	if l.blocked(ip, now.Add(ipFailureEvery)) == true {
		t.Errorf("still blocked %v later, want one more failure allowed", ipFailureEvery)
	}
	if l.blocked(netip.Addr{}, now) {
		t.Error("an unknown address is blocked")
	}

	// An IPv6 client is one /64.
	v6 := newIPLimiter()
	for i := range ipFailureBurst {
		v6.fail(netip.MustParseAddr(fmt.Sprintf("2001:db8::%x", i+1)), now)
	}
	if !v6.blocked(netip.MustParseAddr("2001:db8::ffff"), now) {
		t.Error("rotating addresses within one /64 escapes the limit")
	}
	if v6.blocked(netip.MustParseAddr("2001:db8:0:1::1"), now) {
		t.Error("another /64 is blocked")
	}
}

func TestThrottleTablesAreBounded(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newIPLimiter()
	c := newFailureCounter()
	for i := range maxTracked + 500 {
		l.fail(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), now)
		c.fail("t", fmt.Sprint("name", i), now)
	}
	if len(l.m) > maxTracked {
		t.Errorf("got %d addresses tracked, want at most %d", len(l.m), maxTracked)
	}
	if len(c.m) > maxTracked {
		t.Errorf("got %d names tracked, want at most %d", len(c.m), maxTracked)
	}
}

func TestFailureCounter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newFailureCounter()
	for range lockoutThreshold {
		if c.lockedOut("t1", "ghost", now) {
			t.Fatal("locked out before the threshold")
		}
		c.fail("t1", "ghost", now)
	}
	if !c.lockedOut("t1", "ghost", now) {
		t.Error("not locked out at the threshold")
	}
	if c.lockedOut("t2", "ghost", now) {
		t.Error("the same name in another tenant is locked out")
	}
	if c.lockedOut("t1", "ghost", now.Add(lockoutBase)) {
		t.Error("still locked out after the delay")
	}
}

func TestSplitHandle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		tenant string
		id     string
		ok     bool
	}{
		{"0192f5a0-0000-7000-8000-00000000ac1e.abc_-x", "0192f5a0-0000-7000-8000-00000000ac1e", "abc_-x", true},
		{"", "", "", false},
		{"noid.", "", "", false},
		{".notenant", "", "", false},
		{"nodot", "", "", false},
		{"a." + string(make([]byte, 200)), "", "", false},
	}
	for _, tc := range tests {
		tenant, id, ok := splitHandle(tc.in)
		if ok != tc.ok || (ok && (tenant != tc.tenant || id != tc.id)) {
			t.Errorf("splitHandle(%.20q): got %q, %q, %v, want %q, %q, %v", tc.in, tenant, id, ok, tc.tenant, tc.id, tc.ok)
		}
	}
}

func TestDescribeBrowser(t *testing.T) {
	t.Parallel()
	tests := []struct{ ua, want string }{
		{"Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0", "Firefox on Linux"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0", "Edge on Windows"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1", "Safari on iOS"},
		{"Go-http-client/1.1", ""},
	}
	for _, tc := range tests {
		if got := describeBrowser(tc.ua); got != tc.want {
			t.Errorf("describeBrowser(%q): got %q, want %q", tc.ua, got, tc.want)
		}
	}
}
