package sqlite

import (
	"path/filepath"
	"testing"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/storetest"
)

// TestMigrateRefreshTokensRowid writes refresh tokens under the schema
// before migration 0013 (refresh_tokens WITHOUT ROWID) and checks that
// the rebuild keeps every row, in every state, and leaves a table that
// rotation and the grant's cascade still work on.
func TestMigrateRefreshTokensRowid(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "gatehouse.db"), Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.migrate(ctx, 12); err != nil {
		t.Fatalf("migrate to 12: %v", err)
	}
	var hasRowid int
	if err := s.w.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_list WHERE name = 'refresh_tokens' AND wr = 0`).
		Scan(&hasRowid); err != nil {
		t.Fatal(err)
	}
	if hasRowid != 0 {
		t.Fatal("before 0013: refresh_tokens is a rowid table; the test no longer starts from the old schema")
	}

	tn := storetest.MustTenant(t, s, "old")
	u := storetest.MustUser(t, s, tn.ID, "ana")
	c := storetest.MustClient(t, s, tn.ID)
	now := time.Now().UTC().Truncate(time.Microsecond)
	g := storetest.MustGrant(t, s, c, u.ID, now)
	live, _ := storetest.MustRefreshToken(t, s, g, now)
	spent, _ := storetest.MustRefreshToken(t, s, g, now)
	revoked, _ := storetest.MustRefreshToken(t, s, g, now)
	if _, err := s.RotateRefreshToken(ctx, spent.Hash, now, func(o *gatehouse.RefreshToken) (*gatehouse.RefreshToken, error) {
		next := *o
		next.Hash = []byte("successor-hash-0123456789abcdef0")
		return &next, nil
	}); err != nil {
		t.Fatalf("RotateRefreshToken before 0013: %v", err)
	}
	if err := s.RevokeRefreshToken(ctx, revoked.Hash, now); err != nil {
		t.Fatalf("RevokeRefreshToken: %v", err)
	}
	before := make(map[string]*gatehouse.RefreshToken)
	for _, h := range [][]byte{live.Hash, spent.Hash, revoked.Hash, []byte("successor-hash-0123456789abcdef0")} {
		rt, err := s.GetRefreshToken(ctx, h)
		if err != nil {
			t.Fatalf("GetRefreshToken before 0013: %v", err)
		}
		before[string(h)] = rt
	}

	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if len(applied) == 0 || applied[0] != "0013_refresh_tokens_rowid.sql" {
		t.Fatalf("Migrate: applied %q, want 0013_refresh_tokens_rowid.sql first", applied)
	}
	if err := s.w.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_list WHERE name = 'refresh_tokens' AND wr = 0`).
		Scan(&hasRowid); err != nil {
		t.Fatal(err)
	}
	if hasRowid != 1 {
		t.Error("after 0013: refresh_tokens is still WITHOUT ROWID")
	}
	for h, want := range before {
		got, err := s.GetRefreshToken(ctx, []byte(h))
		if err != nil {
			t.Fatalf("GetRefreshToken after 0013: %v", err)
		}
		if !got.RotatedAt.Equal(want.RotatedAt) || !got.RevokedAt.Equal(want.RevokedAt) ||
			!got.ExpiresAt.Equal(want.ExpiresAt) || got.GrantID != want.GrantID || got.Client != want.Client ||
			len(got.Scopes) != len(want.Scopes) {
			t.Errorf("token after 0013:\n got %+v\nwant %+v", got, want)
		}
	}

	// The spent token is still spent, the live one rotates.
	_, err = s.RotateRefreshToken(ctx, spent.Hash, now, func(*gatehouse.RefreshToken) (*gatehouse.RefreshToken, error) {
		t.Fatal("issue ran for a spent token")
		return nil, nil
	})
	if !gatehouse.IsCode(err, gatehouse.EUSED) {
		t.Errorf("rotating the spent token after 0013: got %v, want EUSED", err)
	}
	if _, err := s.RotateRefreshToken(ctx, live.Hash, now, func(o *gatehouse.RefreshToken) (*gatehouse.RefreshToken, error) {
		next := *o
		next.Hash = []byte("successor-hash-after-0013-abcdef")
		return &next, nil
	}); err != nil {
		t.Fatalf("rotating the live token after 0013: %v", err)
	}
	// Deleting the grant's client still takes its tokens with it.
	if err := s.DeleteClient(ctx, tn.ID, c.ID); err != nil {
		t.Fatalf("DeleteClient: %v", err)
	}
	var left int
	if err := s.w.QueryRowContext(ctx, `SELECT count(*) FROM refresh_tokens`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("refresh tokens left after their client was deleted: %d", left)
	}
}
