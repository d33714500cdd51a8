package sqlite

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// TestPragmas checks that every connection of both pools got the settings
// the store relies on, by asking SQLite itself.
func TestPragmas(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "p.db")
	s, err := Open(ctx, path, Options{ReadConns: 2})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}

	// Hold one reader connection so the next query opens another: the
	// pragmas must reach connections opened later too.
	held, err := s.r.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()

	tests := []struct {
		pool   string
		pragma string
		want   string
	}{
		{"writer", "journal_mode", "wal"},
		{"writer", "foreign_keys", "1"},
		{"writer", "busy_timeout", "10000"},
		{"writer", "synchronous", "1"}, // NORMAL
		{"writer", "query_only", "0"},
		{"writer", "temp_store", "2"}, // MEMORY
		{"writer", "wal_autocheckpoint", "10000"},
		{"writer", "cache_size", "-32768"},
		{"reader", "journal_mode", "wal"},
		{"reader", "foreign_keys", "1"},
		{"reader", "busy_timeout", "10000"},
		{"reader", "query_only", "1"},
	}
	for _, tt := range tests {
		db := s.w
		if tt.pool == "reader" {
			db = s.r
		}
		var got string
		if err := db.QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
			t.Fatalf("%s PRAGMA %s: %v", tt.pool, tt.pragma, err)
		}
		if !strings.EqualFold(got, tt.want) {
			t.Errorf("%s PRAGMA %s: got %q, want %q", tt.pool, tt.pragma, got, tt.want)
		}
	}

	// Foreign keys are enforced, not only switched on.
	_, err = s.w.ExecContext(ctx, `INSERT INTO users (id, tenant_id, username, email, email_verified, name, picture,
		password_hash, status, created_at, updated_at, revision) VALUES ('u', 'no-such-tenant', 'x', '', 0, '', '', '',
		'active', 1, 1, 1)`)
	if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Errorf("insert with a missing parent: got %v, want a FOREIGN KEY failure", err)
	}
	// The read pool refuses writes.
	if _, err := s.r.ExecContext(ctx, `DELETE FROM tenants`); err == nil {
		t.Error("write through the read pool: got nil, want an error")
	}
	// Write transactions take the write lock at BEGIN (IMMEDIATE): while
	// one is open, even before it writes, another connection cannot begin
	// a write.
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetMaxOpenConns(1)
	if _, err := other.ExecContext(ctx, "BEGIN IMMEDIATE"); err == nil {
		t.Error("BEGIN IMMEDIATE beside an open write transaction: got nil, want SQLITE_BUSY")
		other.ExecContext(ctx, "ROLLBACK")
	}
}
