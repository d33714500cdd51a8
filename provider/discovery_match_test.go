package provider_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse"
)

// TestDiscoveryMatchesEndpoints checks the metadata against the endpoints
// of a running server: every advertised grant type and authentication
// method works, nothing that works is left out, and every claim a token or
// userinfo carries is in claims_supported.
func TestDiscoveryMatchesEndpoints(t *testing.T) {
	t.Parallel()
	e := newErrorEnv(t)
	all := e.s.MustClient(t, e.tenant.ID, func(c *gatehouse.Client) {
		c.GrantTypes = []string{"authorization_code", "client_credentials", "refresh_token", gatehouse.GrantJWTBearer}
		c.Scopes = e.s.App.Catalog.AvailableNames()
	})
	var doc struct {
		GrantTypes      []string `json:"grant_types_supported"`
		TokenAuth       []string `json:"token_endpoint_auth_methods_supported"`
		RevocationAuth  []string `json:"revocation_endpoint_auth_methods_supported"`
		IntrospectAuth  []string `json:"introspection_endpoint_auth_methods_supported"`
		ClaimsSupported []string `json:"claims_supported"`
		ScopesSupported []string `json:"scopes_supported"`
	}
	req, _ := http.NewRequest(http.MethodGet, e.s.URL+"/.well-known/openid-configuration", nil)
	if err := json.Unmarshal(do(t, req).raw, &doc); err != nil {
		t.Fatal(err)
	}

	t.Run("grant types", func(t *testing.T) {
		want := []string{"authorization_code", "refresh_token", "client_credentials", gatehouse.GrantJWTBearer}
		if !slices.Equal(doc.GrantTypes, want) {
			t.Errorf("grant_types_supported: got %v, want %v", doc.GrantTypes, want)
		}
		for _, g := range append(slices.Clone(doc.GrantTypes), gatehouse.GrantJWTBearer, "password", "implicit") {
			res := post(t, e.s.URL+"/oauth/token", url.Values{"grant_type": {g}}, authOf(all))
			supported := res.str("error") != "unsupported_grant_type"
			if res.status >= 500 {
				t.Errorf("%s: server error %d", g, res.status)
			}
			if supported != slices.Contains(doc.GrantTypes, g) {
				t.Errorf("%s: advertised %t, but the token endpoint answers %s", g, !supported, res.raw)
			}
		}
	})

	// authenticated runs one request per authentication method and
	// reports which methods the endpoint accepted.
	accepted := func(t *testing.T, endpoint string, form func() url.Values) []string {
		t.Helper()
		var ok []string
		for _, m := range []struct {
			name string
			auth clientAuth
		}{
			{"client_secret_basic", clientAuth{id: all.ClientID, secret: all.ClientSecret}},
			{"client_secret_post", clientAuth{id: all.ClientID, secret: all.ClientSecret, post: true}},
			{"none", clientAuth{id: e.pub.ClientID, post: true}},
		} {
			res := post(t, endpoint, form(), m.auth)
			if res.status >= 500 {
				t.Fatalf("%s with %s: server error %s", endpoint, m.name, res.raw)
			}
			if res.status == http.StatusOK {
				ok = append(ok, m.name)
			}
		}
		return ok
	}
	t.Run("token endpoint authentication", func(t *testing.T) {
		got := accepted(t, e.s.URL+"/oauth/token", func() url.Values {
			// A public client can only use a code; confidential ones use
			// client_credentials here.
			return url.Values{"grant_type": {"client_credentials"}}
		})
		v := "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
		code := e.mustCode(t, e.pub, codeOpts{verifier: v})
		if res := post(t, e.s.URL+"/oauth/token", codeForm(code, e.pub.RedirectURIs[0], v), authOf(e.pub)); res.status == 200 {
			got = append(got, "none")
		}
		if !slices.Equal(got, doc.TokenAuth) {
			t.Errorf("token endpoint accepts %v, discovery says %v", got, doc.TokenAuth)
		}
	})
	t.Run("revocation authentication", func(t *testing.T) {
		got := accepted(t, e.s.URL+"/oauth/revoke", func() url.Values { return url.Values{"token": {"bm90LWEtdG9rZW4"}} })
		if !slices.Equal(got, doc.RevocationAuth) {
			t.Errorf("revocation accepts %v, discovery says %v", got, doc.RevocationAuth)
		}
	})
	t.Run("introspection authentication", func(t *testing.T) {
		got := accepted(t, e.s.URL+"/oauth/introspect", func() url.Values { return url.Values{"token": {"bm90LWEtdG9rZW4"}} })
		if !slices.Equal(got, doc.IntrospectAuth) {
			t.Errorf("introspection accepts %v, discovery says %v", got, doc.IntrospectAuth)
		}
	})
	t.Run("claims", func(t *testing.T) {
		ctx := t.Context()
		u, err := e.s.Store.GetUser(ctx, e.tenant.ID, e.user.ID)
		if err != nil {
			t.Fatal(err)
		}
		u.Picture = "https://images.example.com/ana.png"
		if err := e.s.Store.UpdateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		ts := e.mustLogin(t, all, codeOpts{scopes: doc.ScopesSupported, nonce: "n"})
		names := claimNames(t, ts.IDToken)
		info := e.userinfo(t, ts.AccessToken)
		if info.status != 200 {
			t.Fatalf("userinfo: %d %s", info.status, info.raw)
		}
		for k := range info.body {
			names = append(names, k)
		}
		for _, n := range names {
			if !slices.Contains(doc.ClaimsSupported, n) {
				t.Errorf("claim %q is issued but not in claims_supported", n)
			}
		}
		for _, n := range doc.ClaimsSupported {
			if !slices.Contains(names, n) {
				t.Errorf("claims_supported lists %q, which no ID token or userinfo response with every scope carries", n)
			}
		}
	})
}

// claimNames returns the names of the claims in a JWT's payload.
func claimNames(t *testing.T, raw string) []string {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", raw)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	var names []string
	for k := range m {
		names = append(names, k)
	}
	return names
}
