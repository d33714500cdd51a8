package sqlite

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// The Store caches clients by client_id, users by id and the answers of
// AccessTokenRevoked (internal/cache). A change made through this Store
// invalidates the cache it concerns before the method returns. A change
// made by another process on the same file (a CLI command next to the
// running server) moves a counter through triggers: client_changes
// (migration 0002) for clients and credentials, cache_changes (migration
// 0011) for users and revocations. The watcher reads the counters every
// watchInterval and invalidates each cache whose counter moved; while it
// has no reading, the caches serve nothing.

// watchInterval is how often the counters of changes (client_changes,
// cache_changes) are read, and so how long a change made by another
// process on the same file may take to reach this Store's caches.
const watchInterval = time.Second

// qChanges reads every counter in one statement: clients, users,
// revocations.
const qChanges = `SELECT (SELECT n FROM client_changes WHERE id = 1),
	(SELECT n FROM cache_changes WHERE kind = 'users'),
	(SELECT n FROM cache_changes WHERE kind = 'revocations')`

// changes is one reading of the counters.
type changes struct {
	clients, users, revocations int64
}

// watcher runs the goroutine that reads the counters.
type watcher struct {
	// running is set once the goroutine started, so that the lookups
	// that call watchChanges need no lock.
	running atomic.Bool
	// reading reports whether the last reading of the counters
	// succeeded, which is when the caches serve; lookups read it without
	// a lock.
	reading atomic.Bool
	mu      sync.Mutex
	started bool // the watcher goroutine runs
	closed  bool // the store closed: no watcher starts again
	stop    chan struct{}
	done    chan struct{}
	// readMu orders the readings handed to the caches, so that each is
	// compared with the one before; last is the latest, which counts only
	// while reading is set.
	readMu sync.Mutex
	last   changes
}

// readChanges reads the counters.
func (s *Store) readChanges(ctx context.Context) (changes, error) {
	var c changes
	st, err := s.rstmts.get(ctx, qChanges)
	if err != nil {
		return c, err
	}
	err = st.QueryRowContext(ctx).Scan(&c.clients, &c.users, &c.revocations)
	return c, err
}

// pollChanges reads the counters once and hands the reading to the
// caches.
func (s *Store) pollChanges(ctx context.Context) {
	c, err := s.readChanges(ctx)
	s.observe(c, err == nil)
}

// observe hands a reading of the counters (ok false: the reading failed)
// to the caches. A cache whose counter moved is invalidated; a failed
// reading turns every cache off, and the first good one after it turns
// them on, empty, since the changes in between were not counted.
func (s *Store) observe(c changes, ok bool) {
	w := &s.watch
	w.readMu.Lock()
	defer w.readMu.Unlock()
	if !ok || !w.reading.Load() {
		s.clients.SetOn(ok)
		s.users.SetOn(ok)
		s.revocations.SetOn(ok)
	} else {
		if c.clients != w.last.clients {
			s.clients.Invalidate()
		}
		if c.users != w.last.users {
			s.users.Invalidate()
		}
		if c.revocations != w.last.revocations {
			s.revocations.Invalidate()
		}
	}
	w.last = c
	w.reading.Store(ok)
}

// watchChanges makes sure the caches have a reading of the counters and
// that the watcher runs; the first call reads the counters itself, so
// the caches serve from the first lookup on. A Store opened for one
// command starts no goroutine until a cached lookup happens.
func (s *Store) watchChanges(ctx context.Context) {
	w := &s.watch
	if w.running.Load() {
		if !w.reading.Load() {
			// The watcher's last reading failed (the schema was not
			// migrated yet, say): try again now rather than wait.
			s.pollChanges(ctx)
		}
		return
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	if w.started {
		w.mu.Unlock()
		if !w.reading.Load() {
			// The watcher's last reading failed (the schema was not
			// migrated yet, say): try again now rather than wait.
			s.pollChanges(ctx)
		}
		return
	}
	w.started = true
	w.stop, w.done = make(chan struct{}), make(chan struct{})
	w.mu.Unlock()
	s.pollChanges(ctx)
	w.running.Store(true)
	go s.runWatcher()
}

// runWatcher reads the counters every watchInterval until the store
// closes.
func (s *Store) runWatcher() {
	w := &s.watch
	defer close(w.done)
	t := time.NewTicker(watchInterval)
	defer t.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-w.stop
		cancel()
	}()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		s.pollChanges(ctx)
	}
}

// stopWatcher ends the watcher, if it runs, waits for it, and turns the
// caches off.
func (s *Store) stopWatcher() {
	w := &s.watch
	w.mu.Lock()
	started, closed := w.started, w.closed
	w.closed = true
	w.mu.Unlock()
	s.observe(changes{}, false)
	if !started || closed {
		return
	}
	close(w.stop)
	<-w.done
}
