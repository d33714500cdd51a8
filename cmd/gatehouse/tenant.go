package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/admin"
)

// tenantJSON is the --json shape of a tenant.
type tenantJSON struct {
	ID        string    `json:"id"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	Status    string    `json:"status"`
	Domains   []string  `json:"domains"`
	CreatedAt time.Time `json:"created_at"`
}

func toTenantJSON(t *gatehouse.Tenant) tenantJSON {
	return tenantJSON{ID: t.ID, Slug: t.Slug, Name: t.Name, Status: string(t.Status),
		Domains: nonNil(t.Domains), CreatedAt: t.CreatedAt.UTC()}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func tenantCreateCommand(fs *flag.FlagSet, c *cli) func(context.Context, []string) error {
	slug := fs.String("slug", "", "URL-safe `name` of the tenant (its issuer is /t/{slug})")
	name := fs.String("name", "", "display `name`")
	var domains stringList
	fs.Var(&domains, "domain", "custom `host` name serving the tenant's issuer (repeatable)")
	platform := fs.Bool("platform-admin", false, "the platform's own tenant: its API keys with the platform scopes may list and create tenants")
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		a, err := c.app(ctx)
		if err != nil {
			return err
		}
		t, err := a.Admin.CreateTenant(ctx, c.actor(), admin.TenantInput{Slug: *slug, Name: *name, Domains: domains,
			PlatformAdmin: *platform})
		if err != nil {
			return err
		}
		if c.json {
			return printJSON(c.io.out, toTenantJSON(t))
		}
		tb := newTable(c.io.out, "ID", "SLUG", "NAME")
		tb.row(t.ID, t.Slug, t.Name)
		return tb.flush()
	}
}

func tenantPlatformAdminCommand(fs *flag.FlagSet, c *cli) func(context.Context, []string) error {
	tenant := c.tenantFlag(fs)
	off := fs.Bool("off", false, "unmark the tenant instead")
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		a, t, err := c.tenantApp(ctx, *tenant)
		if err != nil {
			return err
		}
		if err := a.Admin.SetPlatformAdmin(ctx, c.actor(), t.ID, !*off); err != nil {
			return err
		}
		if *off {
			fmt.Fprintf(c.io.out, "%s is no longer the platform's own tenant.\n", t.Slug)
		} else {
			fmt.Fprintf(c.io.out, "%s is the platform's own tenant: its API keys with the platform scopes may list and create tenants.\n", t.Slug)
		}
		return nil
	}
}

func tenantListCommand(fs *flag.FlagSet, c *cli) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		a, err := c.app(ctx)
		if err != nil {
			return err
		}
		tenants, err := listAll(func(opt gatehouse.ListOptions) ([]*gatehouse.Tenant, string, error) {
			return a.Admin.ListTenants(ctx, opt)
		})
		if err != nil {
			return err
		}
		return printList(c, tenants, toTenantJSON,
			[]string{"ID", "SLUG", "NAME", "STATUS", "DOMAINS", "CREATED"},
			func(t *gatehouse.Tenant) []string {
				return []string{t.ID, t.Slug, t.Name, string(t.Status), orDash(strings.Join(t.Domains, ",")), stamp(t.CreatedAt)}
			})
	}
}

// listAll reads every page of a listing, with successive cursors until
// the last page.
func listAll[T any](list func(gatehouse.ListOptions) ([]T, string, error)) ([]T, error) {
	var all []T
	opt := gatehouse.ListOptions{Limit: 500}
	for {
		items, next, err := list(opt)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if next == "" {
			return all, nil
		}
		opt.Cursor = next
	}
}

// noArgs refuses stray positional arguments, which usually mean a flag was
// mistyped.
func noArgs(args []string) error {
	if len(args) > 0 {
		return usageError("unexpected argument %q", args[0])
	}
	return nil
}
