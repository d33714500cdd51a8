package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/admin"
	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/config"
	"github.com/gatehouse-id/gatehouse/dashboard"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/keys"
	"github.com/gatehouse-id/gatehouse/login"
	"github.com/gatehouse-id/gatehouse/provider"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/token"
	"github.com/gatehouse-id/gatehouse/web"
)

// Options are what an App is built from.
type Options struct {
	Config *config.Config
	Store  gatehouse.Store
	// MasterKey is the 32-byte key that seals private keys and chains the
	// audit log.
	MasterKey []byte
	Logger    *slog.Logger
	// Clock is the time source; nil uses time.Now.
	Clock gatehouse.Clock
	// Registry receives metrics; nil uses a private registry.
	Registry *prometheus.Registry
	// HashConcurrency bounds concurrent argon2id hashes; zero means one
	// per CPU.
	HashConcurrency int
	// AccessTokenAlg signs access tokens; empty means ES256, the cheapest
	// signature to make and to verify.
	AccessTokenAlg string
}

// Intervals of the background work.
const (
	keyReloadInterval = 30 * time.Second
	sweepBatch        = 1000
)

// App is one assembled Gatehouse node.
type App struct {
	cfg    *config.Config
	store  gatehouse.Store
	log    *slog.Logger
	clock  gatehouse.Clock
	Sealer *secret.Sealer
	Keys   *keys.Manager
	Audit  *audit.Recorder
	Admin  *admin.Service
	Server *server.Server
	Tokens *token.Tokens
	// Hasher hashes and verifies passwords, bounded in concurrency.
	Hasher  *secret.Hasher
	Catalog *gatehouse.ScopeCatalog
	// Tenants caches tenant lookups for issuer resolution.
	Tenants *server.TenantCache
}

