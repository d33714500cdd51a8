package storetest

import (
	"fmt"
	"testing"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
)

func userCases() []testCase {
	return []testCase{
		{"User/CreateAndGet", testUserCreateAndGet},
		{"User/Unique", testUserUnique},
		{"User/Update", testUserUpdate},
		{"User/ConcurrentUpdate", testUserConcurrentUpdate},
		{"User/SignInFailures", testUserSignInFailures},
		{"User/List", testUserList},
		{"User/ListDefaultLimit", testUserListDefaultLimit},
	}
}

func testUserCreateAndGet(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	want := fullUser(tn.ID, "ana")
	want.LastFailedSignIn = t0()
	want.FailedSignIns = 2
	must(t, "CreateUser", s.CreateUser(ctx, want))
	isUUID(t, "CreateUser", want.ID)
	if want.Revision != 1 || want.CreatedAt.IsZero() || want.UpdatedAt.IsZero() {
		t.Errorf("CreateUser: got revision %d, CreatedAt %v, UpdatedAt %v; want 1 and both times filled",
			want.Revision, want.CreatedAt, want.UpdatedAt)
	}
	gets := []struct {
		name string
		get  func() (*gatehouse.User, error)
	}{
		{"GetUser", func() (*gatehouse.User, error) { return s.GetUser(ctx, tn.ID, want.ID) }},
		{"GetUserByUsername", func() (*gatehouse.User, error) { return s.GetUserByUsername(ctx, tn.ID, "ana") }},
		{"GetUserByEmail", func() (*gatehouse.User, error) { return s.GetUserByEmail(ctx, tn.ID, "ana@example.com") }},
	}
	for _, g := range gets {
		got, err := g.get()
		must(t, g.name, err)
		same(t, g.name, want, got)
	}

	// A user without roles or email round-trips too.
	bare := &gatehouse.User{TenantID: tn.ID, Username: "bare", Status: gatehouse.StatusInvited}
	must(t, "CreateUser bare", s.CreateUser(ctx, bare))
	got, err := s.GetUser(ctx, tn.ID, bare.ID)
	must(t, "GetUser bare", err)
	same(t, "bare user", bare, got)

	for name, get := range map[string]func() (*gatehouse.User, error){
		"GetUser unknown":           func() (*gatehouse.User, error) { return s.GetUser(ctx, tn.ID, "00000000-0000-7000-8000-000000000000") },
		"GetUserByUsername unknown": func() (*gatehouse.User, error) { return s.GetUserByUsername(ctx, tn.ID, "nobody") },
		"GetUserByEmail unknown":    func() (*gatehouse.User, error) { return s.GetUserByEmail(ctx, tn.ID, "nobody@example.com") },
		// "No email" is not an address: it must never find the users
		// that have none.
		"GetUserByEmail empty": func() (*gatehouse.User, error) { return s.GetUserByEmail(ctx, tn.ID, "") },
	} {
		_, err := get()
		wantCode(t, name, err, gatehouse.ENOTFOUND)
	}
}

