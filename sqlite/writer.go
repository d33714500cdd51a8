package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// Group commit. SQLite has one writer at a time, and a write transaction
// costs a fixed amount besides its statements: BEGIN, and a COMMIT that
// appends every page it changed to the WAL with a system call each. With
// one transaction per refresh rotation or code exchange, that fixed part
// was about half of each, on the one connection every write waits for.
//
// So writes are combined: Store.write hands its function to the combiner,
// a goroutine that owns the writer connection's turns. It takes every
// write waiting, runs them one after another in one transaction, each
// inside a savepoint of its own, and commits once. A function that fails
// is rolled back to its savepoint and gets its error; the others are
// unaffected. Every caller returns only after the commit that made its
// write durable (or failed), so a write is never reported before it is
// on disk, and reads that follow it see it. A lone write runs as before:
// a transaction of its own, no savepoint.

// maxWriteBatch bounds the writes combined into one transaction, so that
// no transaction holds the file's write lock for long.
const maxWriteBatch = 64

// errStoreClosed is returned for writes attempted after Close.
var errStoreClosed = errors.New("sqlite: store closed")

// writeJob is one caller's write.
type writeJob struct {
	ctx context.Context
	fn  func(tx *sql.Tx) error
	err error
	// panicked holds what fn panicked with, to be raised again in the
	// caller's goroutine.
	panicked any
	done     chan struct{}
}

// combiner queues writes for the goroutine that runs them.
type combiner struct {
	mu      sync.Mutex
	queue   []*writeJob
	wake    chan struct{} // has room for one: a wake-up pending
	closed  bool
	stopped chan struct{}
}

func newCombiner() *combiner {
	return &combiner{wake: make(chan struct{}, 1), stopped: make(chan struct{})}
}

// write runs fn in a write transaction, combined with the writes of other
// callers (see above), and returns fn's error or the transaction's. fn
// must use only tx: reaching for s.w, or preparing a writer statement,
// inside fn would wait forever for the connection tx holds. fn must be
// quick: other writes wait for it.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	c := s.writes
	j := &writeJob{ctx: ctx, fn: fn, done: make(chan struct{})}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errStoreClosed
	}
	c.queue = append(c.queue, j)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	// Once queued, the job is waited for even when ctx ends: the
	// combiner skips it if it has not started, and a write that started
	// must be reported as what it did.
	<-j.done
	if j.panicked != nil {
		panic(j.panicked)
	}
	return j.err
}

// runWrites is the combiner's goroutine: it runs what is queued, a batch
// at a time, until the store closes and the queue is empty.
func (s *Store) runWrites() {
	c := s.writes
	defer close(c.stopped)
	for {
		c.mu.Lock()
		n := min(len(c.queue), maxWriteBatch)
		batch := c.queue[:n:n]
		c.queue = c.queue[n:]
		if len(c.queue) == 0 {
			// Let the backing array go rather than grow forever.
			c.queue = nil
		}
		closed := c.closed
		c.mu.Unlock()
		if len(batch) > 0 {
			s.runBatch(batch)
			continue
		}
		if closed {
			return
		}
		<-c.wake
	}
}

// stopWrites refuses new writes, lets the combiner finish what is queued,
// and waits for it.
func (s *Store) stopWrites() {
	c := s.writes
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	<-c.stopped
}

// Savepoint statements around each write of a combined transaction.
const (
	qSavepoint  = `SAVEPOINT write`
	qRelease    = `RELEASE write`
	qRollbackTo = `ROLLBACK TO write`
)

// runBatch runs the jobs in one transaction and reports to each.
func (s *Store) runBatch(batch []*writeJob) {
	defer func() {
		for _, j := range batch {
			close(j.done)
		}
	}()
	// Jobs whose caller gave up before they started are skipped.
	live := batch[:0:0]
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.err = fmt.Errorf("begin write transaction: %w", err)
			continue
		}
		live = append(live, j)
	}
	if len(live) == 0 {
		return
	}
	ctx := context.WithoutCancel(live[0].ctx)
	var sp [3]*sql.Stmt
	if len(live) > 1 {
		for i, q := range []string{qSavepoint, qRelease, qRollbackTo} {
			st, err := s.wstmts.get(ctx, q)
			if err != nil {
				failAll(live, fmt.Errorf("begin write transaction: %w", err))
				return
			}
			sp[i] = st
		}
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		failAll(live, fmt.Errorf("begin write transaction: %w", err))
		return
	}
	defer tx.Rollback()
	if len(live) == 1 {
		j := live[0]
		if j.err = runJob(j, tx); j.err != nil {
			return
		}
		if err := tx.Commit(); err != nil {
			j.err = fmt.Errorf("commit: %w", err)
		}
		return
	}
	savepoint, release, rollbackTo := tx.StmtContext(ctx, sp[0]), tx.StmtContext(ctx, sp[1]), tx.StmtContext(ctx, sp[2])
	var wrote []*writeJob
	for _, j := range live {
		if _, err := savepoint.ExecContext(ctx); err != nil {
			failAll(live, fmt.Errorf("begin write: %w", err))
			return
		}
		if j.err = runJob(j, tx); j.err != nil {
			// Undo this write alone; if even that fails, the transaction
			// is in no state to commit anyone's.
			if _, err := rollbackTo.ExecContext(ctx); err != nil {
				failAll(live, fmt.Errorf("roll back a write: %w", err))
				return
			}
		}
		if _, err := release.ExecContext(ctx); err != nil {
			failAll(live, fmt.Errorf("end a write: %w", err))
			return
		}
		if j.err == nil {
			wrote = append(wrote, j)
		}
	}
	if len(wrote) == 0 {
		return
	}
	if err := tx.Commit(); err != nil {
		failAll(wrote, fmt.Errorf("commit: %w", err))
	}
}

// runJob runs a job's function with tx, turning a panic into an error
// here and a panic again in the caller's goroutine (write).
func runJob(j *writeJob, tx *sql.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			j.panicked = p
			err = fmt.Errorf("write panicked: %v", p)
		}
	}()
	return j.fn(tx)
}

// failAll gives every job err, keeping a panic to be raised again.
func failAll(jobs []*writeJob, err error) {
	for _, j := range jobs {
		j.err = err
	}
}
