package storetest

import (
	"testing"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
)

func isolationCases() []testCase {
	return []testCase{
		{"TenantIsolation", testTenantIsolation},
	}
}

// testTenantIsolation creates one of everything in tenant A, then calls
// every tenant-scoped method with tenant B and A's ids: getters and
// mutations are ENOTFOUND, creates that point at A's rows are ENOTFOUND,
// lists and counts are empty, and afterwards A's rows are unchanged.
func testTenantIsolation(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	now := t0()
	a := MustTenant(t, s, "alpha")
	b := MustTenant(t, s, "beta")
	B := b.ID

	u := fullUser(a.ID, "ana")
	must(t, "CreateUser", s.CreateUser(ctx, u))
	c := fullClient(a.ID)
	must(t, "CreateClient", s.CreateClient(ctx, c))
	cred := c.Credentials[0]
	r := newAuthRequest(c, now)
	must(t, "CreateAuthRequest", s.CreateAuthRequest(ctx, r))
	x := newSession(u, now, now.Add(time.Hour))
	must(t, "CreateSession", s.CreateSession(ctx, x))
	consent := &gatehouse.Consent{TenantID: a.ID, UserID: u.ID, Client: c.ID, Scopes: []string{"openid"}}
	must(t, "PutConsent", s.PutConsent(ctx, consent))
	jc := newJWTCredential(u, now)
	must(t, "CreateJWTCredential", s.CreateJWTCredential(ctx, jc))
	g := &gatehouse.Grant{TenantID: a.ID, Client: c.ID, UserID: u.ID, JWTCredentialID: jc.ID,
		Scopes: []string{"openid"}, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	must(t, "CreateGrant", s.CreateGrant(ctx, g))
	rt, _ := MustRefreshToken(t, s, g, now)
	k := newAPIKey(a.ID, now)
	must(t, "CreateAPIKey", s.CreateAPIKey(ctx, k))
	ik := &gatehouse.InstallKey{TenantID: a.ID, Key: gatehouse.PrefixInstallKey + rnd()}
	must(t, "CreateInstallKey", s.CreateInstallKey(ctx, ik))
	cn := newConnector(a.ID)
	must(t, "CreateConnector", s.CreateConnector(ctx, cn))
	f := &gatehouse.FederatedIdentity{TenantID: a.ID, ConnectorID: cn.ID, Subject: "sub-1", UserID: u.ID}
	must(t, "LinkIdentity", s.LinkIdentity(ctx, f))
	sk := newSigningKey(a.ID, gatehouse.KeyPurposeOAuth, gatehouse.AlgRS256, gatehouse.KeyRetired, now)
	must(t, "CreateSigningKey", s.CreateSigningKey(ctx, sk))
	must(t, "AppendAuditEvents", s.AppendAuditEvents(ctx, []*gatehouse.AuditEvent{auditEvent(a.ID, 1, now)}))

	get := func(_ any, err error) error { return err }
	uB, cB, cnB := *u, *c, *cn
	uB.TenantID, cB.TenantID, cnB.TenantID = B, B, B
	notFound := []struct {
		name string
		err  error
	}{
		{"GetUser", get(s.GetUser(ctx, B, u.ID))},
		{"GetUserByUsername", get(s.GetUserByUsername(ctx, B, u.Username))},
		{"GetUserByEmail", get(s.GetUserByEmail(ctx, B, u.Email))},
		{"UpdateUser", s.UpdateUser(ctx, &uB)},
		{"RecordSignInFailure", get(s.RecordSignInFailure(ctx, B, u.ID, now))},
		{"ResetSignInFailures", s.ResetSignInFailures(ctx, B, u.ID)},
		{"GetClient", get(s.GetClient(ctx, B, c.ID))},
		{"UpdateClient", s.UpdateClient(ctx, &cB)},
		{"DeleteClient", s.DeleteClient(ctx, B, c.ID)},
		{"AddClientCredential", s.AddClientCredential(ctx, &gatehouse.ClientCredential{TenantID: B, Client: c.ID,
			ClientID: gatehouse.PrefixClientID + rnd(), Name: "x"}, now)},
		{"UpdateClientCredential", s.UpdateClientCredential(ctx, B, cred.ID, "x", now)},
		{"DeleteClientCredential", s.DeleteClientCredential(ctx, B, cred.ID)},
		{"CreateAuthRequest", s.CreateAuthRequest(ctx, func() *gatehouse.AuthRequest {
			cp := newAuthRequest(c, now)
			cp.TenantID = B
			return cp
		}())},
		{"GetAuthRequest", get(s.GetAuthRequest(ctx, B, r.ID, now))},
		{"SetAuthRequestUser", s.SetAuthRequestUser(ctx, B, r.ID, u.ID, x.ID)},
		{"DeleteAuthRequest", s.DeleteAuthRequest(ctx, B, r.ID)},
		{"CompleteAuthRequest", s.CompleteAuthRequest(ctx, B, r.ID, newAuthCode(c, u, now))},
		{"CreateSession", s.CreateSession(ctx, func() *gatehouse.Session {
			cp := newSession(u, now, now.Add(time.Hour))
			cp.TenantID = B
			return cp
		}())},
		{"GetSession", get(s.GetSession(ctx, B, x.ID))},
		{"TouchSession", s.TouchSession(ctx, B, x.ID, now, now.Add(time.Hour))},
		{"RevokeSession", s.RevokeSession(ctx, B, x.ID, now)},
		{"PutConsent", s.PutConsent(ctx, &gatehouse.Consent{TenantID: B, UserID: u.ID, Client: c.ID, Scopes: []string{"x"}})},
		{"GetConsent", get(s.GetConsent(ctx, B, u.ID, c.ID))},
		{"CreateAuthCode", s.CreateAuthCode(ctx, func() *gatehouse.AuthCode {
			cp := newAuthCode(c, u, now)
			cp.TenantID = B
			return cp
		}())},
		{"CreateGrant", s.CreateGrant(ctx, &gatehouse.Grant{TenantID: B, Client: c.ID, UserID: u.ID})},
		{"GetGrant", get(s.GetGrant(ctx, B, g.ID))},
		{"RevokeGrant", s.RevokeGrant(ctx, B, g.ID, now)},
		{"CreateRefreshToken", s.CreateRefreshToken(ctx, func() *gatehouse.RefreshToken {
			cp := newRefreshToken(g, hash(), now)
			cp.TenantID = B
			return cp
		}())},
		{"GetAPIKey", get(s.GetAPIKey(ctx, B, k.ID))},
		{"RevokeAPIKey", s.RevokeAPIKey(ctx, B, k.ID, now)},
		{"RevokeInstallKey", s.RevokeInstallKey(ctx, B, ik.ID, now)},
		{"CreateJWTCredential", s.CreateJWTCredential(ctx, func() *gatehouse.JWTCredential {
			cp := newJWTCredential(u, now)
			cp.TenantID = B
			return cp
		}())},
		{"GetJWTCredential", get(s.GetJWTCredential(ctx, B, jc.ID))},
		{"RevokeJWTCredential", s.RevokeJWTCredential(ctx, B, jc.ID, now)},
		{"TouchJWTCredential", s.TouchJWTCredential(ctx, B, jc.ID, now)},
		{"GetConnector", get(s.GetConnector(ctx, B, cn.ID))},
		{"UpdateConnector", s.UpdateConnector(ctx, &cnB)},
		{"DeleteConnector", s.DeleteConnector(ctx, B, cn.ID)},
		{"LinkIdentity", s.LinkIdentity(ctx, &gatehouse.FederatedIdentity{TenantID: B, ConnectorID: cn.ID, Subject: "sub-2", UserID: u.ID})},
		{"GetIdentity", get(s.GetIdentity(ctx, B, cn.ID, f.Subject))},
		{"TouchIdentity", s.TouchIdentity(ctx, B, cn.ID, f.Subject, now)},
		{"DeleteSigningKey", s.DeleteSigningKey(ctx, B, sk.ID)},
		{"LastAuditEvent", get(s.LastAuditEvent(ctx, B))},
	}
	for _, tt := range notFound {
		wantCode(t, tt.name+" from another tenant", tt.err, gatehouse.ENOTFOUND)
	}

	// Bulk revocations find nothing to count.
	n, err := s.RevokeUserSessions(ctx, B, u.ID, now)
	if err != nil || n != 0 {
		t.Errorf("RevokeUserSessions from another tenant: got %d, %v; want 0, nil", n, err)
	}
	n, err = s.RevokeGrantsByCredential(ctx, B, jc.ID, now)
	if err != nil || n != 0 {
		t.Errorf("RevokeGrantsByCredential from another tenant: got %d, %v; want 0, nil", n, err)
	}
	// RevokeConsent has nothing to do either: it does not fail (see
	// testConsentRevoke), and it must not touch A.
	must(t, "RevokeConsent from another tenant", s.RevokeConsent(ctx, B, u.ID, c.ID, now))

	lists := []struct {
		name string
		n    func() (int, error)
	}{
		{"ListUsers", func() (int, error) { l, _, err := s.ListUsers(ctx, B, gatehouse.ListOptions{}); return len(l), err }},
		{"ListClients", func() (int, error) { l, _, err := s.ListClients(ctx, B, gatehouse.ListOptions{}); return len(l), err }},
		{"ListSessions", func() (int, error) { l, err := s.ListSessions(ctx, B, u.ID, now); return len(l), err }},
		{"ListConsents", func() (int, error) { l, err := s.ListConsents(ctx, B, u.ID); return len(l), err }},
		{"ListAPIKeys", func() (int, error) { l, _, err := s.ListAPIKeys(ctx, B, gatehouse.ListOptions{}); return len(l), err }},
		{"ListInstallKeys", func() (int, error) { l, err := s.ListInstallKeys(ctx, B); return len(l), err }},
		{"ListJWTCredentials", func() (int, error) { l, err := s.ListJWTCredentials(ctx, B, u.ID); return len(l), err }},
		{"ListConnectors", func() (int, error) { l, err := s.ListConnectors(ctx, B); return len(l), err }},
		{"ListSigningKeys", func() (int, error) { l, err := s.ListSigningKeys(ctx, B); return len(l), err }},
		{"ListAuditEvents", func() (int, error) {
			l, _, err := s.ListAuditEvents(ctx, gatehouse.AuditFilter{TenantID: B})
			return len(l), err
		}},
	}
	for _, l := range lists {
		n, err := l.n()
		must(t, l.name+" from another tenant", err)
		if n != 0 {
			t.Errorf("%s from another tenant: got %d items, want none", l.name, n)
		}
	}

	// A is untouched.
	gotU, err := s.GetUser(ctx, a.ID, u.ID)
	must(t, "GetUser", err)
	same(t, "user", u, gotU)
	gotC, err := s.GetClient(ctx, a.ID, c.ID)
	must(t, "GetClient", err)
	same(t, "client", c, gotC)
	gotR, err := s.GetAuthRequest(ctx, a.ID, r.ID, now)
	must(t, "GetAuthRequest", err)
	same(t, "auth request", r, gotR)
	gotX, err := s.GetSessionByToken(ctx, x.TokenHash, now)
	must(t, "GetSessionByToken", err)
	same(t, "session", x, gotX)
	gotConsent, err := s.GetConsent(ctx, a.ID, u.ID, c.ID)
	must(t, "GetConsent", err)
	same(t, "consent", consent, gotConsent)
	gotG, err := s.GetGrant(ctx, a.ID, g.ID)
	must(t, "GetGrant", err)
	same(t, "grant", g, gotG)
	gotRT, err := s.GetRefreshToken(ctx, rt.Hash)
	must(t, "GetRefreshToken", err)
	same(t, "refresh token", rt, gotRT)
	gotK, err := s.GetAPIKey(ctx, a.ID, k.ID)
	must(t, "GetAPIKey", err)
	same(t, "API key", k, gotK)
	gotIK, err := s.GetInstallKey(ctx, ik.Key)
	must(t, "GetInstallKey", err)
	same(t, "install key", ik, gotIK)
	gotJC, err := s.GetJWTCredential(ctx, a.ID, jc.ID)
	must(t, "GetJWTCredential", err)
	same(t, "JWT credential", jc, gotJC)
	gotCN, err := s.GetConnector(ctx, a.ID, cn.ID)
	must(t, "GetConnector", err)
	same(t, "connector", cn, gotCN)
	gotF, err := s.GetIdentity(ctx, a.ID, cn.ID, f.Subject)
	must(t, "GetIdentity", err)
	same(t, "identity", f, gotF)
	keys, err := s.ListSigningKeys(ctx, a.ID)
	must(t, "ListSigningKeys", err)
	same(t, "signing keys", []*gatehouse.SigningKey{sk}, keys)
	if revoked, err := s.AccessTokenRevoked(ctx, "jti", g.ID); err != nil || revoked {
		t.Errorf("AccessTokenRevoked of A's grant: got %v, %v; want false", revoked, err)
	}
}
