package storetest

import (
	"testing"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
)

func clientCases() []testCase {
	return []testCase{
		{"Client/CreateAndGet", testClientCreateAndGet},
		{"Client/UniqueClientID", testClientUniqueClientID},
		{"Client/Update", testClientUpdate},
		{"Client/Credentials", testClientCredentials},
		{"Client/RotateSecret", testClientRotateSecret},
		{"Client/List", testClientList},
		{"Client/DeleteCascades", testClientDeleteCascades},
	}
}

func testClientCreateAndGet(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	want := fullClient(tn.ID)
	must(t, "CreateClient", s.CreateClient(ctx, want))
	isUUID(t, "CreateClient", want.ID)
	if want.Revision != 1 || want.CreatedAt.IsZero() || want.UpdatedAt.IsZero() {
		t.Errorf("CreateClient: got revision %d, CreatedAt %v, UpdatedAt %v; want 1 and both times filled",
			want.Revision, want.CreatedAt, want.UpdatedAt)
	}
	// Credentials take the client's tenant and id, and get ids and
	// creation times of their own.
	for i, k := range want.Credentials {
		isUUID(t, "CreateClient credential", k.ID)
		if k.TenantID != tn.ID || k.Client != want.ID || k.CreatedAt.IsZero() {
			t.Errorf("credential %d: got tenant %q client %q created %v, want %q, %q and a time",
				i, k.TenantID, k.Client, k.CreatedAt, tn.ID, want.ID)
		}
	}

	got, err := s.GetClient(ctx, tn.ID, want.ID)
	must(t, "GetClient", err)
	same(t, "GetClient", want, got)
	for _, k := range want.Credentials {
		got, err := s.GetClientByClientID(ctx, k.ClientID)
		must(t, "GetClientByClientID", err)
		same(t, "GetClientByClientID "+k.Name, want, got)
	}

	// A public client with no secret and no credentials round-trips.
	pub := &gatehouse.Client{TenantID: tn.ID, Name: "SPA", Type: gatehouse.ClientPublic,
		RedirectURIs: []string{"http://127.0.0.1:8080/cb"}}
	pub.ApplyDefaults()
	must(t, "CreateClient public", s.CreateClient(ctx, pub))
	got, err = s.GetClient(ctx, tn.ID, pub.ID)
	must(t, "GetClient public", err)
	same(t, "public client", pub, got)

	_, err = s.GetClient(ctx, tn.ID, "00000000-0000-7000-8000-000000000000")
	wantCode(t, "GetClient unknown", err, gatehouse.ENOTFOUND)
	_, err = s.GetClientByClientID(ctx, "gth_ci_unknown")
	wantCode(t, "GetClientByClientID unknown", err, gatehouse.ENOTFOUND)
	wantCode(t, "CreateClient in an unknown tenant",
		s.CreateClient(ctx, fullClient("00000000-0000-7000-8000-000000000000")), gatehouse.ENOTFOUND)
}

func testClientUniqueClientID(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	a := MustTenant(t, s, "alpha")
	b := MustTenant(t, s, "beta")
	ca := MustClient(t, s, a.ID)

	// client_id is unique across the platform, and the client and its
	// credentials are one transaction: the refused client is not stored.
	cb := fullClient(b.ID)
	cb.Credentials[1].ClientID = ca.Credentials[0].ClientID
	wantCode(t, "CreateClient with another tenant's client_id", s.CreateClient(ctx, cb), gatehouse.ECONFLICT)
	list, _, err := s.ListClients(ctx, b.ID, gatehouse.ListOptions{})
	must(t, "ListClients", err)
	if len(list) != 0 {
		t.Errorf("ListClients after a refused create: got %d clients, want 0", len(list))
	}
	_, err = s.GetClientByClientID(ctx, cb.Credentials[0].ClientID)
	wantCode(t, "GetClientByClientID of a refused credential", err, gatehouse.ENOTFOUND)

	cb2 := MustClient(t, s, b.ID)
	dup := &gatehouse.ClientCredential{TenantID: b.ID, Client: cb2.ID, ClientID: ca.Credentials[0].ClientID, Name: "dup"}
	wantCode(t, "AddClientCredential with a taken client_id", s.AddClientCredential(ctx, dup, time.Time{}), gatehouse.ECONFLICT)
	got, err := s.GetClientByClientID(ctx, ca.Credentials[0].ClientID)
	must(t, "GetClientByClientID", err)
	same(t, "client owning the contested client_id", ca, got)
}

