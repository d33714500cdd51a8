package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/admin"
	gapp "github.com/gatehouse-id/gatehouse/app"
	"github.com/gatehouse-id/gatehouse/config"
	"github.com/gatehouse-id/gatehouse/postgres"
	"github.com/gatehouse-id/gatehouse/sqlite"
)

// cli is one invocation: its flags, its streams, and the parts it opened.
type cli struct {
	io     stdio
	getenv func(string) string
	json   bool
	load   func(getenv func(string) string) (*config.Config, error)

	cfg *config.Config
	a   *app
	// log, when set, is the logger the app is opened with; otherwise
	// the configuration's, on the error stream.
	log *slog.Logger
}

// app holds the wired parts a command uses.
type app struct {
	*gapp.App
	cfg   *config.Config
	log   *slog.Logger
	clock gatehouse.Clock
	store store
	// devKey reports a generated development master key.
	devKey bool
}

// store is a concrete store: the domain's Store plus migrations.
type store interface {
	gatehouse.Store
	Migrate(ctx context.Context) ([]string, error)
}

func (c *cli) commonFlags(fs *flag.FlagSet, serve bool) {
	c.load = config.Flags(fs)
	if !serve {
		fs.BoolVar(&c.json, "json", false, "print JSON for scripts")
	}
}

// config loads and validates the configuration once.
func (c *cli) config() (*config.Config, error) {
	if c.cfg == nil {
		cfg, err := c.load(c.getenv)
		if err != nil {
			return nil, err
		}
		c.cfg = cfg
	}
	return c.cfg, nil
}

// issuer is the platform issuer, for the values a client's admin copies.
func (c *cli) issuer() string {
	if c.cfg == nil {
		return ""
	}
	return c.cfg.Issuer
}

// app opens the store (applying migrations, so a fresh database works with
// any command), the master key, the audit recorder and the key manager.
func (c *cli) app(ctx context.Context) (*app, error) {
	if c.a != nil {
		return c.a, nil
	}
	cfg, err := c.config()
	if err != nil {
		return nil, err
	}
	log := c.log
	if log == nil {
		log = cfg.NewLogger(c.io.err)
	}
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	c.a = a
	return a, nil
}

func openApp(ctx context.Context, cfg *config.Config, log *slog.Logger) (*app, error) {
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate %s: %w", cfg.DatabaseKind(), err)
	}
	key, dev, err := cfg.LoadMasterKey()
	if err != nil {
		st.Close()
		return nil, err
	}
	a := &app{cfg: cfg, log: log, clock: time.Now, store: st, devKey: dev}
	a.App, err = gapp.New(ctx, gapp.Options{Config: cfg, Store: st, MasterKey: key, Logger: log, Clock: a.clock,
		AccessTokenAlg: cfg.AccessTokenAlg})
	if err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

// openStore opens the configured store; log receives the failures of its
// background work (the cache listeners), and may be nil.
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (store, error) {
	switch cfg.DatabaseKind() {
	case config.DatabasePostgres:
		s, err := postgres.Open(ctx, cfg.DatabaseSource(), postgres.Options{Logger: log})
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL %s: %w", cfg.RedactedDatabase(), err)
		}
		return s, nil
	default:
		s, err := sqlite.Open(ctx, cfg.DatabaseSource(), sqlite.Options{})
		if err != nil {
			return nil, fmt.Errorf("open SQLite %s: %w", cfg.DatabaseSource(), err)
		}
		return s, nil
	}
}

// close flushes the audit log and closes the store.
func (c *cli) close() error {
	if c.a == nil {
		return nil
	}
	a := c.a
	c.a = nil
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return errors.Join(a.Close(ctx), a.store.Close())
}

// actor names the CLI in the audit log.
func (c *cli) actor() admin.Actor { return admin.Actor{ID: "cli"} }

// tenantFlag declares --tenant.
func (c *cli) tenantFlag(fs *flag.FlagSet) *string {
	return fs.String("tenant", "", "the tenant's `slug or id`")
}

// tenant resolves --tenant.
func (c *cli) tenant(ctx context.Context, a *app, ref string) (*gatehouse.Tenant, error) {
	if ref == "" {
		return nil, usageError("--tenant is required")
	}
	return a.Admin.Tenant(ctx, ref)
}

// tenantApp opens the app and resolves --tenant, what most commands start
// with.
func (c *cli) tenantApp(ctx context.Context, ref string) (*app, *gatehouse.Tenant, error) {
	if ref == "" {
		return nil, nil, usageError("--tenant is required")
	}
	a, err := c.app(ctx)
	if err != nil {
		return nil, nil, err
	}
	t, err := c.tenant(ctx, a, ref)
	return a, t, err
}

// usageError reports a malformed command line in one line.
func usageError(format string, args ...any) error {
	return &gatehouse.Error{Code: gatehouse.EINVALID, Message: fmt.Sprintf(format, args...)}
}

// version is the module version stamped by the Go toolchain, or "devel".
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
