package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/cache"
)

var _ gatehouse.Store = (*Store)(nil)

// Options tune the store. The zero value is ready for production.
type Options struct {
	// MaxConns bounds the connections this node holds. Zero takes
	// pool_max_conns from the connection string when it has one, else
	// four per CPU the process may use, at least 4 and at most 32 (see
	// poolSizes).
	MaxConns int32
	// MinConns is how many connections stay open while idle. Zero takes
	// pool_min_conns from the connection string, else 2 (or MaxConns,
	// when smaller).
	MinConns int32
	// Clock fills CreatedAt and UpdatedAt when a caller leaves them zero
	// and stamps updates and applied migrations. Nil means time.Now.
	Clock gatehouse.Clock
	// Logger receives the failures of background work (the client cache's
	// listener); nil discards them.
	Logger *slog.Logger

	// afterConnect, when set, is called on every new connection; the tests
	// use it to trace the wire protocol.
	afterConnect func(context.Context, *pgx.Conn) error
}

// Store is the Gatehouse store on PostgreSQL. It is safe for concurrent use
// and holds a connection pool: call Close when done.
type Store struct {
	pool   *pgxpool.Pool
	clock  gatehouse.Clock
	logger *slog.Logger
	// clients, users and revocations cache GetClientByClientID, GetUser
	// and AccessTokenRevoked. The watcher keeps all three in step with
	// other nodes (watch.go).
	clients     cache.Clients
	users       cache.Users
	revocations cache.Revocations
	watch       watcher
}

// Pool settings that are not options: a connection that idles five minutes
// is closed (the minimum stays), and every connection is replaced after
// half an hour plus up to five minutes of jitter, so that nodes drift back
// to a primary after a failover and server-side caches of long-lived
// backends do not grow without end, without all connections reconnecting at
// once.
const (
	maxConnIdleTime       = 5 * time.Minute
	maxConnLifetime       = 30 * time.Minute
	maxConnLifetimeJitter = 5 * time.Minute
	healthCheckPeriod     = 30 * time.Second
)

// poolSizes returns the pool bounds for opt.
//
// A request holds a connection for one short transaction: a few statements
// on indexed rows, typically well under a millisecond of server time plus
// the round trips. The expensive part of a token request, signing, runs
// outside it. So a node needs only a few connections per CPU to keep its
// CPUs busy while others wait on the network; more would only queue inside
// PostgreSQL, whose throughput peaks at a small multiple of its own cores,
// and would use up max_connections (100 by default) that every node of a
// cluster shares. Four per CPU, between 4 and 32, lets eight 2-CPU nodes
// share a default server. Two connections stay open while idle so the
// first requests after a quiet spell do not pay for TCP, TLS and SCRAM
// authentication.
func poolSizes(opt Options) (maxConns, minConns int32) {
	maxConns = opt.MaxConns
	if maxConns <= 0 {
		maxConns = int32(min(max(4*runtime.GOMAXPROCS(0), 4), 32))
	}
	minConns = opt.MinConns
	if minConns <= 0 {
		minConns = 2
	}
	return maxConns, min(minConns, maxConns)
}

// withDSNPool returns opt with the pool bounds the connection string sets
// (pgx's pool_max_conns and pool_min_conns, which cfg holds parsed) where
// opt leaves them zero. pgx fills cfg with its own defaults when the
// string sets neither, so the string itself is read to tell the two apart.
func withDSNPool(opt Options, dsn string, cfg *pgxpool.Config) Options {
	if opt.MaxConns <= 0 && dsnSets(dsn, "pool_max_conns") {
		opt.MaxConns = cfg.MaxConns
	}
	if opt.MinConns <= 0 && dsnSets(dsn, "pool_min_conns") {
		opt.MinConns = cfg.MinConns
	}
	return opt
}

// dsnSets reports whether the connection string, a URL or libpq's
// key=value words, sets the parameter name.
func dsnSets(dsn, name string) bool {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		return u.Query().Has(name)
	}
	for _, f := range strings.Fields(dsn) {
		if strings.HasPrefix(f, name+"=") {
			return true
		}
	}
	return false
}

