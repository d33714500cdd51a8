package provider_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
	"github.com/gatehouse-id/gatehouse/token"
)

// A token userinfo and introspection have verified once skips its
// signature check for a while; everything else about it must still be
// checked on every call. Each case presents a token until it is
// remembered, changes its standing, and expects the next call to refuse it.
func TestVerifiedTokensStillChecked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(t *testing.T, e *env, c *gatehousetest.Client, ts tokenSet)
	}{
		{
			name: "access token revoked",
			change: func(t *testing.T, e *env, c *gatehousetest.Client, ts tokenSet) {
				if res := e.revoke(t, c, ts.AccessToken); res.status != http.StatusOK {
					t.Fatalf("revoke: got %d, want 200: %s", res.status, res.raw)
				}
			},
		},
		{
			name: "grant revoked by its refresh token",
			change: func(t *testing.T, e *env, c *gatehousetest.Client, ts tokenSet) {
				if res := e.revoke(t, c, ts.RefreshToken); res.status != http.StatusOK {
					t.Fatalf("revoke: got %d, want 200: %s", res.status, res.raw)
				}
			},
		},
		{
			name: "token expired",
			change: func(t *testing.T, e *env, _ *gatehousetest.Client, _ tokenSet) {
				e.s.Clock.Advance(gatehouse.DefaultAccessTokenTTL + token.Leeway + time.Second)
			},
		},
		{
			name: "user disabled",
			change: func(t *testing.T, e *env, _ *gatehousetest.Client, _ tokenSet) {
				u, err := e.s.Store.GetUser(t.Context(), e.user.TenantID, e.user.ID)
				if err != nil {
					t.Fatal(err)
				}
				u.Status = gatehouse.StatusDisabled
				if err := e.s.Store.UpdateUser(t.Context(), u); err != nil {
					t.Fatal(err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			c := e.s.MustClient(t, e.tenant.ID, func(c *gatehouse.Client) {
				c.GrantTypes = []string{"authorization_code", "refresh_token"}
			})
			ts := e.mustLogin(t, c, codeOpts{})
			for range 2 {
				if res := e.userinfo(t, ts.AccessToken); res.status != http.StatusOK {
					t.Fatalf("userinfo before the change: got %d, want 200: %s", res.status, res.raw)
				}
				wantActive(t, e.introspect(t, c, ts.AccessToken), true)
			}
			tt.change(t, e, c, ts)
			wantError(t, e.userinfo(t, ts.AccessToken), http.StatusUnauthorized, "invalid_token")
			wantActive(t, e.introspect(t, c, ts.AccessToken), false)
		})
	}
}

// TestVerifiedTokenOtherIssuer presents a token verified at the platform
// issuer to a tenant issuer: the remembered verification must not carry
// over to another issuer.
func TestVerifiedTokenOtherIssuer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.s.MustClient(t, e.tenant.ID, nil)
	ts := e.mustLogin(t, c, codeOpts{})
	if res := e.userinfo(t, ts.AccessToken); res.status != http.StatusOK {
		t.Fatalf("userinfo at the platform issuer: got %d, want 200: %s", res.status, res.raw)
	}
	req, err := http.NewRequest(http.MethodGet, e.s.URL+"/t/"+e.tenant.Slug+"/oauth/userinfo", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+ts.AccessToken)
	wantError(t, do(t, req), http.StatusUnauthorized, "invalid_token")
}
