package sqlite

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

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
	mu      sync.Mutex
	started bool // the watcher goroutine runs
	closed  bool // the store closed: no watcher starts again
	stop    chan struct{}
	done    chan struct{}
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

// pollChanges reads the counters once and hands the reading to every
// cache; a failed reading turns the caches off until the next one.
func (s *Store) pollChanges(ctx context.Context) {
	c, err := s.readChanges(ctx)
	ok := err == nil
	s.clients.observe(c.clients, ok)
	s.users.observe(c.users, ok)
	s.revocations.observe(c.revocations, ok)
}

// watchChanges makes sure the caches have a reading of the counters and
// that the watcher runs; the first call reads the counters itself, so
// the caches serve from the first lookup on. A Store opened for one
// command starts no goroutine until a cached lookup happens.
func (s *Store) watchChanges(ctx context.Context) {
	w := &s.watch
	if w.running.Load() {
		if !s.clients.isWatching() {
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
		if !s.clients.isWatching() {
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
	s.clients.observe(0, false)
	s.users.observe(0, false)
	s.revocations.observe(0, false)
	if !started || closed {
		return
	}
	close(w.stop)
	<-w.done
}
