package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/admin"
)

func apikeyCreateCommand(fs *flag.FlagSet, c *cli) func(context.Context, []string) error {
	tenant := c.tenantFlag(fs)
	name := fs.String("name", "", "a `name` that says which backend holds the key")
	scopes := fs.String("scopes", "", "comma- or space-separated `scopes`: "+strings.Join(gatehouse.APIScopes(), ", "))
	ttl := fs.Duration("ttl", 0, "how long the key works (e.g. 2160h); default: until revoked")
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		a, t, err := c.tenantApp(ctx, *tenant)
		if err != nil {
			return err
		}
		k, value, err := a.Admin.CreateAPIKey(ctx, c.actor(), t.ID, admin.APIKeyInput{Name: *name, Scopes: splitList(*scopes), TTL: *ttl})
		if err != nil {
			return err
		}
		if c.json {
			return printJSON(c.io.out, admin.NewAPIKeyDoc(k, value))
		}
		fmt.Fprintf(c.io.out, "API key %q (%s)\n", k.Name, k.ID)
		fmt.Fprintf(c.io.out, "key:    %s\n", value)
		fmt.Fprintf(c.io.out, "scopes: %s\n", strings.Join(k.Scopes, " "))
		fmt.Fprintln(c.io.out, "\nStore the key in your backend now: it is not shown again. Never put it in front-end code.")
		return nil
	}
}

func apikeyListCommand(fs *flag.FlagSet, c *cli) func(context.Context, []string) error {
	tenant := c.tenantFlag(fs)
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		a, t, err := c.tenantApp(ctx, *tenant)
		if err != nil {
			return err
		}
		keys, err := listAll(func(opt gatehouse.ListOptions) ([]*gatehouse.APIKey, string, error) {
			return a.Admin.ListAPIKeys(ctx, t.ID, opt)
		})
		if err != nil {
			return err
		}
		// The list never shows a key's value: it exists only at creation.
		doc := func(k *gatehouse.APIKey) admin.APIKeyDoc { return admin.NewAPIKeyDoc(k, "") }
		return printList(c, keys, doc,
			[]string{"ID", "NAME", "PREFIX", "SCOPES", "EXPIRES", "LAST_USED", "REVOKED"},
			func(k *gatehouse.APIKey) []string {
				return []string{k.ID, k.Name, k.Prefix + "…", strings.Join(k.Scopes, ","), stamp(k.ExpiresAt), stamp(k.LastUsedAt), stamp(k.RevokedAt)}
			})
	}
}

func apikeyRevokeCommand(fs *flag.FlagSet, c *cli) func(context.Context, []string) error {
	tenant := c.tenantFlag(fs)
	return func(ctx context.Context, args []string) error {
		id, err := oneArg(args, "the key's id")
		if err != nil {
			return err
		}
		a, t, err := c.tenantApp(ctx, *tenant)
		if err != nil {
			return err
		}
		if err := a.Admin.RevokeAPIKey(ctx, c.actor(), t.ID, id); err != nil {
			return err
		}
		return printRevoked(c, id)
	}
}
