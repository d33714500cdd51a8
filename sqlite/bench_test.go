package sqlite_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/storetest"
)

// The hot paths of the token endpoint, userinfo and introspection, each
// against a real file. Run with: go test -run '^$' -bench . ./sqlite/

func benchWorld(b *testing.B) (*gatehouse.Tenant, *gatehouse.User, *gatehouse.Client, gatehouse.Store) {
	s := newStore(b)
	tn := storetest.MustTenant(b, s, "bench")
	return tn, storetest.MustUser(b, s, tn.ID, "ana"), storetest.MustClient(b, s, tn.ID), s
}

// BenchmarkRedeemAuthCode redeems a fresh code per operation and stores the
// grant and refresh token the exchange issues, as the code grant does.
func BenchmarkRedeemAuthCode(b *testing.B) {
	ctx := b.Context()
	_, u, c, s := benchWorld(b)
	now := time.Now().UTC()
	hashes := make([][]byte, b.N)
	for i := range hashes {
		code := &gatehouse.AuthCode{Hash: secret.Hash(secret.Token(32)), TenantID: c.TenantID, Client: c.ID,
			ClientID: c.Credentials[0].ClientID, UserID: u.ID, GrantID: secret.NewID(), RedirectURI: c.RedirectURIs[0],
			Scopes: []string{"openid", "offline_access"}, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := s.CreateAuthCode(ctx, code); err != nil {
			b.Fatal(err)
		}
		hashes[i] = code.Hash
	}
	issue := func(code *gatehouse.AuthCode) (*gatehouse.Grant, *gatehouse.RefreshToken, error) {
		g := &gatehouse.Grant{ID: code.GrantID, TenantID: code.TenantID, Client: code.Client, UserID: code.UserID,
			Scopes: code.Scopes, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
		rt := &gatehouse.RefreshToken{Hash: secret.Hash(secret.Token(32)), TenantID: g.TenantID, GrantID: g.ID,
			Client: g.Client, UserID: g.UserID, Scopes: g.Scopes, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		return g, rt, nil
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.RedeemAuthCode(ctx, hashes[i], now, issue); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRotateRefreshToken rotates a chain of refresh tokens: each
// operation spends the token the previous one issued.
func BenchmarkRotateRefreshToken(b *testing.B) {
	ctx := b.Context()
	_, u, c, s := benchWorld(b)
	now := time.Now().UTC()
	g := storetest.MustGrant(b, s, c, u.ID, now)
	rt, _ := storetest.MustRefreshToken(b, s, g, now)
	current := rt.Hash
	issue := func(old *gatehouse.RefreshToken) (*gatehouse.RefreshToken, error) {
		next := *old
		next.Hash = secret.Hash(secret.Token(32))
		next.CreatedAt, next.RotatedAt = now, time.Time{}
		current = next.Hash
		return &next, nil
	}
	b.ResetTimer()
	for range b.N {
		if _, err := s.RotateRefreshToken(ctx, current, now, issue); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRotateRefreshTokenParallel rotates 32 chains at once, as
// concurrent refresh requests do, so that writes are combined into shared
// transactions (writer.go).
func BenchmarkRotateRefreshTokenParallel(b *testing.B) {
	ctx := b.Context()
	_, u, c, s := benchWorld(b)
	now := time.Now().UTC()
	var chains sync.Map
	var next atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		id := next.Add(1)
		g := storetest.MustGrant(b, s, c, u.ID, now)
		rt, _ := storetest.MustRefreshToken(b, s, g, now)
		current := rt.Hash
		chains.Store(id, g.ID)
		issue := func(old *gatehouse.RefreshToken) (*gatehouse.RefreshToken, error) {
			next := *old
			next.Hash = secret.Hash(secret.Token(32))
			next.CreatedAt, next.RotatedAt = now, time.Time{}
			current = next.Hash
			return &next, nil
		}
		for pb.Next() {
			if _, err := s.RotateRefreshToken(ctx, current, now, issue); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rotations/s")
}

// BenchmarkAccessTokenRevoked checks an unrevoked token of a live grant
// among a thousand revoked entries, the common case of every userinfo and
// introspection call.
func BenchmarkAccessTokenRevoked(b *testing.B) {
	ctx := b.Context()
	tn, u, c, s := benchWorld(b)
	now := time.Now().UTC()
	for i := range 1000 {
		if err := s.RevokeAccessToken(ctx, &gatehouse.RevokedToken{TenantID: tn.ID, JTI: fmt.Sprintf("jti-%d", i),
			ExpiresAt: now.Add(time.Hour)}); err != nil {
			b.Fatal(err)
		}
	}
	g := storetest.MustGrant(b, s, c, u.ID, now)
	for b.Loop() {
		revoked, err := s.AccessTokenRevoked(ctx, "jti-live", g.ID)
		if err != nil || revoked {
			b.Fatalf("AccessTokenRevoked: got %v, %v; want false", revoked, err)
		}
	}
}

// BenchmarkGetClientByClientID loads a client with its credentials by
// client_id among a hundred clients.
func BenchmarkGetClientByClientID(b *testing.B) {
	ctx := b.Context()
	tn, _, _, s := benchWorld(b)
	var ids []string
	for range 100 {
		ids = append(ids, storetest.MustClient(b, s, tn.ID).Credentials[0].ClientID)
	}
	i := 0
	for b.Loop() {
		c, err := s.GetClientByClientID(ctx, ids[i%len(ids)])
		if err != nil || len(c.Credentials) != 1 {
			b.Fatalf("GetClientByClientID: got %v, %v", c, err)
		}
		i++
	}
}

// BenchmarkAppendAuditEvents appends token.issue events in batches, as the
// audit recorder's group commit does under load, and reports the cost per
// event.
func BenchmarkAppendAuditEvents(b *testing.B) {
	for _, batch := range []int{1, 16, 128} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			ctx := b.Context()
			tn, _, c, s := benchWorld(b)
			clientID := c.Credentials[0].ClientID
			seq := int64(0)
			prev := []byte(nil)
			now := time.Now().UTC().Truncate(time.Microsecond)
			events := make([]*gatehouse.AuditEvent, batch)
			b.ResetTimer()
			for range b.N {
				for i := range events {
					seq++
					h := secret.Hash(fmt.Sprint(seq))
					events[i] = &gatehouse.AuditEvent{TenantID: tn.ID, Seq: seq, ID: secret.NewID(), Time: now,
						Actor: "client:" + clientID, Action: "token.issue", Target: "client:" + clientID,
						Result: gatehouse.ResultSuccess, IP: "127.0.0.1", UserAgent: "wrk",
						Details:  map[string]string{"grant_type": "client_credentials", "client_id": clientID},
						PrevHash: prev, Hash: h}
					prev = h
				}
				if err := s.AppendAuditEvents(ctx, events); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*batch), "µs/event")
		})
	}
}
