package provider_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/gatehouse-id/gatehouse"
)

// TestRevoke revokes refresh and access tokens (RFC 7009) and checks what
// stops working, and that tokens that are not the caller's to revoke are
// answered 200 and left alone.
func TestRevoke(t *testing.T) {
	t.Parallel()
	e := newErrorEnv(t)
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"refresh token revokes its grant", func(t *testing.T) {
			ts := e.mustLogin(t, e.conf, codeOpts{})
			wantOK(t, e.revoke(t, e.conf, ts.RefreshToken))
			wantError(t, e.refresh(t, e.conf, ts.RefreshToken, ""), 400, "invalid_grant")
			wantError(t, e.userinfo(t, ts.AccessToken), 401, "invalid_token")
			wantActive(t, e.introspect(t, e.conf, ts.RefreshToken), false)
		}},
		{"access token is revoked alone", func(t *testing.T) {
			ts := e.mustLogin(t, e.conf, codeOpts{})
			wantOK(t, e.revoke(t, e.conf, ts.AccessToken))
			wantError(t, e.userinfo(t, ts.AccessToken), 401, "invalid_token")
			wantActive(t, e.introspect(t, e.conf, ts.AccessToken), false)
			// The grant lives on: its refresh token gives a working token.
			next := mustTokens(t, e.refresh(t, e.conf, ts.RefreshToken, ""))
			if res := e.userinfo(t, next.AccessToken); res.status != 200 {
				t.Errorf("userinfo with a fresh token of the grant: got %d", res.status)
			}
		}},
		{"with a hint that does not match", func(t *testing.T) {
			ts := e.mustLogin(t, e.conf, codeOpts{})
			wantOK(t, post(t, e.s.URL+"/oauth/revoke",
				url.Values{"token": {ts.AccessToken}, "token_type_hint": {"refresh_token"}}, authOf(e.conf)))
			wantError(t, e.userinfo(t, ts.AccessToken), 401, "invalid_token")
		}},
		{"public client, with client_secret_post-less authentication", func(t *testing.T) {
			ts := e.mustLogin(t, e.pub, codeOpts{})
			wantOK(t, e.revoke(t, e.pub, ts.RefreshToken))
			wantError(t, e.refresh(t, e.pub, ts.RefreshToken, ""), 400, "invalid_grant")
		}},
		{"twice", func(t *testing.T) {
			ts := e.mustLogin(t, e.conf, codeOpts{})
			wantOK(t, e.revoke(t, e.conf, ts.RefreshToken))
			wantOK(t, e.revoke(t, e.conf, ts.RefreshToken))
			wantOK(t, e.revoke(t, e.conf, ts.AccessToken))
			wantOK(t, e.revoke(t, e.conf, ts.AccessToken))
		}},
		{"unknown and malformed tokens", func(t *testing.T) {
			wantOK(t, e.revoke(t, e.conf, "bm90LWEtdG9rZW4"))
			wantOK(t, e.revoke(t, e.conf, "a.b.c"))
		}},
		{"another client's tokens are left alone", func(t *testing.T) {
			ts := e.mustLogin(t, e.conf, codeOpts{})
			wantOK(t, e.revoke(t, e.conf2, ts.AccessToken))
			wantOK(t, e.revoke(t, e.conf2, ts.RefreshToken))
			wantOK(t, e.revoke(t, e.foreign, ts.RefreshToken))
			if res := e.userinfo(t, ts.AccessToken); res.status != 200 {
				t.Errorf("userinfo after another client's revocation: got %d", res.status)
			}
			mustTokens(t, e.refresh(t, e.conf, ts.RefreshToken, ""))
		}},
		{"unauthenticated", func(t *testing.T) {
			ts := e.mustLogin(t, e.conf, codeOpts{})
			wantError(t, post(t, e.s.URL+"/oauth/revoke", url.Values{"token": {ts.RefreshToken}},
				clientAuth{id: e.conf.ClientID, secret: "gth_cs_wrong"}), 401, "invalid_client")
			wantError(t, post(t, e.s.URL+"/oauth/revoke", url.Values{"token": {ts.RefreshToken}}, clientAuth{}),
				401, "invalid_client")
			mustTokens(t, e.refresh(t, e.conf, ts.RefreshToken, ""))
		}},
		{"no token", func(t *testing.T) {
			wantError(t, post(t, e.s.URL+"/oauth/revoke", nil, authOf(e.conf)), 400, "invalid_request")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t)
		})
	}
}

