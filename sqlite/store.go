package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/cache"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Options tune a Store. The zero value is ready to use.
type Options struct {
	// ReadConns bounds the read pool; 0 means 4.
	ReadConns int
	// Clock supplies the time the store fills in (CreatedAt, UpdatedAt);
	// nil means time.Now. Methods that take a time use that time instead.
	Clock gatehouse.Clock
}

// writerCacheKiB is the writer connection's page cache.
const writerCacheKiB = 32 << 10

// busyTimeout is how long a connection waits for another process's lock
// (a CLI command next to a running server) before SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// Store is the SQLite implementation of gatehouse.Store. It is safe for
// concurrent use.
//
// Writes go through a pool of exactly one connection, so writers of this
// process queue in Go rather than spin on SQLite's lock, and every write
// transaction begins IMMEDIATE, so it never has to be retried after
// reading. Reads use a separate pool of query-only connections; WAL lets
// them run beside the writer.
type Store struct {
	w, r *sql.DB
	// ck is the connection of the checkpointer (checkpoint.go).
	ck     *sql.DB
	clock  gatehouse.Clock
	wstmts stmtCache
	rstmts stmtCache
	// clients, users and revocations cache GetClientByClientID, GetUser
	// and AccessTokenRevoked. The watcher keeps all three in step with
	// other processes (watch.go).
	clients     cache.Clients
	users       cache.Users
	revocations cache.Revocations
	watch       watcher
	// writes combines concurrent write transactions into one (writer.go).
	writes *combiner
	// stopCheckpoints ends the checkpointer, which closes
	// checkpointsDone.
	stopCheckpoints, checkpointsDone chan struct{}
	stopOnce                         sync.Once
}

var _ gatehouse.Store = (*Store)(nil)

// Open opens (creating when needed) the database file at path and its
// directory, private to the current user. It does not change the schema:
// call Migrate before serving.
func Open(ctx context.Context, path string, opt Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: open: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: create database directory: %w", err)
	}
	// Create the file ourselves so that it is private; SQLite gives the
	// -wal and -shm files the same permissions.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: create database file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("sqlite: create database file: %w", err)
	}

	w, err := sql.Open("sqlite", dsn(abs, true))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open writer: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// The writer connects first: it switches the file to WAL, which the
	// query-only readers could not do.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: connect writer: %w", err)
	}

	n := opt.ReadConns
	if n <= 0 {
		n = 4
	}
	r, err := sql.Open("sqlite", dsn(abs, false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open readers: %w", err)
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxLifetime(0)
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("sqlite: connect reader: %w", err)
	}

	clock := opt.Clock
	if clock == nil {
		clock = time.Now
	}
	// The checkpointer's own connection, so that copying the WAL into the
	// database never waits for, or holds up, a reader.
	ck, err := sql.Open("sqlite", dsn(abs, false))
	if err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("sqlite: open checkpointer: %w", err)
	}
	ck.SetMaxOpenConns(1)
	ck.SetMaxIdleConns(1)
	ck.SetConnMaxLifetime(0)
	s := &Store{w: w, r: r, ck: ck, clock: clock, writes: newCombiner(), stopCheckpoints: make(chan struct{}),
		checkpointsDone: make(chan struct{})}
	s.wstmts.db = w
	s.rstmts.db = r
	go s.runWrites()
	go s.runCheckpoints()
	return s, nil
}

