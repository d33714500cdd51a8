package main

import (
	"context"
	"flag"
	"fmt"
)

func migrateCommand(fs *flag.FlagSet, c *cli) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		cfg, err := c.config()
		if err != nil {
			return err
		}
		st, err := openStore(ctx, cfg, nil)
		if err != nil {
			return err
		}
		defer st.Close()
		applied, err := st.Migrate(ctx)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", cfg.DatabaseKind(), err)
		}
		if c.json {
			return printJSON(c.io.out, map[string]any{"database": cfg.DatabaseKind(), "applied": nonNil(applied)})
		}
		if len(applied) == 0 {
			fmt.Fprintf(c.io.out, "The %s schema is up to date.\n", cfg.DatabaseKind())
			return nil
		}
		for _, m := range applied {
			fmt.Fprintln(c.io.out, "applied", m)
		}
		return nil
	}
}