func testClientUpdate(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	c := fullClient(tn.ID)
	must(t, "CreateClient", s.CreateClient(ctx, c))
	created := *c
	stale := *c

	c.Name = "Renamed"
	c.Description = ""
	c.RedirectURIs = []string{"https://new.example.com/cb"}
	c.PostLogoutRedirectURIs = nil
	c.AllowedOrigins = nil
	c.Scopes = []string{gatehouse.ScopeOpenID}
	c.GrantTypes = []string{gatehouse.GrantAuthorizationCode}
	c.AuthMethod = gatehouse.AuthMethodSecretBasic
	c.IDTokenAlg = gatehouse.AlgEdDSA
	c.AccessTokenTTL = time.Hour
	c.FirstParty = false
	c.AlwaysIssueRefreshToken = false
	c.AllowedRoles = nil
	c.InteractionEndpoint = ""
	// UpdateClient leaves credentials alone, whatever the argument holds.
	c.Credentials = nil
	must(t, "UpdateClient", s.UpdateClient(ctx, c))
	if c.Revision != 2 {
		t.Errorf("UpdateClient: got revision %d written back, want 2", c.Revision)
	}
	got, err := s.GetClient(ctx, tn.ID, c.ID)
	must(t, "GetClient", err)
	want := *c
	want.Credentials = created.Credentials
	same(t, "updated client", &want, got, "UpdatedAt")
	notBefore(t, "UpdatedAt after update", got.UpdatedAt, created.UpdatedAt)

	stale.Name = "Lost update"
	wantCode(t, "UpdateClient with a stale revision", s.UpdateClient(ctx, &stale), gatehouse.ECONFLICT)
	gone := fullClient(tn.ID)
	gone.ID = "00000000-0000-7000-8000-000000000000"
	gone.Revision = 1
	wantCode(t, "UpdateClient of an unknown client", s.UpdateClient(ctx, gone), gatehouse.ENOTFOUND)
}

func testClientCredentials(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	c := MustClient(t, s, tn.ID)

	k := gatehouse.ClientCredential{TenantID: tn.ID, Client: c.ID, ClientID: gatehouse.PrefixClientID + rnd(),
		Name: "second", SecretHash: hash(), SecretHint: "zz99"}
	must(t, "AddClientCredential", s.AddClientCredential(ctx, &k, time.Time{}))
	isUUID(t, "AddClientCredential", k.ID)
	if k.CreatedAt.IsZero() {
		t.Error("AddClientCredential: got zero CreatedAt, want it filled")
	}
	got, err := s.GetClientByClientID(ctx, k.ClientID)
	must(t, "GetClientByClientID", err)
	same(t, "credentials after AddClientCredential", append(c.Credentials, k), got.Credentials)

	expiry := t0().Add(time.Hour)
	must(t, "UpdateClientCredential", s.UpdateClientCredential(ctx, tn.ID, k.ID, "second (eu)", expiry))
	must(t, "TouchClientCredential", s.TouchClientCredential(ctx, k.ClientID, t0()))
	got, err = s.GetClient(ctx, tn.ID, c.ID)
	must(t, "GetClient", err)
	k.Name, k.ExpiresAt, k.LastUsedAt = "second (eu)", expiry, t0()
	same(t, "credentials after rename, expiry and touch", append(c.Credentials, k), got.Credentials)
	same(t, "client after credential changes", c, got, "Credentials")

	must(t, "UpdateClientCredential to never", s.UpdateClientCredential(ctx, tn.ID, k.ID, k.Name, time.Time{}))
	got, err = s.GetClient(ctx, tn.ID, c.ID)
	must(t, "GetClient", err)
	k.ExpiresAt = time.Time{}
	same(t, "credentials after clearing the expiry", append(c.Credentials, k), got.Credentials)

	must(t, "DeleteClientCredential", s.DeleteClientCredential(ctx, tn.ID, k.ID))
	_, err = s.GetClientByClientID(ctx, k.ClientID)
	wantCode(t, "GetClientByClientID of a deleted credential", err, gatehouse.ENOTFOUND)
	got, err = s.GetClient(ctx, tn.ID, c.ID)
	must(t, "GetClient", err)
	same(t, "credentials after delete", c.Credentials, got.Credentials)

	unknown := "00000000-0000-7000-8000-000000000000"
	tests := []struct {
		name string
		err  error
	}{
		{"AddClientCredential to an unknown client", s.AddClientCredential(ctx, &gatehouse.ClientCredential{
			TenantID: tn.ID, Client: unknown, ClientID: gatehouse.PrefixClientID + rnd(), Name: "x"}, time.Time{})},
		{"UpdateClientCredential of an unknown credential", s.UpdateClientCredential(ctx, tn.ID, unknown, "x", t0())},
		{"DeleteClientCredential of a deleted credential", s.DeleteClientCredential(ctx, tn.ID, k.ID)},
		{"TouchClientCredential of an unknown client_id", s.TouchClientCredential(ctx, "gth_ci_unknown", t0())},
	}
	for _, tt := range tests {
		wantCode(t, tt.name, tt.err, gatehouse.ENOTFOUND)
	}
}