func wantOK(t *testing.T, res result) {
	t.Helper()
	if res.status != http.StatusOK {
		t.Fatalf("got %d, want 200: %s", res.status, res.raw)
	}
}

// TestIntrospect checks the answers of the introspection endpoint (RFC
// 7662) for active tokens, and that every other token is inactive.
func TestIntrospect(t *testing.T) {
	t.Parallel()
	e := newErrorEnv(t)
	ts := e.mustLogin(t, e.conf, codeOpts{scopes: []string{"openid", "offline_access", "profile"}})
	now := e.s.Clock.Now()

	t.Run("access token", func(t *testing.T) {
		t.Parallel()
		res := e.introspect(t, e.conf2, ts.AccessToken)
		wantActive(t, res, true)
		want := map[string]any{
			"active": true, "scope": "offline_access openid profile", "client_id": e.conf.ClientID,
			"sub": e.user.ID, "iss": e.s.URL, "aud": e.s.URL, "token_type": "Bearer", "tenant_id": e.tenant.ID,
			"exp": float64(now.Add(time.Hour).Unix()), "iat": float64(now.Unix()),
		}
		for k, v := range want {
			if res.body[k] != v {
				t.Errorf("%s: got %v, want %v", k, res.body[k], v)
			}
		}
		if res.str("jti") == "" {
			t.Errorf("no jti: %s", res.raw)
		}
	})
	t.Run("refresh token", func(t *testing.T) {
		t.Parallel()
		fresh := e.mustLogin(t, e.conf, codeOpts{})
		res := e.introspect(t, e.conf2, fresh.RefreshToken)
		wantActive(t, res, true)
		want := map[string]any{
			"active": true, "scope": "email offline_access openid profile", "client_id": e.conf.ClientID,
			"sub": e.user.ID, "iss": e.s.URL, "token_type": "refresh_token", "tenant_id": e.tenant.ID,
			"iat": float64(now.Unix()), "exp": float64(now.Add(gatehouse.DefaultRefreshIdleTTL).Unix()),
		}
		for k, v := range want {
			if res.body[k] != v {
				t.Errorf("%s: got %v, want %v", k, res.body[k], v)
			}
		}
		// Once rotated, it is spent.
		mustTokens(t, e.refresh(t, e.conf, fresh.RefreshToken, ""))
		wantActive(t, e.introspect(t, e.conf, fresh.RefreshToken), false)
	})
	t.Run("inactive", func(t *testing.T) {
		t.Parallel()
		for name, tok := range map[string]string{
			"ID token":           ts.IDToken,
			"unknown handle":     "bm90LWEtdG9rZW4",
			"malformed JWT":      "a.b.c",
			"runtime-signed JWT": runtimeSigned(t, e.env, ts.AccessToken),
		} {
			res := e.introspect(t, e.conf, tok)
			if res.status != 200 || string(res.raw) != `{"active":false}` {
				t.Errorf("%s: got %d %s, want exactly {\"active\":false}", name, res.status, res.raw)
			}
		}
	})
	t.Run("foreign-tenant token is inactive", func(t *testing.T) {
		t.Parallel()
		wantActive(t, e.introspect(t, e.foreign, ts.AccessToken), false)
		wantActive(t, e.introspect(t, e.foreign, ts.RefreshToken), false)
	})
	t.Run("public client is refused", func(t *testing.T) {
		t.Parallel()
		res := e.introspect(t, e.pub, ts.AccessToken)
		wantError(t, res, 401, "invalid_client")
		if _, leaked := res.body["active"]; leaked {
			t.Errorf("the refusal says something about the token: %s", res.raw)
		}
	})
	t.Run("unauthenticated", func(t *testing.T) {
		t.Parallel()
		wantError(t, post(t, e.s.URL+"/oauth/introspect", url.Values{"token": {ts.AccessToken}}, clientAuth{}),
			401, "invalid_client")
	})
	t.Run("no token", func(t *testing.T) {
		t.Parallel()
		wantError(t, post(t, e.s.URL+"/oauth/introspect", nil, authOf(e.conf)), 400, "invalid_request")
	})
	t.Run("GET", func(t *testing.T) {
		t.Parallel()
		req, _ := http.NewRequest(http.MethodGet, e.s.URL+"/oauth/introspect", nil)
		wantError(t, do(t, req), 405, "invalid_request")
	})
}

