package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/admin"
)

// installSnippet tells an admin where the key goes.
const installSnippet = "Put the key in your website's widget configuration; it is public and grants nothing else."

func printInstallKey(c *cli, k *gatehouse.InstallKey, what string) error {
	if c.json {
		return printJSON(c.io.out, admin.NewInstallKeyDoc(k))
	}
	fmt.Fprintf(c.io.out, "%s install key %s\n", what, k.ID)
	fmt.Fprintf(c.io.out, "key: %s\n", k.Key)
	if iss := c.issuer(); iss != "" {
		fmt.Fprintf(c.io.out, "settings: %s/api/v1/install/%s\n", iss, k.Key)
	}
	fmt.Fprintln(c.io.out, "\n"+installSnippet)
	return nil
}

func installkeyCreateCommand(fs *flag.FlagSet, c *cli) func(context.Context, []string) error {
	tenant := c.tenantFlag(fs)
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		a, t, err := c.tenantApp(ctx, *tenant)
		if err != nil {
			return err
		}
		k, err := a.Admin.CreateInstallKey(ctx, c.actor(), t.ID)
		if err != nil {
			return err
		}
		return printInstallKey(c, k, "Created")
	}
}

func installkeyListCommand(fs *flag.FlagSet, c *cli) func(context.Context, []string) error {
	tenant := c.tenantFlag(fs)
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		a, t, err := c.tenantApp(ctx, *tenant)
		if err != nil {
			return err
		}
		keys, err := a.Admin.ListInstallKeys(ctx, t.ID)
		if err != nil {
			return err
		}
		return printList(c, keys, admin.NewInstallKeyDoc,
			[]string{"ID", "KEY", "CREATED", "REVOKED"},
			func(k *gatehouse.InstallKey) []string {
				return []string{k.ID, k.Key, stamp(k.CreatedAt), stamp(k.RevokedAt)}
			})
	}
}

func installkeyRotateCommand(fs *flag.FlagSet, c *cli) func(context.Context, []string) error {
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
		k, err := a.Admin.RotateInstallKey(ctx, c.actor(), t.ID, id)
		if err != nil {
			return err
		}
		if !c.json {
			fmt.Fprintf(c.io.out, "Revoked %s; pages that still use it get 404 until they carry the new key.\n", id)
		}
		return printInstallKey(c, k, "New")
	}
}

func installkeyRevokeCommand(fs *flag.FlagSet, c *cli) func(context.Context, []string) error {
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
		if err := a.Admin.RevokeInstallKey(ctx, c.actor(), t.ID, id); err != nil {
			return err
		}
		return printRevoked(c, id)
	}
}
