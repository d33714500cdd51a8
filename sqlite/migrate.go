package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strconv"
	"strings"
)

// migrationFiles holds the schema history: NNNN_name.sql, applied in
// numeric order, each once. A released migration is never edited; a change
// is a new file. Each runs in one transaction with foreign keys enforced
// (SQLite cannot switch them off inside a transaction), so a step that
// rebuilds a table must copy its rows before dropping what they reference.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one embedded schema step.
type migration struct {
	version int
	name    string // file name, recorded in schema_migrations
	sql     string
}

// migrations returns the embedded migrations in order, checking that their
// numbers are unique.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("migration %q: name must be NNNN_description.sql", name)
		}
		b, err := migrationFiles.ReadFile("migrations/" + name)
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", name, err)
		}
		out = append(out, migration{version: v, name: name, sql: string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %q and %q share a number", out[i-1].name, out[i].name)
		}
	}
	return out, nil
}

// Migrate applies the embedded migrations that the database has not seen
// yet, each in its own transaction together with its row in
// schema_migrations, and returns the names of those it applied (none when
// the schema is current). Running it again, or from two processes at once,
// is safe: a migration is applied once. It refuses a database migrated by
// a newer binary, whose schema this one does not know.
func (s *Store) Migrate(ctx context.Context) (applied []string, err error) {
	return s.migrate(ctx, math.MaxInt)
}

// migrate is Migrate applying only the migrations numbered up to upTo, so
// that a test can hold data written under an older schema.
func (s *Store) migrate(ctx context.Context, upTo int) (applied []string, err error) {
	ms, err := migrations()
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrate: %w", err)
	}
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return nil, fmt.Errorf("sqlite: migrate: create schema_migrations: %w", err)
	}
	var newest int
	if err := s.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&newest); err != nil {
		return nil, fmt.Errorf("sqlite: migrate: read schema_migrations: %w", err)
	}
	if known := ms[len(ms)-1].version; newest > known {
		return nil, fmt.Errorf("sqlite: migrate: the database has schema version %d, newer than this binary's %d", newest, known)
	}
	for _, m := range ms {
		if m.version > upTo {
			break
		}
		done := false
		err := s.write(ctx, func(tx *sql.Tx) error {
			// Checked inside the IMMEDIATE transaction, so a concurrent
			// Migrate that won the lock is seen.
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM schema_migrations WHERE version = ?`, m.version).Scan(&one)
			if err == nil {
				done = true
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, s.now().UnixMicro())
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("sqlite: migrate %s: %w", m.name, err)
		}
		if !done {
			applied = append(applied, m.name)
		}
	}
	return applied, nil
}
