package token

import (
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/keys"
)

func benchIDClaims() IDClaims {
	return IDClaims{
		Issuer: testIssuer, Subject: "0193a5b0-7c1e-7d2a-9f00-3b8c7c0e5a11", Audience: testClient,
		Expiry: t0.Add(time.Hour), AuthTime: t0.Add(-time.Minute), Nonce: "n-0S6_WzA2Mj",
		AtHash: "77QmUPtjPfzWtF2AnpK9RQ", SessionID: "s-1", AMR: []string{"pwd"},
		Extra: map[string]any{"email": "ada@example.com", "email_verified": true, "name": "Ada Lovelace",
			"tenant_id": "t-1", "roles": []string{"admin"}},
	}
}

func benchAccessClaims() AccessClaims {
	return AccessClaims{
		Issuer: testIssuer, Subject: "0193a5b0-7c1e-7d2a-9f00-3b8c7c0e5a11", Audience: []string{testAudience},
		ClientID: testClient, Scope: "openid profile email offline_access", GrantID: "g-1", TenantID: "t-1",
		Expiry: t0.Add(time.Hour), AuthTime: t0.Add(-time.Minute), AMR: []string{"pwd"},
	}
}

func BenchmarkIDToken(b *testing.B) {
	tok := newTokens("")
	c := benchIDClaims()
	for _, alg := range keys.Algorithms() {
		b.Run(alg, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tok.IDToken(c, alg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAccessToken(b *testing.B) {
	tok := newTokens("")
	c := benchAccessClaims()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tok.AccessToken(c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyAccessToken(b *testing.B) {
	tok := newTokens("")
	raw, err := tok.AccessToken(benchAccessClaims())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tok.VerifyAccessToken(raw, testIssuer, testAudience); err != nil {
			b.Fatal(err)
		}
	}
}
