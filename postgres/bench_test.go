package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// The benchmarks measure the token endpoint's store calls on the hot path
// against a real server (GATEHOUSE_TEST_POSTGRES_DSN), one caller at a
// time: what they report is mostly round trips, so run them next to the
// server for numbers that mean something.

func BenchmarkRedeemAuthCode(b *testing.B) {
	s := newTestStore(b)
	f := newFixture(b, s)
	ctx := context.Background()
	hashes := make([][]byte, b.N)
	for i := range hashes {
		_, code := f.authCode(testNow)
		if err := s.CreateAuthCode(ctx, code); err != nil {
			b.Fatal(err)
		}
		hashes[i] = code.Hash
	}
	issue := func(c *gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error) {
		g := f.grant(testNow)
		g.ID = c.GrantID
		return g, f.refreshToken(g, testNow), nil
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.RedeemAuthCode(ctx, hashes[i], testNow, issue); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRotateRefreshToken(b *testing.B) {
	s := newTestStore(b)
	f := newFixture(b, s)
	ctx := context.Background()
	g := f.grant(testNow)
	if err := s.CreateGrant(ctx, g); err != nil {
		b.Fatal(err)
	}
	rt := f.refreshToken(g, testNow)
	if err := s.CreateRefreshToken(ctx, rt); err != nil {
		b.Fatal(err)
	}
	// Each rotation spends the token the previous one issued, as a client
	// refreshing again and again does.
	current := rt.Hash
	issue := func(old *gatehouse.RefreshToken) (*gatehouse.RefreshToken, error) {
		n := f.refreshToken(g, testNow)
		current = n.Hash
		return n, nil
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := s.RotateRefreshToken(ctx, current, testNow.Add(time.Second), issue); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAccessTokenRevoked(b *testing.B) {
	s := newTestStore(b)
	f := newFixture(b, s)
	ctx := context.Background()
	g := f.grant(testNow)
	if err := s.CreateGrant(ctx, g); err != nil {
		b.Fatal(err)
	}
	// A table with some revocations in it, and a lookup that finds none:
	// the common case.
	for range 1000 {
		if err := s.RevokeAccessToken(ctx, &gatehouse.RevokedToken{TenantID: f.tenant.ID, JTI: secret.NewID(),
			ExpiresAt: testNow.Add(time.Hour)}); err != nil {
			b.Fatal(err)
		}
	}
	jti := secret.NewID()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		revoked, err := s.AccessTokenRevoked(ctx, jti, g.ID)
		if err != nil || revoked {
			b.Fatalf("AccessTokenRevoked: got %v, %v, want false, nil", revoked, err)
		}
	}
}

func BenchmarkGetClientByClientID(b *testing.B) {
	s := newTestStore(b)
	f := newFixture(b, s)
	ctx := context.Background()
	// A second credential, as during a secret rotation.
	if err := s.AddClientCredential(ctx, &gatehouse.ClientCredential{TenantID: f.tenant.ID, Client: f.client.ID,
		ClientID: f.client.Credentials[0].ClientID + "-2", SecretHash: secret.Hash("new")}, time.Time{}); err != nil {
		b.Fatal(err)
	}
	clientID := f.client.Credentials[0].ClientID
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		c, err := s.GetClientByClientID(ctx, clientID)
		if err != nil || len(c.Credentials) != 2 {
			b.Fatalf("GetClientByClientID: got %v, %v, want the client with 2 credentials", c, err)
		}
	}
}
