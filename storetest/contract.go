package storetest

import (
	"testing"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
)

func contractCases() []testCase {
	return []testCase{
		{"Contract/Times", testTimes},
	}
}

// testTimes stores times with nanoseconds in another zone and reads them
// back in UTC with microsecond precision (rounded or truncated: the
// contract says only "microsecond precision"); zero times stay zero.
func testTimes(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	u := MustUser(t, s, tn.ID, "ana")
	zone := time.FixedZone("IST", 5*3600+1800)
	at := t0().Add(987 * time.Nanosecond).In(zone)

	x := newSession(u, at, at.Add(time.Hour))
	x.LastSeenAt = time.Time{}
	must(t, "CreateSession", s.CreateSession(ctx, x))
	got, err := s.GetSession(ctx, tn.ID, x.ID)
	must(t, "GetSession", err)
	for name, tt := range map[string]struct{ got, want time.Time }{
		"AuthTime":  {got.AuthTime, x.AuthTime},
		"CreatedAt": {got.CreatedAt, x.CreatedAt},
		"ExpiresAt": {got.ExpiresAt, x.ExpiresAt},
	} {
		checkTime(t, "session "+name, tt.got, tt.want)
	}
	for name, z := range map[string]time.Time{"LastSeenAt": got.LastSeenAt, "RevokedAt": got.RevokedAt} {
		if !z.IsZero() {
			t.Errorf("session %s: got %v, want the zero time", name, z)
		}
	}

	_, err = s.RecordSignInFailure(ctx, tn.ID, u.ID, at)
	must(t, "RecordSignInFailure", err)
	gotU, err := s.GetUser(ctx, tn.ID, u.ID)
	must(t, "GetUser", err)
	checkTime(t, "user LastFailedSignIn", gotU.LastFailedSignIn, at)
	checkTime(t, "user CreatedAt", gotU.CreatedAt, u.CreatedAt)

	// A boundary check against a nanosecond "now" uses the stored
	// microseconds: a session expiring at `at` is not active a nanosecond
	// later, whichever way the store rounded.
	_, err = s.GetSessionByToken(ctx, x.TokenHash, x.ExpiresAt.Add(time.Microsecond))
	wantCode(t, "GetSessionByToken a microsecond after expiry", err, gatehouse.ENOTFOUND)
}

func checkTime(t testing.TB, what string, got, want time.Time) {
	t.Helper()
	if got.Location() != time.UTC {
		t.Errorf("%s: got location %v, want UTC", what, got.Location())
	}
	if got.Nanosecond()%1000 != 0 {
		t.Errorf("%s: got %v, want microsecond precision", what, got)
	}
	if !sameInstant(got, want) {
		t.Errorf("%s: got %v, want %v within a microsecond", what, got, want.UTC())
	}
}