// TestLifetimes moves the clock past each lifetime: the code's 60 s, the
// access token's hour, the refresh token's idle and absolute lifetimes.
// It runs its steps in order on its own server, since it moves the clock.
func TestLifetimes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.s.MustClient(t, e.tenant.ID, func(c *gatehouse.Client) {
		c.AccessTokenTTL = 10 * time.Minute
		c.RefreshIdleTTL = 2 * time.Minute
		c.RefreshAbsoluteTTL = 5 * time.Minute
	})
	redirect := c.RedirectURIs[0]

	t.Run("expired code", func(t *testing.T) {
		code := e.mustCode(t, c, codeOpts{})
		e.s.Clock.Advance(gatehouse.AuthCodeTTL + time.Second)
		wantError(t, post(t, e.s.URL+"/oauth/token", codeForm(code, redirect, ""), authOf(c)), 400, "invalid_grant")
	})
	t.Run("expired access token", func(t *testing.T) {
		ts := e.mustLogin(t, c, codeOpts{})
		if ts.ExpiresIn != 600 {
			t.Errorf("expires_in: got %d, want 600", ts.ExpiresIn)
		}
		e.s.Clock.Advance(10*time.Minute + time.Minute)
		res := e.userinfo(t, ts.AccessToken)
		wantError(t, res, 401, "invalid_token")
		wantActive(t, e.introspect(t, c, ts.AccessToken), false)
	})
	t.Run("refresh idle lifetime", func(t *testing.T) {
		ts := e.mustLogin(t, c, codeOpts{})
		e.s.Clock.Advance(2*time.Minute + time.Second)
		wantActive(t, e.introspect(t, c, ts.RefreshToken), false)
		wantError(t, e.refresh(t, c, ts.RefreshToken, ""), 400, "invalid_grant")
	})
	t.Run("refresh absolute lifetime", func(t *testing.T) {
		ts := e.mustLogin(t, c, codeOpts{})
		rt := ts.RefreshToken
		// Used every 90 s, the token never idles out, until the grant
		// reaches its absolute end at 5 minutes.
		for i := range 3 {
			e.s.Clock.Advance(90 * time.Second)
			rt = mustTokens(t, e.refresh(t, c, rt, "")).RefreshToken
			if i == 2 {
				res := e.introspect(t, c, rt)
				wantActive(t, res, true)
				grantEnd := e.s.Clock.Now().Add(-270 * time.Second).Add(5 * time.Minute)
				if got := int64(res.body["exp"].(float64)); got != grantEnd.Unix() {
					t.Errorf("exp of the last refresh token: got %d, want the grant's end %d", got, grantEnd.Unix())
				}
			}
		}
		e.s.Clock.Advance(31 * time.Second)
		wantError(t, e.refresh(t, c, rt, ""), 400, "invalid_grant")
	})
}

// TestTenantIssuer runs the code flow at a tenant issuer: the tokens name
// it, they are not accepted at the platform issuer, and a client of
// another tenant is not served there.
func TestTenantIssuer(t *testing.T) {
	t.Parallel()
	e := newErrorEnv(t)
	ctx := context.Background()
	issuer := e.s.URL + "/t/acme"
	rp, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatal(err)
	}
	code := e.mustCode(t, e.conf, codeOpts{nonce: "abc"})
	ts := mustTokens(t, post(t, rp.Endpoint().TokenURL, codeForm(code, e.conf.RedirectURIs[0], ""), authOf(e.conf)))
	idt, err := rp.Verifier(&oidc.Config{ClientID: e.conf.ClientID, Now: e.s.Clock.Now}).Verify(ctx, ts.IDToken)
	if err != nil {
		t.Fatalf("verify ID token of the tenant issuer: %v", err)
	}
	if idt.Issuer != issuer {
		t.Errorf("ID token iss: got %q, want %q", idt.Issuer, issuer)
	}
	res := post(t, issuer+"/oauth/introspect", url.Values{"token": {ts.AccessToken}}, authOf(e.conf))
	wantActive(t, res, true)
	if got := res.str("iss"); got != issuer {
		t.Errorf("access token iss: got %q, want %q", got, issuer)
	}
	wantActive(t, e.introspect(t, e.conf, ts.AccessToken), false)
	wantError(t, post(t, issuer+"/oauth/introspect", url.Values{"token": {ts.AccessToken}}, authOf(e.foreign)),
		401, "invalid_client")
}