// New builds an App: it loads (creating on first start) the signing keys,
// then wires every endpoint. It does not start serving.
func New(ctx context.Context, o Options) (*App, error) {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.HashConcurrency <= 0 {
		o.HashConcurrency = runtime.GOMAXPROCS(0)
	}
	sealer, err := secret.NewSealer(o.MasterKey)
	if err != nil {
		return nil, err
	}
	a := &App{cfg: o.Config, store: o.Store, log: o.Logger, clock: o.Clock, Sealer: sealer}
	a.Keys = keys.NewManager(o.Store, sealer, o.Clock, o.Logger)
	if err := a.Keys.Ensure(ctx); err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	a.Audit = audit.NewRecorder(o.Store, sealer.AuditKey(), o.Clock, o.Logger, audit.Options{})
	catalog := gatehouse.NewScopeCatalog()
	a.Catalog = catalog
	a.Hasher = secret.NewHasher(secret.OWASPArgon2, o.HashConcurrency)
	a.Tokens = token.New(token.Options{Keys: a.Keys, Clock: o.Clock, AccessTokenAlg: o.AccessTokenAlg})
	a.Admin = admin.New(admin.Options{
		Store:   o.Store,
		Hasher:  a.Hasher,
		Audit:   a.Audit,
		Catalog: catalog,
		Clock:   o.Clock,
	})
	a.Tenants = server.NewTenantCache(o.Store, 30*time.Second, o.Clock)
	if o.Registry == nil {
		// A registry of our own (never the process-wide default), with the
		// runtime and process metrics an operator expects next to ours.
		o.Registry = prometheus.NewRegistry()
		o.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	cfg := o.Config
	a.Server, err = server.New(server.Options{
		Issuer:            cfg.Issuer,
		Tenants:           a.Tenants,
		TrustedProxies:    cfg.TrustedProxies,
		Logger:            o.Logger,
		Registry:          o.Registry,
		Ready:             o.Store,
		Clock:             o.Clock,
		MaxBodyBytes:      cfg.MaxBodyBytes,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ShutdownTimeout:   cfg.ShutdownTimeout,
		TLSCertFile:       cfg.TLSCertFile,
		TLSKeyFile:        cfg.TLSKeyFile,
	})
	if err != nil {
		a.Audit.Close(ctx)
		return nil, err
	}
	// Machine-facing endpoints: discovery, JWKS, token, userinfo, revoke,
	// introspect.
	provider.New(provider.Options{
		Scopes:   catalog,
		JWKS:     func() []byte { return a.Keys.Current().JWKS(gatehouse.KeyPurposeOAuth) },
		Store:    o.Store,
		Tokens:   a.Tokens,
		Audit:    a.Audit,
		ClientIP: server.ClientIP,
		LogAttrs: server.AddLogAttrs,
		Clock:    o.Clock,
		Logger:   o.Logger,
	}).Register(a.Server)
	// Browser-facing pages: authorization, sign-in, consent, logout and
	// the account page, with their static assets.
	pages, err := web.New()
	if err != nil {
		a.Audit.Close(ctx)
		return nil, fmt.Errorf("pages: %w", err)
	}
	a.Server.HandlePage("GET "+web.StaticPrefix, pages.Static())
	front, err := login.New(ctx, login.Options{
		Store:    o.Store,
		Pages:    pages,
		Tokens:   a.Tokens,
		Hasher:   a.Hasher,
		Audit:    a.Audit,
		Scopes:   catalog,
		Clock:    o.Clock,
		Logger:   o.Logger,
		ClientIP: server.ClientIP,
		Tenants:  a.Tenants,
	})
	if err != nil {
		a.Audit.Close(ctx)
		return nil, err
	}
	front.Register(a.Server)
	// The management REST API, for backends with a server API key and for
	// the dashboard's owners and admins with their session.
	admin.NewAPI(admin.APIOptions{Service: a.Admin, Logger: o.Logger, Events: a.Audit,
		Runtime:       token.NewRuntime(token.RuntimeOptions{Keys: a.Keys, Clock: o.Clock}),
		Sessions:      front,
		TenantChanged: a.Tenants.Invalidate}).Register(a.Server)
	// The tenant dashboard, for the owners and admins of a tenant, on the
	// account page's sessions.
	dash, err := dashboard.New(dashboard.Options{Admin: a.Admin, Identity: front, Pages: pages, Scopes: catalog,
		Clock: o.Clock, Logger: o.Logger, ClientIP: server.ClientIP, TenantChanged: a.Tenants.Invalidate})
	if err != nil {
		a.Audit.Close(ctx)
		return nil, err
	}
	dash.Register(a.Server)
	return a, nil
}

// Handler serves every endpoint.
func (a *App) Handler() http.Handler { return a.Server.Handler() }

// Run serves on ln and runs the background work until ctx ends, then shuts
// down gracefully and flushes the audit log.
func (a *App) Run(ctx context.Context, ln net.Listener) error {
	bg, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { a.reloadKeys(bg) })
	wg.Go(func() { a.sweep(bg) })
	err := a.Server.Serve(ctx, ln)
	stop()
	wg.Wait()
	closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return errors.Join(err, a.Audit.Close(closeCtx))
}

// Close releases what New started, for an App that never ran.
func (a *App) Close(ctx context.Context) error { return a.Audit.Close(ctx) }

// reloadKeys picks up key rotations made by another process (the CLI or
// another node) and drops keys past their publication.
func (a *App) reloadKeys(ctx context.Context) {
	t := time.NewTicker(keyReloadInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := a.Keys.Prune(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("prune signing keys", "err", err)
		}
		if err := a.Keys.Load(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("reload signing keys", "err", err)
		}
	}
}

// sweep deletes expired rows in bounded batches, pausing between batches so
// it never holds the database for long.
func (a *App) sweep(ctx context.Context) {
	t := time.NewTicker(a.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		total, start := 0, time.Now()
		for ctx.Err() == nil {
			res, err := a.store.DeleteExpired(ctx, a.clock(), sweepBatch)
			if err != nil {
				if ctx.Err() == nil {
					a.log.Warn("sweep expired rows", "err", err)
				}
				break
			}
			total += res.Total()
			if res.Total() == 0 {
				break
			}
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Millisecond):
			}
		}
		if total > 0 {
			d := time.Since(start)
			a.log.Info("swept expired rows", "rows", total, "duration", d.Round(time.Millisecond),
				"rows_per_second", int(float64(total)/max(d.Seconds(), 1e-3)))
		}
	}
}
