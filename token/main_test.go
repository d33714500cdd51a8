package token

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/keys"
	"github.com/gatehouse-id/gatehouse/sqlite"
)

// t0 is the pinned time of every test clock.
var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

const (
	testIssuer   = "https://id.example.com/t/acme"
	testAudience = "https://id.example.com/t/acme/oauth/userinfo"
	testClient   = "app-1"
)

// sharedKeys is one key manager over a real SQLite store, made once per
// test binary: generating the RSA keys is the slow part of these tests,
// and tests that do not rotate only read the keys.
var sharedKeys *keys.Manager

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "token-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	mgr, closeStore, err := openManager(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer closeStore()
	sharedKeys = mgr
	return m.Run()
}

// openManager opens a SQLite store in dir, migrates it and ensures the
// signing keys, with the key clock pinned at t0.
func openManager(dir string) (*keys.Manager, func(), error) {
	ctx := context.Background()
	clock := func() time.Time { return t0 }
	store, err := sqlite.Open(ctx, filepath.Join(dir, "gatehouse.db"), sqlite.Options{Clock: clock})
	if err != nil {
		return nil, nil, fmt.Errorf("open store: %w", err)
	}
	if _, err := store.Migrate(ctx); err != nil {
		store.Close()
		return nil, nil, fmt.Errorf("migrate: %w", err)
	}
	sealer, err := secret.NewSealer(bytes.Repeat([]byte{7}, secret.MasterKeySize))
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	mgr := keys.NewManager(store, sealer, clock, nil)
	if err := mgr.Ensure(ctx); err != nil {
		store.Close()
		return nil, nil, fmt.Errorf("ensure keys: %w", err)
	}
	return mgr, func() { store.Close() }, nil
}

// mustManager returns a key manager of its own for a test that changes
// keys.
func mustManager(t *testing.T) *keys.Manager {
	t.Helper()
	mgr, closeStore, err := openManager(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeStore)
	return mgr
}

// fixedClock returns a clock stopped at at.
func fixedClock(at time.Time) gatehouse.Clock { return func() time.Time { return at } }

// newTokens returns Tokens over the shared keys with its clock at t0.
func newTokens(alg string) *Tokens {
	return New(Options{Keys: sharedKeys, Clock: fixedClock(t0), AccessTokenAlg: alg})
}

// activeKey returns the active key of purpose and alg of the shared set.
func activeKey(tb testing.TB, purpose gatehouse.KeyPurpose, alg string) *keys.Key {
	tb.Helper()
	k, err := sharedKeys.Current().Signer(purpose, alg)
	if err != nil {
		tb.Fatalf("no active %s %s key: %v", purpose, alg, err)
	}
	return k
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// forge builds a compact JWS from a header and a payload given as JSON
// values (a []byte payload is used as is), signed by sign over the
// signing input.
func forge(tb testing.TB, header map[string]any, payload any, sign func(input []byte) []byte) string {
	tb.Helper()
	p, ok := payload.([]byte)
	if !ok {
		p = mustJSON(tb, payload)
	}
	input := b64(mustJSON(tb, header)) + "." + b64(p)
	return input + "." + b64(sign([]byte(input)))
}

// signWith returns a signing function for a JWS alg with key, built from
// the standard library alone so that a test controls every byte.
func signWith(tb testing.TB, alg string, key crypto.Signer) func([]byte) []byte {
	tb.Helper()
	return func(input []byte) []byte {
		switch alg {
		case "RS256", "RS384", "PS256":
			k := key.(*rsa.PrivateKey)
			var (
				sig []byte
				err error
			)
			switch alg {
			case "RS256":
				d := sha256.Sum256(input)
				sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, d[:])
			case "RS384":
				h := crypto.SHA384.New()
				h.Write(input)
				sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA384, h.Sum(nil))
			case "PS256":
				d := sha256.Sum256(input)
				sig, err = rsa.SignPSS(rand.Reader, k, crypto.SHA256, d[:], nil)
			}
			if err != nil {
				tb.Fatal(err)
			}
			return sig
		case "ES256":
			d := sha256.Sum256(input)
			r, s, err := ecdsa.Sign(rand.Reader, key.(*ecdsa.PrivateKey), d[:])
			if err != nil {
				tb.Fatal(err)
			}
			out := make([]byte, 64)
			r.FillBytes(out[:32])
			s.FillBytes(out[32:])
			return out
		case "EdDSA":
			return ed25519.Sign(key.(ed25519.PrivateKey), input)
		default:
			tb.Fatalf("signWith: unsupported alg %s", alg)
			return nil
		}
	}
}
