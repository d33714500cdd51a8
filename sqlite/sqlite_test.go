package sqlite_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"testing"

	gatehouse "github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/sqlite"
	"github.com/gatehouse-id/gatehouse/storetest"
)

// newStore opens a migrated store on a fresh file in the test's temporary
// directory and closes it when the test ends.
func newStore(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gatehouse.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) gatehouse.Store { return newStore(t) })
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "nested", "dir", "gatehouse.db")
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()

	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if len(applied) == 0 || applied[0] != "0001_init.sql" {
		t.Fatalf("first Migrate: got applied %q, want 0001_init.sql first", applied)
	}
	if !slices.IsSorted(applied) {
		t.Errorf("first Migrate: got %q, want migrations in order", applied)
	}
	again, err := s.Migrate(ctx)
	if err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if len(again) != 0 {
		t.Errorf("second Migrate: got applied %q, want nothing", again)
	}

	// A second process opening the same file finds the schema current.
	other, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open again: %v", err)
	}
	defer other.Close()
	if again, err := other.Migrate(ctx); err != nil || len(again) != 0 {
		t.Errorf("Migrate from a second store: got %q, %v; want nothing applied", again, err)
	}
	if err := other.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}

	// The directory and the file are private.
	for _, p := range []string{filepath.Dir(path), path} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s: got mode %v, want no access for group or others", filepath.Base(p), perm)
		}
	}
}

// TestMigrateNewerSchema checks that a binary refuses a database that a
// newer one migrated.
func TestMigrateNewerSchema(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	if applied, err := s.Migrate(ctx); err == nil {
		t.Errorf("Migrate of a newer schema: got applied %q and no error, want an error", applied)
	}
}

func TestOpenEmptyPath(t *testing.T) {
	t.Parallel()
	if _, err := sqlite.Open(t.Context(), "", sqlite.Options{}); err == nil {
		t.Error("Open with an empty path: got nil, want an error")
	}
}