// TestAuditEvents checks the events the endpoints record: token.issue per
// grant, token.reuse on a replay, token.revoke.
func TestAuditEvents(t *testing.T) {
	t.Parallel()
	e := newErrorEnv(t)
	ts := e.mustLogin(t, e.conf, codeOpts{})
	next := mustTokens(t, e.refresh(t, e.conf, ts.RefreshToken, ""))
	wantError(t, e.refresh(t, e.conf, ts.RefreshToken, ""), 400, "invalid_grant")
	wantOK(t, e.revoke(t, e.conf, next.AccessToken))
	mustTokens(t, post(t, e.s.URL+"/oauth/token", url.Values{"grant_type": {"client_credentials"}}, authOf(e.cc)))

	issued := e.auditEvents(t, e.tenant.ID, "token.issue")
	var grants []string
	for _, ev := range issued {
		if ev.Result != gatehouse.ResultSuccess || ev.Details["client_id"] == "" || ev.Actor != "client:"+ev.Details["client_id"] {
			t.Errorf("token.issue event: %+v", ev)
		}
		grants = append(grants, ev.Details["grant_type"])
	}
	slices.Sort(grants)
	if want := []string{"authorization_code", "client_credentials", "refresh_token"}; !slices.Equal(grants, want) {
		t.Errorf("token.issue grant types: got %v, want %v", grants, want)
	}
	reuse := e.auditEvents(t, e.tenant.ID, "token.reuse")
	if len(reuse) != 1 || reuse[0].Result != gatehouse.ResultFailure || reuse[0].Details["grant_type"] != "refresh_token" ||
		reuse[0].Target != "user:"+e.user.ID {
		t.Errorf("token.reuse events: got %d: %+v", len(reuse), reuse)
	}
	revoked := e.auditEvents(t, e.tenant.ID, "token.revoke")
	if len(revoked) != 1 || revoked[0].Details["token_type"] != "access_token" || revoked[0].Details["client_id"] != e.conf.ClientID {
		t.Errorf("token.revoke events: got %d: %+v", len(revoked), revoked)
	}
	for _, ev := range append(append(issued, reuse...), revoked...) {
		if ev.IP == "" || ev.UserAgent == "" {
			t.Errorf("%s event without IP or user agent: %+v", ev.Action, ev)
		}
		for k, v := range ev.Details {
			for _, s := range []string{ts.AccessToken, ts.RefreshToken, next.RefreshToken, e.conf.ClientSecret} {
				if v == s {
					t.Errorf("%s event detail %s holds a secret", ev.Action, k)
				}
			}
		}
	}
}