func testUserUnique(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	a := MustTenant(t, s, "alpha")
	b := MustTenant(t, s, "beta")
	ana := MustUser(t, s, a.ID, "ana")

	tests := []struct {
		name string
		user *gatehouse.User
		want string
	}{
		{"same username in the tenant", &gatehouse.User{TenantID: a.ID, Username: "ana", Email: "other@example.com", Status: gatehouse.StatusActive}, gatehouse.ECONFLICT},
		{"same email in the tenant", &gatehouse.User{TenantID: a.ID, Username: "ana2", Email: ana.Email, Status: gatehouse.StatusActive}, gatehouse.ECONFLICT},
		{"same username and email in another tenant", &gatehouse.User{TenantID: b.ID, Username: "ana", Email: ana.Email, Status: gatehouse.StatusActive}, ""},
		{"no email", &gatehouse.User{TenantID: a.ID, Username: "noemail1", Status: gatehouse.StatusActive}, ""},
		{"no email again", &gatehouse.User{TenantID: a.ID, Username: "noemail2", Status: gatehouse.StatusActive}, ""},
		{"unknown tenant", &gatehouse.User{TenantID: "00000000-0000-7000-8000-000000000000", Username: "x", Status: gatehouse.StatusActive}, gatehouse.ENOTFOUND},
	}
	for _, tt := range tests {
		wantCode(t, "CreateUser "+tt.name, s.CreateUser(ctx, tt.user), tt.want)
	}

	bob := MustUser(t, s, a.ID, "bob")
	taken := *bob
	taken.Username = "ana"
	wantCode(t, "UpdateUser to a taken username", s.UpdateUser(ctx, &taken), gatehouse.ECONFLICT)
	taken = *bob
	taken.Email = ana.Email
	wantCode(t, "UpdateUser to a taken email", s.UpdateUser(ctx, &taken), gatehouse.ECONFLICT)
	got, err := s.GetUser(ctx, a.ID, bob.ID)
	must(t, "GetUser bob", err)
	same(t, "user after refused updates", bob, got)
}

func testUserUpdate(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	u := fullUser(tn.ID, "ana")
	must(t, "CreateUser", s.CreateUser(ctx, u))
	created := *u
	stale := *u

	u.Username = "ana.maria"
	u.Email = "ana.maria@example.com"
	u.EmailVerified = false
	u.Name = "Ana Maria"
	u.Picture = ""
	u.PasswordHash = ""
	u.Status = gatehouse.StatusDisabled
	u.Roles = []string{"agent", "owner"}
	must(t, "UpdateUser", s.UpdateUser(ctx, u))
	if u.Revision != 2 {
		t.Errorf("UpdateUser: got revision %d written back, want 2", u.Revision)
	}
	got, err := s.GetUser(ctx, tn.ID, u.ID)
	must(t, "GetUser", err)
	same(t, "updated user", u, got, "UpdatedAt")
	notBefore(t, "UpdatedAt after update", got.UpdatedAt, created.UpdatedAt)
	for _, old := range []string{"ana"} {
		_, err := s.GetUserByUsername(ctx, tn.ID, old)
		wantCode(t, "GetUserByUsername of the old name", err, gatehouse.ENOTFOUND)
	}
	_, err = s.GetUserByEmail(ctx, tn.ID, created.Email)
	wantCode(t, "GetUserByEmail of the old email", err, gatehouse.ENOTFOUND)

	// Roles can be emptied.
	u.Roles = nil
	must(t, "UpdateUser without roles", s.UpdateUser(ctx, u))
	got, err = s.GetUser(ctx, tn.ID, u.ID)
	must(t, "GetUser", err)
	same(t, "user without roles", u, got, "UpdatedAt")

	stale.Name = "Lost update"
	wantCode(t, "UpdateUser with a stale revision", s.UpdateUser(ctx, &stale), gatehouse.ECONFLICT)
	got, err = s.GetUser(ctx, tn.ID, u.ID)
	must(t, "GetUser", err)
	same(t, "user after a refused update", u, got, "UpdatedAt")

	gone := fullUser(tn.ID, "gone")
	gone.ID = "00000000-0000-7000-8000-000000000000"
	gone.Revision = 1
	wantCode(t, "UpdateUser of an unknown user", s.UpdateUser(ctx, gone), gatehouse.ENOTFOUND)
}

func testUserConcurrentUpdate(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	u := MustUser(t, s, tn.ID, "ana")
	const n = 8
	errs := race(n, func(i int) error {
		c := *u
		c.Name = fmt.Sprintf("writer %d", i)
		return s.UpdateUser(ctx, &c)
	})
	won := SoleWinner(t, "UpdateUser with revision 1", errs, gatehouse.ECONFLICT)
	got, err := s.GetUser(ctx, tn.ID, u.ID)
	must(t, "GetUser", err)
	if want := fmt.Sprintf("writer %d", won); got.Name != want || got.Revision != 2 {
		t.Errorf("after concurrent updates: got name %q revision %d, want %q revision 2", got.Name, got.Revision, want)
	}
}

