package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
)

// Run holds a store to the contract of gatehouse.Store. Each subtest calls
// newStore for a store of its own, which must be empty and ready to serve
// (migrated); newStore closes it when the test ends (t.Cleanup). Subtests
// run in parallel.
//
// Where store.go leaves a choice open, the suite takes the reading a
// careful implementer would and says so in a comment beside the check.
// Readings that apply throughout:
//   - "expired at now" means !now.Before(ExpiresAt), as Session.Active and
//     ClientCredential.Expired decide it: a row whose ExpiresAt equals now
//     is expired.
//   - A mutation by id (revoke, touch, delete, set) of a row that is not in
//     the given tenant is ENOTFOUND, like Update; revoking a row that is
//     already revoked is not an error.
//   - Create writes what it fills (IDs, CreatedAt, UpdatedAt, Revision)
//     back into its argument, credentials of CreateClient included.
//   - Update may move UpdatedAt; the suite only requires that it does not
//     move back.
//   - A row never points into another tenant: a create whose parent (user,
//     client, grant, connector) exists only in another tenant is
//     ENOTFOUND, as if it did not exist at all.
//   - Creation order is insertion order, not CreatedAt order: rows made in
//     one transaction (a client's credentials) share a CreatedAt, and
//     tests set CreatedAt freely. That holds for a client's Credentials
//     too.
//   - Times come back in UTC (time.UTC, not time.Local).
func Run(t *testing.T, newStore func(t *testing.T) gatehouse.Store) {
	t.Helper()
	for _, tc := range cases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}

type testCase struct {
	name string
	run  func(t *testing.T, s gatehouse.Store)
}

func cases() []testCase {
	var all []testCase
	for _, group := range [][]testCase{
		tenantCases(), userCases(), clientCases(), flowCases(), tokenCases(), credentialCases(),
		connectorCases(), keyCases(), auditCases(), sweepCases(), isolationCases(), contractCases(),
		managementCases(), cacheCases(),
	} {
		all = append(all, group...)
	}
	return all
}

// t0 is the suite's reference time: microsecond precision, UTC, and far
// from the stores' own clocks so that nothing depends on them.
func t0() time.Time { return time.Date(2031, 3, 14, 15, 9, 26, 535897000, time.UTC) }

// wantCode fails the test now unless err carries code ("" for no error).
func wantCode(t testing.TB, what string, err error, code string) {
	t.Helper()
	if got := gatehouse.ErrorCode(err); got != code {
		t.Fatalf("%s: got error %v (code %q), want code %q", what, err, got, codeName(code))
	}
}

func codeName(code string) string {
	if code == "" {
		return "none"
	}
	return code
}

// must fails the test now if err is not nil.
func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// same reports a difference between want and got as a test error.
func same(t testing.TB, what string, want, got any, ignore ...string) {
	t.Helper()
	if d := Diff(want, got, ignore...); d != "" {
		t.Errorf("%s differs:\n%s", what, d)
	}
}

// isUUID fails the test unless id was filled with a UUID.
func isUUID(t testing.TB, what, id string) {
	t.Helper()
	if !gatehouse.IsUUID(id) {
		t.Errorf("%s: got id %q, want a UUID filled by the store", what, id)
	}
}

// notBefore fails the test if got is before want.
func notBefore(t testing.TB, what string, got, want time.Time) {
	t.Helper()
	if got.Before(want.Add(-time.Microsecond)) {
		t.Errorf("%s: got %v, want not before %v", what, got, want)
	}
}

// race runs fn(0..n-1) in n goroutines released together and returns
// their errors by index.
func race(n int, fn func(i int) error) []error {
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// SoleWinner checks the errors of racing callers (race's result) for one
// success, every other caller failing with the code lose, and returns the
// winner's index.
func SoleWinner(tb testing.TB, what string, errs []error, lose string) int {
	tb.Helper()
	winner := -1
	for i, err := range errs {
		switch gatehouse.ErrorCode(err) {
		case "":
			if winner >= 0 {
				tb.Fatalf("concurrent %s: callers %d and %d both succeeded", what, winner, i)
			}
			winner = i
		case lose:
		default:
			tb.Errorf("concurrent %s, caller %d: got %v, want success or %s", what, i, err, lose)
		}
	}
	if winner < 0 {
		tb.Fatalf("concurrent %s: no caller succeeded", what)
	}
	return winner
}

// errIssue is what the suite's failing issue callbacks return.
var errIssue = errors.New("storetest: issue refused")
