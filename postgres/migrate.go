package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one embedded schema change.
type migration struct {
	Version    string // the file name without ".sql", e.g. "0001_init"
	Statements []string
}

var migrationName = regexp.MustCompile(`^[0-9]{4}_[a-z0-9_]+\.sql$`)

// migrations returns the embedded migrations in the order they apply,
// each split into its statements.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: read migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		if !migrationName.MatchString(e.Name()) {
			return nil, fmt.Errorf("postgres: migration %q is not named NNNN_name.sql", e.Name())
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("postgres: read migration %s: %w", e.Name(), err)
		}
		stmts, err := splitStatements(string(b))
		if err != nil {
			return nil, fmt.Errorf("postgres: migration %s: %w", e.Name(), err)
		}
		out = append(out, migration{Version: strings.TrimSuffix(e.Name(), ".sql"), Statements: stmts})
	}
	// fs.ReadDir sorts by name, and the names start with fixed-width numbers.
	for i := 1; i < len(out); i++ {
		if out[i].Version[:4] == out[i-1].Version[:4] {
			return nil, fmt.Errorf("postgres: migrations %s and %s share a number", out[i-1].Version, out[i].Version)
		}
	}
	return out, nil
}

// migrationLockID is the first key of the advisory lock that serializes
// Migrate; the second is derived from the schema, so that deployments in
// different schemas of one database do not wait for each other.
const migrationLockID = 0x67617465 // "gate"

// Migrate brings the schema up to date: it applies, in order, every
// embedded migration not yet recorded in schema_migrations, each in its own
// transaction together with its record, and returns the versions it
// applied (none when the schema was current). Several nodes may call it at
// once: a session-level advisory lock makes them take turns, and each
// reads what is applied only once it holds the lock.
func (s *Store) Migrate(ctx context.Context) (applied []string, err error) {
	all, err := migrations()
	if err != nil {
		return nil, err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, dbError("migrate", err)
	}
	defer conn.Release()
	c := conn.Conn()

	var lockKey int32
	if err := c.QueryRow(ctx, "SELECT coalesce(hashtext(current_schema()), 0)").Scan(&lockKey); err != nil {
		return nil, dbError("migrate: read schema", err)
	}
	if _, err := c.Exec(ctx, "SELECT pg_advisory_lock($1, $2)", int32(migrationLockID), lockKey); err != nil {
		return nil, dbError("migrate: lock", err)
	}
	defer func() {
		// Unlock even when ctx is done; if that fails too, closing the
		// connection releases the lock.
		uctx := context.WithoutCancel(ctx)
		if _, uerr := c.Exec(uctx, "SELECT pg_advisory_unlock($1, $2)", int32(migrationLockID), lockKey); uerr != nil {
			_ = conn.Hijack().Close(uctx)
		}
	}()

	if err := execExtended(ctx, c, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    text        PRIMARY KEY,
		applied_at timestamptz NOT NULL
	)`); err != nil {
		return nil, dbError("migrate: create schema_migrations", err)
	}
	done := map[string]bool{}
	rows, err := c.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, dbError("migrate: read versions", err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, dbError("migrate: read versions", err)
	}
	for _, v := range versions {
		done[v] = true
	}

	for _, m := range all {
		if done[m.Version] {
			continue
		}
		err := pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
			for i, stmt := range m.Statements {
				if err := execExtended(ctx, tx.Conn(), stmt); err != nil {
					return fmt.Errorf("statement %d: %w", i+1, err)
				}
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
				m.Version, ts(s.now()))
			return err
		})
		if err != nil {
			return applied, dbError("migrate "+m.Version, err)
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
}

// splitStatements splits a migration into its statements at the
// semicolons that end them, skipping those inside quotes, quoted
// identifiers, comments and dollar-quoted bodies. Each statement then runs
// on its own over the extended protocol, which takes one statement at a
// time.
func splitStatements(sql string) ([]string, error) {
	var out []string
	start := 0
	flush := func(end int) {
		if stmt := strings.TrimSpace(sql[start:end]); stmt != "" && !onlyComments(stmt) {
			out = append(out, stmt)
		}
		start = end + 1
	}
	for i := 0; i < len(sql); i++ {
		switch c := sql[i]; {
		case c == ';':
			flush(i)
		case c == '\'' || c == '"':
			j := strings.IndexByte(sql[i+1:], c)
			if j < 0 {
				return nil, fmt.Errorf("unterminated %c quote", c)
			}
			// A doubled quote inside is an escaped one: the scan resumes
			// right after it and finds the next quote as a new opening.
			i += j + 1
		case c == '-' && strings.HasPrefix(sql[i:], "--"):
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				i = len(sql)
			} else {
				i += j
			}
		case c == '/' && strings.HasPrefix(sql[i:], "/*"):
			j := strings.Index(sql[i+2:], "*/")
			if j < 0 {
				return nil, fmt.Errorf("unterminated block comment")
			}
			i += j + 3
		case c == '$':
			tag := dollarTag(sql[i:])
			if tag == "" {
				continue
			}
			j := strings.Index(sql[i+len(tag):], tag)
			if j < 0 {
				return nil, fmt.Errorf("unterminated %s quote", tag)
			}
			i += len(tag) + j + len(tag) - 1
		}
	}
	flush(len(sql))
	return out, nil
}

var dollarTagPattern = regexp.MustCompile(`^\$[A-Za-z_]*\$`)

// dollarTag returns the dollar-quote opener at the start of s ("$$",
// "$body$"), or "" when s starts with something else, such as $1.
func dollarTag(s string) string { return dollarTagPattern.FindString(s) }

// onlyComments reports whether stmt holds nothing but line comments.
func onlyComments(stmt string) bool {
	return !slices.ContainsFunc(strings.Split(stmt, "\n"), func(line string) bool {
		line = strings.TrimSpace(line)
		return line != "" && !strings.HasPrefix(line, "--")
	})
}