func testUserSignInFailures(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	u := MustUser(t, s, tn.ID, "ana")
	for i := 1; i <= 3; i++ {
		at := t0().Add(time.Duration(i) * time.Second)
		n, err := s.RecordSignInFailure(ctx, tn.ID, u.ID, at)
		must(t, "RecordSignInFailure", err)
		if n != i {
			t.Errorf("RecordSignInFailure #%d: got count %d, want %d", i, n, i)
		}
	}
	got, err := s.GetUser(ctx, tn.ID, u.ID)
	must(t, "GetUser", err)
	if got.FailedSignIns != 3 || !sameInstant(got.LastFailedSignIn, t0().Add(3*time.Second)) || got.Revision != u.Revision {
		t.Errorf("after 3 failures: got count %d, last %v, revision %d; want 3, %v, %d (revision unchanged)",
			got.FailedSignIns, got.LastFailedSignIn, got.Revision, t0().Add(3*time.Second), u.Revision)
	}
	must(t, "ResetSignInFailures", s.ResetSignInFailures(ctx, tn.ID, u.ID))
	got, err = s.GetUser(ctx, tn.ID, u.ID)
	must(t, "GetUser", err)
	if got.FailedSignIns != 0 || got.Revision != u.Revision {
		t.Errorf("after reset: got count %d revision %d, want 0 and %d", got.FailedSignIns, got.Revision, u.Revision)
	}
	// The counter still works after a reset.
	n, err := s.RecordSignInFailure(ctx, tn.ID, u.ID, t0())
	must(t, "RecordSignInFailure after reset", err)
	if n != 1 {
		t.Errorf("RecordSignInFailure after reset: got %d, want 1", n)
	}

	unknown := "00000000-0000-7000-8000-000000000000"
	_, err = s.RecordSignInFailure(ctx, tn.ID, unknown, t0())
	wantCode(t, "RecordSignInFailure of an unknown user", err, gatehouse.ENOTFOUND)
	wantCode(t, "ResetSignInFailures of an unknown user", s.ResetSignInFailures(ctx, tn.ID, unknown), gatehouse.ENOTFOUND)
}

func testUserList(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	other := MustTenant(t, s, "other")
	var want []*gatehouse.User
	for i := range 5 {
		// Names run against creation order, so an order by name fails.
		want = append(want, MustUser(t, s, tn.ID, fmt.Sprintf("user%d", 9-i)))
		MustUser(t, s, other.ID, fmt.Sprintf("user%d", 9-i))
	}
	want[2].Roles = []string{"admin"}
	must(t, "UpdateUser", s.UpdateUser(ctx, want[2]))
	checkPages(t, "ListUsers", want, func(opt gatehouse.ListOptions) ([]*gatehouse.User, string, error) {
		return s.ListUsers(ctx, tn.ID, opt)
	}, "UpdatedAt")
}

// testUserListDefaultLimit checks the default page size (100) with 101
// users.
func testUserListDefaultLimit(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	for i := range 101 {
		u := &gatehouse.User{TenantID: tn.ID, Username: fmt.Sprintf("u%03d", i), Status: gatehouse.StatusActive}
		must(t, "CreateUser", s.CreateUser(ctx, u))
	}
	page1, next, err := s.ListUsers(ctx, tn.ID, gatehouse.ListOptions{})
	must(t, "ListUsers", err)
	if len(page1) != 100 || next == "" {
		t.Fatalf("ListUsers with the default limit: got %d users and cursor %q, want 100 and a cursor", len(page1), next)
	}
	page2, next, err := s.ListUsers(ctx, tn.ID, gatehouse.ListOptions{Cursor: next})
	must(t, "ListUsers page 2", err)
	if len(page2) != 1 || next != "" || page2[0].Username != "u100" {
		t.Errorf("ListUsers page 2: got %d users and cursor %q, want u100 alone and no cursor", len(page2), next)
	}
}
