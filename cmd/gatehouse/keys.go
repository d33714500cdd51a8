package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse"
)

// keyJSON is the --json shape of a signing key: public facts only.
type keyJSON struct {
	ID          string     `json:"kid"`
	Purpose     string     `json:"purpose"`
	Algorithm   string     `json:"alg"`
	State       string     `json:"state"`
	CreatedAt   time.Time  `json:"created_at"`
	ActivatedAt *time.Time `json:"activated_at"`
	RetiredAt   *time.Time `json:"retired_at"`
	NotAfter    *time.Time `json:"published_until"`
}

func toKeyJSON(k *gatehouse.SigningKey) keyJSON {
	return keyJSON{ID: k.ID, Purpose: string(k.Purpose), Algorithm: k.Algorithm, State: string(k.State),
		CreatedAt: k.CreatedAt.UTC(), ActivatedAt: jsonTime(k.ActivatedAt), RetiredAt: jsonTime(k.RetiredAt),
		NotAfter: jsonTime(k.NotAfter)}
}

func printKeys(c *cli, ks []*gatehouse.SigningKey) error {
	return printList(c, ks, toKeyJSON,
		[]string{"KID", "PURPOSE", "ALG", "STATE", "CREATED", "ACTIVATED", "PUBLISHED_UNTIL"},
		func(k *gatehouse.SigningKey) []string {
			until := "-"
			if k.State == gatehouse.KeyRetired {
				until = stamp(k.NotAfter)
			}
			return []string{k.ID, string(k.Purpose), k.Algorithm, string(k.State), stamp(k.CreatedAt), stamp(k.ActivatedAt), until}
		})
}

func keysListCommand(fs *flag.FlagSet, c *cli) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		a, err := c.app(ctx)
		if err != nil {
			return err
		}
		if err := a.Keys.Ensure(ctx); err != nil {
			return err
		}
		ks, err := a.Keys.List(ctx)
		if err != nil {
			return err
		}
		return printKeys(c, ks)
	}
}

// defaultRetireAfter keeps a retired OAuth key published for as long as the
// longest-lived token it can have signed: an ID or access token at its
// maximum lifetime.
const defaultRetireAfter = max(gatehouse.MaxAccessTokenTTL, gatehouse.MaxIDTokenTTL)

func keysRotateCommand(fs *flag.FlagSet, c *cli) func(context.Context, []string) error {
	purpose := fs.String("purpose", string(gatehouse.KeyPurposeOAuth), "which keys: oauth or runtime")
	retire := fs.Duration("retire-after", defaultRetireAfter, "how long retired keys stay in the JWKS (the longest token lifetime)")
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		p := gatehouse.KeyPurpose(*purpose)
		if p != gatehouse.KeyPurposeOAuth && p != gatehouse.KeyPurposeRuntime {
			return usageError("--purpose: must be oauth or runtime")
		}
		if *retire < 0 {
			return usageError("--retire-after: must not be negative")
		}
		a, err := c.app(ctx)
		if err != nil {
			return err
		}
		if err := a.Keys.Ensure(ctx); err != nil {
			return err
		}
		ks, err := a.Keys.Rotate(ctx, p, *retire)
		if err != nil {
			return err
		}
		details := map[string]string{"purpose": string(p), "retire_after": retire.String()}
		if err := a.Audit.RecordSync(ctx, gatehouse.AuditEvent{Actor: c.actor().ID, Action: "keys.rotate",
			Target: "keys:" + string(p), Result: gatehouse.ResultSuccess, Details: details}); err != nil {
			return err
		}
		if !c.json {
			fmt.Fprintf(c.io.out, "Rotated the %s keys. A running server picks them up within a minute; restart it to switch at once.\n\n", p)
		}
		return printKeys(c, ks)
	}
}
