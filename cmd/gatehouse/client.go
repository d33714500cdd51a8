package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/admin"
)

func clientCreateCommand(fs *flag.FlagSet, c *cli) func(context.Context, []string) error {
	tenant := c.tenantFlag(fs)
	name := fs.String("name", "", "display `name` shown on the consent page")
	description := fs.String("description", "", "free-text `description`")
	var redirects, postLogout, origins stringList
	fs.Var(&redirects, "redirect-uri", "registered redirect `URI`, matched exactly (repeatable)")
	fs.Var(&postLogout, "post-logout-uri", "registered post-logout redirect `URI` (repeatable)")
	fs.Var(&origins, "allowed-origin", "CORS `origin` allowed to call the token endpoint (repeatable)")
	public := fs.Bool("public", false, "a public client (mobile, SPA): no secret, PKCE required")
	scopes := fs.String("scopes", "", "space- or comma-separated `scopes` the client may request (default \"openid profile email\")")
	grants := fs.String("grant-types", "", "comma-separated grant `types` (default \"authorization_code,refresh_token\")")
	authMethod := fs.String("auth-method", "", "token endpoint auth `method`: client_secret_basic (default), client_secret_post, none")
	alg := fs.String("id-token-alg", "", "ID token signing `algorithm`: RS256 (default), ES256, EdDSA")
	firstParty := fs.Bool("first-party", false, "a first-party client: users are not asked for consent")
	alwaysRefresh := fs.Bool("always-issue-refresh-token", false, "issue a refresh token even without offline_access")
	logo := fs.String("logo-uri", "", "https `URL` of the client's logo")
	accessTTL := fs.Duration("access-token-ttl", 0, "access token `lifetime` (default 1h)")
	idTTL := fs.Duration("id-token-ttl", 0, "ID token `lifetime` (default 1h)")
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		a, t, err := c.tenantApp(ctx, *tenant)
		if err != nil {
			return err
		}
		cl := &gatehouse.Client{
			Name: *name, Description: *description, RedirectURIs: redirects, PostLogoutRedirectURIs: postLogout,
			AllowedOrigins: origins, Scopes: splitList(*scopes), GrantTypes: splitList(*grants),
			AuthMethod: *authMethod, IDTokenAlg: *alg, FirstParty: *firstParty,
			AlwaysIssueRefreshToken: *alwaysRefresh, LogoURI: *logo, AccessTokenTTL: *accessTTL, IDTokenTTL: *idTTL,
		}
		if *public {
			cl.Type = gatehouse.ClientPublic
		}
		cl, issued, err := a.Admin.CreateClient(ctx, c.actor(), t.ID, cl)
		if err != nil {
			return err
		}
		if c.json {
			return printJSON(c.io.out, admin.NewClientDoc(cl, issued))
		}
		return printIssued(c, cl, issued)
	}
}

// printIssued shows a new credential; its secret is printed this once.
func printIssued(c *cli, cl *gatehouse.Client, issued *admin.IssuedCredential) error {
	w := c.io.out
	fmt.Fprintf(w, "Client:        %s (%s)\n", cl.Name, cl.ID)
	fmt.Fprintf(w, "client_id:     %s\n", issued.ClientID)
	if issued.Secret != "" {
		fmt.Fprintf(w, "client_secret: %s\n", issued.Secret)
		fmt.Fprintln(w, "\nStore the secret now: it is not shown again.")
	}
	return nil
}

func clientListCommand(fs *flag.FlagSet, c *cli) func(context.Context, []string) error {
	tenant := c.tenantFlag(fs)
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		a, t, err := c.tenantApp(ctx, *tenant)
		if err != nil {
			return err
		}
		clients, err := listAll(func(opt gatehouse.ListOptions) ([]*gatehouse.Client, string, error) {
			return a.Admin.ListClients(ctx, t.ID, opt)
		})
		if err != nil {
			return err
		}
		// A listing shows no secret: those exist only when issued.
		doc := func(cl *gatehouse.Client) admin.ClientDoc { return admin.NewClientDoc(cl, nil) }
		return printList(c, clients, doc,
			[]string{"ID", "NAME", "TYPE", "CLIENT_IDS", "CREATED"},
			func(cl *gatehouse.Client) []string {
				ids := make([]string, 0, len(cl.Credentials))
				for _, cr := range cl.Credentials {
					ids = append(ids, cr.ClientID)
				}
				return []string{cl.ID, cl.Name, string(cl.Type), strings.Join(ids, ","), stamp(cl.CreatedAt)}
			})
	}
}

