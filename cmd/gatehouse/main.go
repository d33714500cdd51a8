package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/gatehouse-id/gatehouse"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr}, os.Getenv))
}

// stdio are the streams a command reads and writes, replaced in tests.
type stdio struct {
	in  io.Reader
	out io.Writer
	err io.Writer
}

// command is one CLI command, named by one or two words ("serve", "tenant
// create").
type command struct {
	name    string
	summary string
	// flags declares the command's own flags on fs and returns the function
	// that runs it once flags are parsed.
	flags func(fs *flag.FlagSet, c *cli) func(ctx context.Context, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the server", serveCommand},
		{"migrate", "apply pending database migrations", migrateCommand},
		{"tenant create", "create a tenant", tenantCreateCommand},
		{"tenant list", "list tenants", tenantListCommand},
		{"tenant platform-admin", "mark a tenant as the platform's own (--off to unmark)", tenantPlatformAdminCommand},
		{"user create", "create a user (password from stdin with --password-stdin)", userCreateCommand},
		{"user list", "list a tenant's users", userListCommand},
		{"user set-roles", "replace a user's roles", userSetRolesCommand},
		{"client create", "register an OAuth client; prints its secret once", clientCreateCommand},
		{"client list", "list a tenant's OAuth clients", clientListCommand},
		{"client show", "show one OAuth client", clientShowCommand},
		{"client rotate-secret", "issue a new client_id and secret; the old ones expire after --grace", clientRotateCommand},
		{"apikey create", "create a server API key for a tenant's backend; prints it once", apikeyCreateCommand},
		{"apikey list", "list a tenant's server API keys", apikeyListCommand},
		{"apikey revoke", "revoke a server API key at once", apikeyRevokeCommand},
		{"installkey create", "create a public install key for a tenant's website widget", installkeyCreateCommand},
		{"installkey list", "list a tenant's public install keys", installkeyListCommand},
		{"installkey rotate", "replace an install key with a new one; the old one stops at once", installkeyRotateCommand},
		{"installkey revoke", "revoke a public install key at once", installkeyRevokeCommand},
		{"keys list", "list signing keys", keysListCommand},
		{"keys rotate", "promote the next signing keys and publish new next keys", keysRotateCommand},
		{"audit list", "list audit events", auditListCommand},
		{"audit verify", "verify the audit chains", auditVerifyCommand},
	}
}

// exitUsage is returned for a malformed command line.
const exitUsage = 2

func run(ctx context.Context, args []string, io stdio, getenv func(string) string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(io.out)
		return 0
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Fprintln(io.out, "gatehouse", version())
		return 0
	}
	cmd, rest, ok := lookup(args)
	if !ok {
		fmt.Fprintf(io.err, "gatehouse: unknown command %q; run 'gatehouse help'\n", strings.Join(args[:min(2, len(args))], " "))
		return exitUsage
	}
	fs := flag.NewFlagSet("gatehouse "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.err)
	c := &cli{io: io, getenv: getenv}
	c.commonFlags(fs, cmd.name == "serve")
	runFn := cmd.flags(fs, c)
	positional, err := parseInterspersed(fs, rest)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return exitUsage
	}
	if err := runFn(ctx, positional); err != nil {
		c.close()
		fmt.Fprintln(io.err, "gatehouse:", oneLine(err))
		return 1
	}
	if err := c.close(); err != nil {
		fmt.Fprintln(io.err, "gatehouse:", oneLine(err))
		return 1
	}
	return 0
}

// parseInterspersed parses flags that may come before or after positional
// arguments ("client show ID --json"), which the flag package alone stops
// at. A lone "--" ends flag parsing.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		args = rest
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// lookup finds the command named by the first one or two arguments.
func lookup(args []string) (command, []string, bool) {
	for _, c := range commands() {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == c.name {
			return c, args[len(words):], true
		}
	}
	return command{}, nil, false
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: gatehouse <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-22s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every command takes --database, --data-dir, --config and --json; run")
	fmt.Fprintln(w, "'gatehouse <command> -h' for its flags. --tenant takes a slug or an id.")
}

// oneLine renders an error for the terminal: domain errors by their safe
// message (naming the field for invalid input), others as they are.
func oneLine(err error) string {
	var e *gatehouse.Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