// TestCredentialUseRecorded checks that a client's last use is recorded,
// once: a second request within the minute writes nothing.
func TestCredentialUseRecorded(t *testing.T) {
	t.Parallel()
	e := newErrorEnv(t)
	ctx := context.Background()
	lastUsed := func() time.Time {
		c, err := e.s.Store.GetClientByClientID(ctx, e.cc.ClientID)
		if err != nil {
			t.Fatal(err)
		}
		cred, _ := c.Credential(e.cc.ClientID)
		return cred.LastUsedAt
	}
	if !lastUsed().IsZero() {
		t.Fatal("a new credential has a last use")
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	first := e.s.Clock.Now()
	mustTokens(t, post(t, e.s.URL+"/oauth/token", form, authOf(e.cc)))
	if got := lastUsed(); !got.Equal(first) {
		t.Fatalf("last use: got %v, want %v", got, first)
	}
	e.s.Clock.Advance(30 * time.Second)
	mustTokens(t, post(t, e.s.URL+"/oauth/token", form, authOf(e.cc)))
	if got := lastUsed(); !got.Equal(first) {
		t.Errorf("last use within the minute: got %v, want it unchanged at %v", got, first)
	}
	e.s.Clock.Advance(31 * time.Second)
	mustTokens(t, post(t, e.s.URL+"/oauth/token", form, authOf(e.cc)))
	if got := lastUsed(); !got.Equal(e.s.Clock.Now()) {
		t.Errorf("last use after a minute: got %v, want %v", got, e.s.Clock.Now())
	}
}

// TestConcurrentReuse presents one code and one refresh token several
// times at once: exactly one request wins, the others are invalid_grant
// (never a server error), and since they count as reuse, the grant ends.
func TestConcurrentReuse(t *testing.T) {
	t.Parallel()
	e := newErrorEnv(t)
	const n = 6
	race := func(t *testing.T, newRequest func() *http.Request) (ok []result) {
		t.Helper()
		type outcome struct {
			res result
			err error
		}
		outcomes := make(chan outcome, n)
		start := make(chan struct{})
		for range n {
			req := newRequest()
			go func() {
				<-start
				res, err := tryDo(req)
				outcomes <- outcome{res, err}
			}()
		}
		close(start)
		for range n {
			o := <-outcomes
			switch {
			case o.err != nil:
				t.Errorf("request: %v", o.err)
			case o.res.status == http.StatusOK:
				ok = append(ok, o.res)
			case o.res.str("error") != "invalid_grant":
				t.Errorf("got %d %s, want 200 or invalid_grant", o.res.status, o.res.raw)
			}
		}
		if len(ok) != 1 {
			t.Fatalf("successful requests: got %d, want exactly 1", len(ok))
		}
		return ok
	}
	t.Run("code", func(t *testing.T) {
		code := e.mustCode(t, e.conf, codeOpts{})
		won := race(t, func() *http.Request {
			return formPost(e.s.URL+"/oauth/token", codeForm(code, e.conf.RedirectURIs[0], ""), authOf(e.conf))
		})
		var ts tokenSet
		if err := json.Unmarshal(won[0].raw, &ts); err != nil {
			t.Fatal(err)
		}
		wantError(t, e.userinfo(t, ts.AccessToken), 401, "invalid_token")
	})
	t.Run("refresh token", func(t *testing.T) {
		rt := e.mustLogin(t, e.conf, codeOpts{}).RefreshToken
		won := race(t, func() *http.Request {
			return formPost(e.s.URL+"/oauth/token",
				url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, authOf(e.conf))
		})
		var ts tokenSet
		if err := json.Unmarshal(won[0].raw, &ts); err != nil {
			t.Fatal(err)
		}
		wantError(t, e.refresh(t, e.conf, ts.RefreshToken, ""), 400, "invalid_grant")
	})
}

// TestDisabledTenant checks that a tenant's clients and tokens stop
// working once the tenant is disabled (after the provider's short tenant
// cache expires).
func TestDisabledTenant(t *testing.T) {
	t.Parallel()
	e := newErrorEnv(t)
	ts := e.mustLogin(t, e.conf, codeOpts{})
	ccForm := url.Values{"grant_type": {"client_credentials"}}
	mustTokens(t, post(t, e.s.URL+"/oauth/token", ccForm, authOf(e.cc)))

	ctx := context.Background()
	tn, err := e.s.Store.GetTenant(ctx, e.tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	tn.Status = gatehouse.StatusDisabled
	if err := e.s.Store.UpdateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	e.s.Clock.Advance(31 * time.Second)

	wantError(t, post(t, e.s.URL+"/oauth/token", ccForm, authOf(e.cc)), 401, "invalid_client")
	wantError(t, e.refresh(t, e.conf, ts.RefreshToken, ""), 401, "invalid_client")
	wantError(t, e.userinfo(t, ts.AccessToken), 401, "invalid_token")
	// Another tenant's clients are not affected.
	other := e.s.MustClient(t, e.globex.ID, func(c *gatehouse.Client) { c.GrantTypes = []string{"client_credentials"} })
	mustTokens(t, post(t, e.s.URL+"/oauth/token", ccForm, authOf(other)))
}