// testClientRotateSecret checks AddClientCredential's expireOthersBy: the
// other credentials expire then, unless they already expire sooner.
func testClientRotateSecret(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	c := fullClient(tn.ID)
	c.Credentials[0].ExpiresAt = time.Time{}           // never: moves to the deadline
	c.Credentials[1].ExpiresAt = t0().Add(time.Minute) // sooner: stays
	third := gatehouse.ClientCredential{ClientID: gatehouse.PrefixClientID + rnd(), Name: "later",
		ExpiresAt: t0().Add(48 * time.Hour)} // later: moves to the deadline
	c.Credentials = append(c.Credentials, third)
	must(t, "CreateClient", s.CreateClient(ctx, c))
	other := MustClient(t, s, tn.ID)

	deadline := t0().Add(time.Hour)
	k := gatehouse.ClientCredential{TenantID: tn.ID, Client: c.ID, ClientID: gatehouse.PrefixClientID + rnd(),
		Name: "new", SecretHash: hash()}
	must(t, "AddClientCredential with expireOthersBy", s.AddClientCredential(ctx, &k, deadline))

	got, err := s.GetClient(ctx, tn.ID, c.ID)
	must(t, "GetClient", err)
	want := append([]gatehouse.ClientCredential{}, c.Credentials...)
	want[0].ExpiresAt = deadline
	want[2].ExpiresAt = deadline
	want = append(want, k)
	same(t, "credentials after rotation", want, got.Credentials)

	// Another client's credentials are untouched.
	got, err = s.GetClient(ctx, tn.ID, other.ID)
	must(t, "GetClient other", err)
	same(t, "other client's credentials", other.Credentials, got.Credentials)
}

func testClientList(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	other := MustTenant(t, s, "other")
	var want []*gatehouse.Client
	for range 4 {
		want = append(want, MustClient(t, s, tn.ID))
		MustClient(t, s, other.ID)
	}
	// Whether list items carry their credentials is left to the store.
	checkPages(t, "ListClients", want, func(opt gatehouse.ListOptions) ([]*gatehouse.Client, string, error) {
		return s.ListClients(ctx, tn.ID, opt)
	}, "Credentials")
}

func testClientDeleteCascades(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	u := MustUser(t, s, tn.ID, "ana")
	now := t0()

	type world struct {
		c     *gatehouse.Client
		code  *gatehouse.AuthCode
		grant *gatehouse.Grant
		rt    *gatehouse.RefreshToken
	}
	build := func() world {
		c := MustClient(t, s, tn.ID)
		must(t, "PutConsent", s.PutConsent(ctx, &gatehouse.Consent{TenantID: tn.ID, UserID: u.ID, Client: c.ID,
			Scopes: []string{gatehouse.ScopeOpenID}}))
		code := newAuthCode(c, u, now)
		must(t, "CreateAuthCode", s.CreateAuthCode(ctx, code))
		g := MustGrant(t, s, c, u.ID, now)
		rt, _ := MustRefreshToken(t, s, g, now)
		return world{c, code, g, rt}
	}
	doomed, kept := build(), build()

	must(t, "DeleteClient", s.DeleteClient(ctx, tn.ID, doomed.c.ID))

	_, err := s.GetClient(ctx, tn.ID, doomed.c.ID)
	wantCode(t, "GetClient after delete", err, gatehouse.ENOTFOUND)
	_, err = s.GetClientByClientID(ctx, doomed.c.Credentials[0].ClientID)
	wantCode(t, "GetClientByClientID after delete", err, gatehouse.ENOTFOUND)
	_, err = s.GetConsent(ctx, tn.ID, u.ID, doomed.c.ID)
	wantCode(t, "GetConsent after delete", err, gatehouse.ENOTFOUND)
	_, err = s.GetGrant(ctx, tn.ID, doomed.grant.ID)
	wantCode(t, "GetGrant after delete", err, gatehouse.ENOTFOUND)
	_, err = s.GetRefreshToken(ctx, doomed.rt.Hash)
	wantCode(t, "GetRefreshToken after delete", err, gatehouse.ENOTFOUND)
	_, err = s.RedeemAuthCode(ctx, doomed.code.Hash, now, noIssue(t))
	wantCode(t, "RedeemAuthCode after delete", err, gatehouse.ENOTFOUND)
	wantCode(t, "DeleteClient again", s.DeleteClient(ctx, tn.ID, doomed.c.ID), gatehouse.ENOTFOUND)

	// The other client keeps everything.
	if _, err := s.GetClient(ctx, tn.ID, kept.c.ID); err != nil {
		t.Errorf("GetClient of the other client: %v", err)
	}
	if _, err := s.GetConsent(ctx, tn.ID, u.ID, kept.c.ID); err != nil {
		t.Errorf("GetConsent of the other client: %v", err)
	}
	if _, err := s.GetGrant(ctx, tn.ID, kept.grant.ID); err != nil {
		t.Errorf("GetGrant of the other client: %v", err)
	}
	if _, err := s.GetRefreshToken(ctx, kept.rt.Hash); err != nil {
		t.Errorf("GetRefreshToken of the other client: %v", err)
	}
	_, err = s.RedeemAuthCode(ctx, kept.code.Hash, now, func(*gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error) {
		return nil, nil, nil
	})
	must(t, "RedeemAuthCode of the other client", err)
}

// noIssue is an issue callback that must not run: the code or token was
// refused before anything could be issued for it.
func noIssue(t testing.TB) func(*gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error) {
	return func(c *gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error) {
		t.Errorf("issue ran for a code that should have been refused")
		return nil, nil, errIssue
	}
}