func clientShowCommand(fs *flag.FlagSet, c *cli) func(context.Context, []string) error {
	tenant := c.tenantFlag(fs)
	return func(ctx context.Context, args []string) error {
		ref, err := oneArg(args, "the client's id or client_id")
		if err != nil {
			return err
		}
		a, t, err := c.tenantApp(ctx, *tenant)
		if err != nil {
			return err
		}
		cl, err := a.Admin.Client(ctx, t.ID, ref)
		if err != nil {
			return err
		}
		if c.json {
			return printJSON(c.io.out, admin.NewClientDoc(cl, nil))
		}
		w := c.io.out
		iss := c.issuer()
		fmt.Fprintf(w, "Name:           %s\n", cl.Name)
		fmt.Fprintf(w, "ID:             %s\n", cl.ID)
		fmt.Fprintf(w, "Type:           %s (%s)\n", cl.Type, cl.AuthMethod)
		fmt.Fprintf(w, "Redirect URIs:  %s\n", orDash(strings.Join(cl.RedirectURIs, " ")))
		fmt.Fprintf(w, "Scopes:         %s\n", strings.Join(cl.Scopes, " "))
		fmt.Fprintf(w, "Grant types:    %s\n", strings.Join(cl.GrantTypes, " "))
		fmt.Fprintf(w, "ID token alg:   %s\n", cl.IDTokenAlg)
		fmt.Fprintf(w, "First party:    %v\n", cl.FirstParty)
		fmt.Fprintln(w, "\nCredentials:")
		tb := newTable(w, "  CLIENT_ID", "NAME", "SECRET", "EXPIRES", "LAST_USED")
		for _, cr := range cl.Credentials {
			hint := "-"
			if cr.SecretHint != "" {
				hint = "…" + cr.SecretHint
			}
			tb.row("  "+cr.ClientID, cr.Name, hint, stamp(cr.ExpiresAt), stamp(cr.LastUsedAt))
		}
		if err := tb.flush(); err != nil {
			return err
		}
		fmt.Fprintln(w, "\nValues for an OIDC plugin:")
		fmt.Fprintf(w, "  Issuer:        %s\n", iss)
		fmt.Fprintf(w, "  Discovery:     %s/.well-known/openid-configuration\n", iss)
		fmt.Fprintf(w, "  Authorize URL: %s/oauth/authorize\n", iss)
		fmt.Fprintf(w, "  Token URL:     %s/oauth/token\n", iss)
		fmt.Fprintf(w, "  UserInfo URL:  %s/oauth/userinfo\n", iss)
		fmt.Fprintf(w, "  JWKS URL:      %s/oauth/jwks.json\n", iss)
		fmt.Fprintf(w, "  Scopes:        %s\n", strings.Join(cl.Scopes, " "))
		return nil
	}
}

func clientRotateCommand(fs *flag.FlagSet, c *cli) func(context.Context, []string) error {
	tenant := c.tenantFlag(fs)
	grace := fs.Duration("grace", 0, "how long the old credentials keep working (e.g. 24h; default: they stop at once)")
	return func(ctx context.Context, args []string) error {
		ref, err := oneArg(args, "the client's id or client_id")
		if err != nil {
			return err
		}
		a, t, err := c.tenantApp(ctx, *tenant)
		if err != nil {
			return err
		}
		cl, issued, err := a.Admin.RotateClientSecret(ctx, c.actor(), t.ID, ref, *grace)
		if err != nil {
			return err
		}
		if c.json {
			return printJSON(c.io.out, admin.NewClientDoc(cl, issued))
		}
		if err := printIssued(c, cl, issued); err != nil {
			return err
		}
		fmt.Fprintf(c.io.out, "The previous credentials stop working at %s.\n", stamp(a.clock().Add(*grace)))
		return nil
	}
}

// oneArg returns the single positional argument a command needs.
func oneArg(args []string, what string) (string, error) {
	switch len(args) {
	case 0:
		return "", usageError("missing argument: %s", what)
	case 1:
		return args[0], nil
	}
	return "", usageError("unexpected argument %q", args[1])
}
