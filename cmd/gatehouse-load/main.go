package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

const usageText = `Usage: gatehouse-load <command> [flags]

Commands:
  run      set up fixtures and drive a running server (the default)
  wrk      set up fixtures and measure raw throughput with wrk
  ceiling  measure signatures or argon2id verifications per second on every CPU
  seed     bulk-insert users, grants and refresh tokens into a store

Run 'gatehouse-load <command> -h' for the flags of each.
`

// run dispatches a command line and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "run":
		err = runCommand(ctx, args, stdout, stderr)
	case "wrk":
		err = wrkCommand(ctx, args, stdout, stderr)
	case "ceiling":
		err = ceilingCommand(ctx, args, stdout, stderr)
	case "seed":
		err = seedCommand(ctx, args, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usageText)
		return 0
	default:
		fmt.Fprintf(stderr, "gatehouse-load: unknown command %q\n\n%s", cmd, usageText)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case err == errUsage:
		return 2
	default:
		fmt.Fprintln(stderr, "gatehouse-load:", err)
		return 1
	}
}
