package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// The ceiling command measures, on this machine and at this moment, what
// bounds a path whatever the server does around it: JWT signatures of one
// algorithm, or argon2id password verifications, run on every CPU at
// once. The load figures of the same run are held to these ceilings
// (the RS256 targets, the password sign-in target), so the script runs it
// next to them rather than quoting a number measured on another day.

// ceilingKinds are what the ceiling command measures.
var ceilingKinds = []string{gatehouse.AlgRS256, gatehouse.AlgES256, gatehouse.AlgEdDSA, "argon2id"}

type ceilingConfig struct {
	What     string
	Duration time.Duration
	Workers  int
	JSON     bool
}

// ceilingReport is what the ceiling command measured.
type ceilingReport struct {
	What      string  `json:"what"`
	Workers   int     `json:"workers"`
	Ops       int64   `json:"ops"`
	Elapsed   float64 `json:"elapsed_seconds"`
	PerSecond float64 `json:"per_second"`
	// PerOpMS is the CPU time of one operation on one core.
	PerOpMS float64 `json:"per_op_ms"`
}

func parseCeilingFlags(args []string, stderr io.Writer) (*ceilingConfig, error) {
	fs := flag.NewFlagSet("gatehouse-load ceiling", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &ceilingConfig{}
	fs.StringVar(&c.What, "what", gatehouse.AlgRS256, "what to measure: "+strings.Join(ceilingKinds, ", "))
	fs.DurationVar(&c.Duration, "duration", 5*time.Second, "how long to measure (at most 1m)")
	fs.IntVar(&c.Workers, "workers", runtime.GOMAXPROCS(0), "goroutines working at once (default: one per CPU)")
	fs.BoolVar(&c.JSON, "json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return nil, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gatehouse-load ceiling: unexpected argument %q\n", fs.Arg(0))
		return nil, errUsage
	}
	switch {
	case !slices.Contains(ceilingKinds, c.What):
		return nil, fmt.Errorf("-what must be one of %s", strings.Join(ceilingKinds, ", "))
	case c.Duration <= 0 || c.Duration > time.Minute:
		return nil, errors.New("-duration must be above 0 and at most 1m")
	case c.Workers < 1 || c.Workers > 256:
		return nil, errors.New("-workers must be 1..256")
	}
	return c, nil
}

func ceilingCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseCeilingFlags(args, stderr)
	if err != nil {
		return err
	}
	op, err := ceilingOp(ctx, c.What)
	if err != nil {
		return err
	}
	rep, err := measureCeiling(ctx, c, op)
	if err != nil {
		return err
	}
	if c.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(stdout, "ceiling %s: %.0f/s with %d workers (%d in %.1fs; %.3f ms per operation per core)\n",
		rep.What, rep.PerSecond, rep.Workers, rep.Ops, rep.Elapsed, rep.PerOpMS)
	return nil
}

// ceilingOp returns one operation of the kind: a JWT signature over an
// ID token's worth of claims, or an argon2id verification with the
// server's parameters.
func ceilingOp(ctx context.Context, what string) (func() error, error) {
	if what == "argon2id" {
		h := secret.NewHasher(secret.OWASPArgon2, 1)
		hash, err := h.Hash(ctx, "correct horse battery staple")
		if err != nil {
			return nil, err
		}
		// One hasher per call, so the tool's own bound does not queue the
		// workers: each measures one core's verification.
		return func() error {
			return secret.NewHasher(secret.OWASPArgon2, 1).Verify(ctx, "correct horse battery staple", hash)
		}, nil
	}
	var key crypto.Signer
	var alg jose.SignatureAlgorithm
	var err error
	switch what {
	case gatehouse.AlgRS256:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
		alg = jose.RS256
	case gatehouse.AlgES256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		alg = jose.ES256
	case gatehouse.AlgEdDSA:
		_, key, err = ed25519.GenerateKey(rand.Reader)
		alg = jose.EdDSA
	}
	if err != nil {
		return nil, fmt.Errorf("generate %s key: %w", what, err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: "ceiling"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, err
	}
	payload := []byte(`{"iss":"http://127.0.0.1:8080/t/load","sub":"0b9d3f3e-6c1e-4c55-9a53-0f8f3f1b2c7d",` +
		`"aud":"gh_client_0123456789abcdef","exp":1900000000,"iat":1800000000,"auth_time":1800000000,` +
		`"at_hash":"x1Y2z3A4b5C6d7E8f9G0hA","sid":"5c1d0a9e-2f4b-4e33-8a1c-7d6e5f4a3b2c","amr":["pwd"],` +
		`"email":"load-1@example.com","email_verified":true,"name":"Load user 1","preferred_username":"load-1"}`)
	return func() error {
		jws, err := signer.Sign(payload)
		if err != nil {
			return err
		}
		_, err = jws.CompactSerialize()
		return err
	}, nil
}

// measureCeiling runs op on c.Workers goroutines for c.Duration; the
// first failure of op ends the measurement.
func measureCeiling(ctx context.Context, c *ceilingConfig, op func() error) (*ceilingReport, error) {
	ctx, cancel := context.WithTimeout(ctx, c.Duration)
	defer cancel()
	var ops atomic.Int64
	var once sync.Once
	var failed error
	var wg sync.WaitGroup
	start := time.Now()
	for range c.Workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				if err := op(); err != nil {
					once.Do(func() { failed = err })
					cancel()
					return
				}
				ops.Add(1)
			}
		})
	}
	wg.Wait()
	if failed != nil {
		return nil, fmt.Errorf("ceiling %s: %w", c.What, failed)
	}
	elapsed := time.Since(start).Seconds()
	rep := &ceilingReport{What: c.What, Workers: c.Workers, Ops: ops.Load(), Elapsed: elapsed}
	if elapsed > 0 {
		rep.PerSecond = float64(rep.Ops) / elapsed
	}
	if rep.Ops > 0 {
		rep.PerOpMS = elapsed * 1000 * float64(min(c.Workers, runtime.GOMAXPROCS(0))) / float64(rep.Ops)
	}
	return rep, nil
}
