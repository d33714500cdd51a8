package gatehousetest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// DB is a read-only connection to a server's database, for tests that
// check what a request wrote (or did not write) behind the store's back.
type DB struct {
	db *sql.DB
	// count counts the rows of every table but the audit log in one
	// statement, prepared once: tests call it around every request.
	count *sql.Stmt
	// tables are the tables count covers, in its column order.
	tables []string
}

// auditTable fills on its own, in the background: a request that
// changes nothing may still be audited.
const auditTable = "audit_events"

// MustOpenDB opens a read-only connection to s's SQLite file, closed when
// tb ends.
func (s *Server) MustOpenDB(tb testing.TB) *DB {
	tb.Helper()
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "busy_timeout(5000)")
	db, err := sql.Open("sqlite", "file:"+filepath.Join(s.Dir, "gatehouse.db")+"?"+q.Encode())
	if err != nil {
		tb.Fatalf("open the database read-only: %v", err)
	}
	db.SetMaxOpenConns(1)
	tb.Cleanup(func() { db.Close() })
	ctx := context.Background()
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		tb.Fatalf("list tables: %v", err)
	}
	d := &DB{db: db}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			tb.Fatalf("list tables: %v", err)
		}
		if name != auditTable {
			d.tables = append(d.tables, name)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		tb.Fatalf("list tables: %v", err)
	}
	cols := make([]string, len(d.tables))
	for i, name := range d.tables {
		// The names come from sqlite_master, not from a test's input.
		cols[i] = `(SELECT count(*) FROM "` + name + `")`
	}
	if d.count, err = db.PrepareContext(ctx, "SELECT "+strings.Join(cols, ", ")); err != nil {
		tb.Fatalf("prepare the row count: %v", err)
	}
	return d
}

// RowCounts is how many rows each table holds.
type RowCounts map[string]int64

// MustRowCounts counts the rows of every table but the audit log.
func (d *DB) MustRowCounts(tb testing.TB) RowCounts {
	tb.Helper()
	n := make([]int64, len(d.tables))
	dest := make([]any, len(n))
	for i := range n {
		dest[i] = &n[i]
	}
	if err := d.count.QueryRowContext(context.Background()).Scan(dest...); err != nil {
		tb.Fatalf("count rows: %v", err)
	}
	counts := make(RowCounts, len(n))
	for i, name := range d.tables {
		counts[name] = n[i]
	}
	return counts
}

// Added lists the tables that hold more rows in after than in c, as
// "table: before -> after", in table order; nil when none do. Only
// growth counts: the server's sweeper deletes rows on its own schedule.
func (c RowCounts) Added(after RowCounts) []string {
	var names []string
	for name := range after {
		names = append(names, name)
	}
	slices.Sort(names)
	var out []string
	for _, name := range names {
		if after[name] > c[name] {
			out = append(out, fmt.Sprintf("%s: %d -> %d", name, c[name], after[name]))
		}
	}
	return out
}
