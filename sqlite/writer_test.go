package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// TestCombinedWrites runs many writes at once, some of which fail, and
// checks that each got its own outcome: a failed write left nothing
// behind, every other write is there, whichever transaction it shared.
func TestCombinedWrites(t *testing.T) {
	t.Parallel()
	s := openMigrated(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	ctx := t.Context()
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE combined (k TEXT PRIMARY KEY, step INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO combined (k, step) VALUES ('taken', 0)`); err != nil {
		t.Fatal(err)
	}
	errWanted := errors.New("refused on purpose")
	const n = 200
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.write(ctx, func(tx *sql.Tx) error {
				// Two statements, so that a failure after the first must
				// undo it.
				if _, err := tx.ExecContext(ctx, `INSERT INTO combined (k, step) VALUES (?, 1)`, fmt.Sprint(i)); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `UPDATE combined SET step = 2 WHERE k = ?`, fmt.Sprint(i)); err != nil {
					return err
				}
				switch i % 10 {
				case 3:
					return errWanted
				case 7:
					// A constraint failure.
					_, err := tx.ExecContext(ctx, `INSERT INTO combined (k, step) VALUES ('taken', 3)`)
					return err
				}
				return nil
			})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		var got int
		qerr := s.r.QueryRowContext(ctx, `SELECT step FROM combined WHERE k = ?`, fmt.Sprint(i)).Scan(&got)
		switch i % 10 {
		case 3, 7:
			if err == nil {
				t.Errorf("write %d: got no error, want one", i)
			}
			if i%10 == 3 && !errors.Is(err, errWanted) {
				t.Errorf("write %d: got %v, want its own error", i, err)
			}
			if !errors.Is(qerr, sql.ErrNoRows) {
				t.Errorf("write %d failed but left step %d behind", i, got)
			}
		default:
			if err != nil {
				t.Errorf("write %d: %v", i, err)
			}
			if qerr != nil || got != 2 {
				t.Errorf("write %d: got step %d (%v), want 2", i, got, qerr)
			}
		}
	}
}

// TestCombinedWritePanics checks that a write that panics panics in its
// caller's goroutine, as it would without combining, and that the store
// goes on writing.
func TestCombinedWritePanics(t *testing.T) {
	t.Parallel()
	s := openMigrated(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	ctx := t.Context()
	got := func() (p any) {
		defer func() { p = recover() }()
		s.write(ctx, func(*sql.Tx) error { panic("boom") })
		return nil
	}()
	if got != "boom" {
		t.Fatalf("recovered %v, want the write's own panic", got)
	}
	if err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE after_panic (x)`)
		return err
	}); err != nil {
		t.Fatalf("a write after the panic: %v", err)
	}
}

// TestWriteAfterClose checks that a closed store refuses writes rather
// than waiting forever.
func TestWriteAfterClose(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "gatehouse.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.write(context.Background(), func(*sql.Tx) error { return nil }); !errors.Is(err, errStoreClosed) {
		t.Errorf("write after Close: got %v, want errStoreClosed", err)
	}
}
