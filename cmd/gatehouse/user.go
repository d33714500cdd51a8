package main

import (
	"bufio"
	"context"
	"flag"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/admin"
)

// userJSON is the --json shape of a user; it never includes the hash.
type userJSON struct {
	ID            string    `json:"id"`
	TenantID      string    `json:"tenant_id"`
	Username      string    `json:"username"`
	Email         string    `json:"email,omitempty"`
	EmailVerified bool      `json:"email_verified"`
	Name          string    `json:"name,omitempty"`
	Status        string    `json:"status"`
	Roles         []string  `json:"roles"`
	HasPassword   bool      `json:"has_password"`
	CreatedAt     time.Time `json:"created_at"`
}

func toUserJSON(u *gatehouse.User) userJSON {
	return userJSON{ID: u.ID, TenantID: u.TenantID, Username: u.Username, Email: u.Email,
		EmailVerified: u.EmailVerified, Name: u.Name, Status: string(u.Status), Roles: nonNil(u.Roles),
		HasPassword: u.PasswordHash != "", CreatedAt: u.CreatedAt.UTC()}
}

func printUser(c *cli, u *gatehouse.User) error {
	if c.json {
		return printJSON(c.io.out, toUserJSON(u))
	}
	tb := newTable(c.io.out, "ID", "USERNAME", "EMAIL", "ROLES")
	tb.row(u.ID, u.Username, orDash(u.Email), orDash(strings.Join(u.Roles, ",")))
	return tb.flush()
}

func userCreateCommand(fs *flag.FlagSet, c *cli) func(context.Context, []string) error {
	tenant := c.tenantFlag(fs)
	username := fs.String("username", "", "sign-in `name`, unique in the tenant")
	email := fs.String("email", "", "email `address`, unique in the tenant")
	verified := fs.Bool("email-verified", false, "mark the email as verified")
	name := fs.String("name", "", "display `name`")
	roles := fs.String("roles", "", "comma-separated role `names` (owner, admin, agent, ...)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		var password string
		if *pwStdin {
			line, err := bufio.NewReader(c.io.in).ReadString('\n')
			if line == "" && err != nil {
				return usageError("--password-stdin: no password on standard input")
			}
			password = strings.TrimRight(line, "\r\n")
			if password == "" {
				return usageError("--password-stdin: the password is empty")
			}
		}
		a, t, err := c.tenantApp(ctx, *tenant)
		if err != nil {
			return err
		}
		u, err := a.Admin.CreateUser(ctx, c.actor(), t.ID, admin.UserInput{
			Username: *username, Email: *email, EmailVerified: *verified, Name: *name,
			Password: password, Roles: splitList(*roles),
		})
		if err != nil {
			return err
		}
		return printUser(c, u)
	}
}

func userListCommand(fs *flag.FlagSet, c *cli) func(context.Context, []string) error {
	tenant := c.tenantFlag(fs)
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		a, t, err := c.tenantApp(ctx, *tenant)
		if err != nil {
			return err
		}
		users, err := listAll(func(opt gatehouse.ListOptions) ([]*gatehouse.User, string, error) {
			return a.Admin.ListUsers(ctx, t.ID, opt)
		})
		if err != nil {
			return err
		}
		return printList(c, users, toUserJSON,
			[]string{"ID", "USERNAME", "EMAIL", "STATUS", "ROLES", "CREATED"},
			func(u *gatehouse.User) []string {
				return []string{u.ID, u.Username, orDash(u.Email), string(u.Status), orDash(strings.Join(u.Roles, ",")), stamp(u.CreatedAt)}
			})
	}
}

func userSetRolesCommand(fs *flag.FlagSet, c *cli) func(context.Context, []string) error {
	tenant := c.tenantFlag(fs)
	user := fs.String("user", "", "the user's `id, username or email`")
	roles := fs.String("roles", "", "comma-separated role `names`; empty removes every role")
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		if *user == "" {
			return usageError("--user is required")
		}
		a, t, err := c.tenantApp(ctx, *tenant)
		if err != nil {
			return err
		}
		u, err := a.Admin.SetUserRoles(ctx, c.actor(), t.ID, *user, splitList(*roles))
		if err != nil {
			return err
		}
		return printUser(c, u)
	}
}
