package postgres

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The Store caches clients by client_id, users by id and the answers of
// AccessTokenRevoked (internal/cache). A change made through this Store
// invalidates the cache it concerns before the method returns.
//
// The watcher keeps this node's caches (clients, users, revocation
// answers) in step with the other nodes: it holds one connection of its
// own that LISTENs on the channels the triggers of migrations 0002 and
// 0011 notify, and applies each notification to its cache. The channels'
// names end with the schema of the tables, so deployments sharing a
// database in separate schemas do not clear each other's caches.
//
// The caches serve only while that connection listens. To notice a
// connection that died without a word (a silent network failure), the
// watcher checks it with a query when nothing arrived for
// watchHeartbeat; one that does not answer within watchPingTimeout is
// dropped, the caches are turned off and cleared, and the watcher
// connects again. So a change made on another node reaches this one when
// its notification arrives, a few milliseconds after the commit, and at
// the latest, when the connection died unnoticed, after watchHeartbeat +
// watchPingTimeout, during which this node may still serve what it
// cached.

// Channel prefixes; the schema completes them.
const (
	clientChannel     = "gatehouse_clients:"
	userChannel       = "gatehouse_users:"
	revocationChannel = "gatehouse_revocations:"
)

// Watcher timing.
const (
	// watchRetry is how long the watcher waits before listening again
	// after its connection failed.
	watchRetry = time.Second
	// watchHeartbeat is how long the watcher waits for a notification
	// before checking that its connection still answers.
	watchHeartbeat = 5 * time.Second
	// watchPingTimeout bounds that check.
	watchPingTimeout = 5 * time.Second
)

// watcher runs the goroutine that listens.
type watcher struct {
	// started is read without the lock by every cached lookup.
	started atomic.Bool
	mu      sync.Mutex
	closed  bool
	cancel  context.CancelFunc
	done    chan struct{}
	// listening, when set, is called each time the watcher starts
	// listening (tests wait for it).
	listening func()
}

// watchChanges starts the watcher the first time a cached lookup happens,
// so that a store opened for one command holds no extra connection. The
// lookups before it listens go to the database.
func (s *Store) watchChanges() {
	w := &s.watch
	if w.started.Load() {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started.Load() || w.closed {
		return
	}
	w.started.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel, w.done = cancel, make(chan struct{})
	go s.runWatcher(ctx)
}

// setWatching turns every cache on or off, clearing it either way.
func (s *Store) setWatching(on bool) {
	s.clients.SetOn(on)
	s.users.SetOn(on)
	s.revocations.SetOn(on)
}

// runWatcher listens and applies notifications, reconnecting after a
// failure, until ctx ends.
func (s *Store) runWatcher(ctx context.Context) {
	w := &s.watch
	defer close(w.done)
	for ctx.Err() == nil {
		err := s.listen(ctx)
		s.setWatching(false)
		if ctx.Err() != nil {
			return
		}
		s.log("cache: listening for changes failed; the caches are off until it listens again", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(watchRetry):
		}
	}
}

// listen holds one connection that listens on the channels, until the
// connection fails or ctx ends.
func (s *Store) listen(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn.Close(closeCtx)
	}()
	// The schema the tables resolve to on this connection's search_path,
	// as the triggers name it.
	var schema string
	if err := conn.QueryRow(ctx, `SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.oid = 'clients'::regclass`).Scan(&schema); err != nil {
		return err
	}
	channels := map[string]func(payload string){
		clientChannel + schema:     func(string) { s.clients.Invalidate() },
		userChannel + schema:       s.userChanged,
		revocationChannel + schema: func(string) { s.revocations.Invalidate() },
	}
	for ch := range channels {
		if err := execExtended(ctx, conn, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return err
		}
	}
	s.setWatching(true)
	if s.watch.listening != nil {
		s.watch.listening()
	}
	for {
		wctx, cancel := context.WithTimeout(ctx, watchHeartbeat)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			if apply, ok := channels[n.Channel]; ok {
				apply(n.Payload)
			}
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case !errors.Is(err, context.DeadlineExceeded) && !pgconn.Timeout(err):
			return err
		}
		// Nothing for a while: check that the connection still answers.
		pctx, cancel := context.WithTimeout(ctx, watchPingTimeout)
		err = execExtended(pctx, conn, "SELECT 1")
		cancel()
		if err != nil {
			return err
		}
	}
}

// userChanged applies a notification of a changed user, whose payload is
// "tenant_id/user_id"; a payload it cannot read clears the whole cache.
func (s *Store) userChanged(payload string) {
	tenantID, id, ok := strings.Cut(payload, "/")
	if !ok || tenantID == "" || id == "" {
		s.users.Invalidate()
		return
	}
	s.users.Forget(tenantID, id)
}

// stopWatcher ends the watcher, if it runs, and waits for it.
func (s *Store) stopWatcher() {
	w := &s.watch
	w.mu.Lock()
	started, closed := w.started.Load(), w.closed
	w.closed = true
	w.mu.Unlock()
	if !started || closed {
		return
	}
	w.cancel()
	<-w.done
}