// Open connects to the PostgreSQL database named by dsn (a URL or key=value
// connection string, as libpq reads them) and checks that it answers. It
// does not change the schema: call Migrate for that. Parameters in dsn
// such as search_path are sent to the server with every new connection.
//
// It returns EINVALID for a malformed dsn or one that asks for pgx's
// simple-protocol mode, and EUNAVAILABLE when the server cannot be reached.
func Open(ctx context.Context, dsn string, opt Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgconn masks the password when it quotes the connection string.
		return nil, fmt.Errorf("%w: %w", gatehouse.Errorf(gatehouse.EINVALID, "postgres: the connection string is malformed"), err)
	}
	if cfg.ConnConfig.DefaultQueryExecMode == pgx.QueryExecModeSimpleProtocol {
		return nil, gatehouse.Errorf(gatehouse.EINVALID,
			"postgres: default_query_exec_mode=simple_protocol is not supported; values must travel as bound parameters")
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "gatehouse"
	}
	cfg.MaxConns, cfg.MinConns = poolSizes(withDSNPool(opt, dsn, cfg))
	cfg.MaxConnIdleTime = maxConnIdleTime
	cfg.MaxConnLifetime = maxConnLifetime
	cfg.MaxConnLifetimeJitter = maxConnLifetimeJitter
	cfg.HealthCheckPeriod = healthCheckPeriod
	if opt.afterConnect != nil {
		cfg.AfterConnect = opt.afterConnect
	}

	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	s := &Store{pool: pool, clock: opt.Clock, logger: opt.Logger}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if err := s.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes every connection of the pool, waiting for those in use to
// be released. It always returns nil.
func (s *Store) Close() error {
	s.stopWatcher()
	s.pool.Close()
	return nil
}

// Ping checks that the database answers a query: EUNAVAILABLE when it
// does not.
func (s *Store) Ping(ctx context.Context) error {
	// A real query rather than pgx's Ping, an empty simple-protocol
	// statement: readiness means the server can plan and run a statement.
	var one int32
	if err := s.pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return dbError("ping", err)
	}
	return nil
}

// log reports a failure of background work.
func (s *Store) log(msg string, err error) {
	s.logger.Warn(msg, "err", err)
}

// now returns the store clock's time in the form rows keep.
func (s *Store) now() time.Time { return normTime(s.clock()) }

// querier is what both the pool and a transaction offer, so that reads can
// run inside or outside a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// maxTxAttempts bounds how often a transaction that lost a serialization
// race or a deadlock is run again before its caller sees ECONFLICT.
const maxTxAttempts = 3

// inTx runs fn in a READ COMMITTED transaction and commits when it returns
// nil. A transaction that PostgreSQL aborted as a serialization failure or
// a deadlock victim is run again from the start, so fn must not have effects
// outside the transaction.
func (s *Store) inTx(ctx context.Context, op string, fn func(pgx.Tx) error) error {
	var err error
	for range maxTxAttempts {
		err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, fn)
		if !retryable(err) {
			break
		}
	}
	return dbError(op, err)
}

// inTxOnce is inTx for a transaction that calls back into the caller:
// the callback is never run twice, and a serialization failure is
// reported as ECONFLICT at once.
func (s *Store) inTxOnce(ctx context.Context, op string, fn func(pgx.Tx) error) error {
	return dbError(op, pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, fn))
}

// retryable reports whether PostgreSQL aborted a transaction that may
// succeed when run again.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	return pgErr.Code == "40001" || pgErr.Code == "40P01"
}

// execExtended runs a parameterless statement over the extended protocol.
// pgx sends Exec without arguments as a simple-protocol Query message; this
// keeps the one-protocol rule for DDL and locking statements too.
func execExtended(ctx context.Context, conn *pgx.Conn, sql string) error {
	return conn.PgConn().ExecParams(ctx, sql, nil, nil, nil, nil).Read().Err
}