// dsn builds the driver's connection string. Pragmas are DSN parameters so
// that every connection the pools open gets them, not only the first.
func dsn(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Statement journals (a statement inside a transaction that may have
	// to be undone alone) and temporary indexes stay in memory rather
	// than in files written with a system call per page.
	q.Add("_pragma", "temp_store(MEMORY)")
	if writer {
		q.Add("_pragma", "journal_mode(WAL)")
		// The checkpointer copies the WAL into the database in the
		// background (checkpoint.go); the writer checkpoints itself only
		// if the WAL grows this large, as a backstop.
		q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", backstopCheckpointPages))
		// Every write reads the B-tree pages on its way (refresh tokens are
		// keyed by a random hash, so all over the table): a page cache of
		// writerCacheKiB rather than SQLite's 2 MiB saves a read system
		// call for most of them once the tables outgrow 2 MiB. It fills
		// only as pages are read.
		q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", writerCacheKiB))
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	return u.String()
}

// Ping checks that a read connection answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Close releases the prepared statements and both pools.
func (s *Store) Close() error {
	s.stopWatcher()
	s.stopWrites()
	s.stopOnce.Do(func() { close(s.stopCheckpoints) })
	<-s.checkpointsDone
	return errors.Join(s.wstmts.close(), s.rstmts.close(), s.ck.Close(), s.r.Close(), s.w.Close())
}

// now returns the store's clock in the precision rows keep.
func (s *Store) now() time.Time { return s.clock().UTC().Truncate(time.Microsecond) }

// read runs fn in one read transaction, for reads that take several
// statements and must see one snapshot.
func (s *Store) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin read transaction: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

// stmtCache keeps the statements of the hot paths prepared on one pool.
// Writer statements must be fetched before the write transaction begins
// (see Store.write) and bound to it with tx.StmtContext.
type stmtCache struct {
	db *sql.DB
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.RLock()
	st, ok := c.m[query]
	c.mu.RUnlock()
	if ok {
		return st, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	if c.m == nil {
		c.m = make(map[string]*sql.Stmt)
	}
	c.m[query] = st
	return st, nil
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, st := range c.m {
		errs = append(errs, st.Close())
	}
	c.m = nil
	return errors.Join(errs...)
}

// conflicts names, for the unique constraints an operation can hit, the
// message a caller may show: the key is the constraint's "table.column" as
// SQLite reports it.
type conflicts map[string]string

// fail prefixes err with the operation and, for driver errors that mean
// something to callers, wraps a *gatehouse.Error with a safe message in
// front of the driver's text (which stays for the log). notFound is the
// message for a failed foreign key: a missing parent row.
func fail(op string, err error, notFound string, c conflicts) error {
	if err == nil {
		return nil
	}
	var ge *gatehouse.Error
	if errors.As(err, &ge) {
		return fmt.Errorf("%s: %w", op, err)
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return fmt.Errorf("%s: %w", op, err)
	}
	var code, msg string
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		code, msg = gatehouse.ECONFLICT, "already exists"
		for k, m := range c {
			if strings.Contains(se.Error(), k) {
				msg = m
				break
			}
		}
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		code, msg = gatehouse.ENOTFOUND, notFound
		if msg == "" {
			msg = "a referenced row does not exist"
		}
	case sqlite3.SQLITE_CONSTRAINT_NOTNULL:
		code, msg = gatehouse.EINVALID, "a required value is missing"
	case sqlite3.SQLITE_CONSTRAINT_CHECK:
		code, msg = gatehouse.EINVALID, "a value is out of range"
	default:
		if se.Code()&0xff == sqlite3.SQLITE_BUSY {
			code, msg = gatehouse.EUNAVAILABLE, "the database is busy"
		} else {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	return fmt.Errorf("%s: %w (%v)", op, &gatehouse.Error{Code: code, Message: msg}, se)
}

// notFound returns an ENOTFOUND error with a safe message.
func notFound(format string, args ...any) error {
	return gatehouse.Errorf(gatehouse.ENOTFOUND, format, args...)
}

// noRows turns sql.ErrNoRows into ENOTFOUND with msg.
func noRows(err error, msg string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("%s", msg)
	}
	return err
}

// affected returns ENOTFOUND with msg when res changed no row.
func affected(res sql.Result, err error, msg string) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("%s", msg)
	}
	return nil
}

// revisionMiss explains an update that matched no row: ECONFLICT when the
// row exists (its revision moved on), ENOTFOUND when it is gone.
func revisionMiss(ctx context.Context, tx *sql.Tx, what, query string, args ...any) error {
	var one int
	err := tx.QueryRowContext(ctx, query, args...).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return notFound("%s not found", what)
	case err != nil:
		return err
	}
	return gatehouse.Errorf(gatehouse.ECONFLICT, "%s was changed by someone else; reload it and try again", what)
}

// errRow is a row whose statement could not be prepared.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// queryRow runs a fixed single-row query as a prepared statement of the
// read pool. Only constant query texts go through it: the statement cache
// keeps one entry per text.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) scanner {
	st, err := s.rstmts.get(ctx, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// exec runs a fixed statement as a prepared statement of the writer, as a
// write of its own (Store.write, which may combine it with others). It
// must not be called inside Store.write; only constant query texts go
// through it.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := s.wstmts.get(ctx, query)
	if err != nil {
		return nil, err
	}
	var res sql.Result
	err = s.write(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = tx.StmtContext(ctx, st).ExecContext(ctx, args...)
		return err
	})
	return res, err
}
