package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	jose "github.com/go-jose/go-jose/v4"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata")

// t0 is the pinned start of every test clock.
var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// testClock is a settable clock for one test.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *testClock { return &testClock{now: t0} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func mustSealer(tb testing.TB, fill byte) *secret.Sealer {
	tb.Helper()
	s, err := secret.NewSealer(bytes.Repeat([]byte{fill}, secret.MasterKeySize))
	if err != nil {
		tb.Fatalf("NewSealer: %v", err)
	}
	return s
}

func mustBuild(tb testing.TB, m *Manager, rows []*gatehouse.SigningKey) *Set {
	tb.Helper()
	s, err := m.build(rows, m.clock())
	if err != nil {
		tb.Fatalf("build: %v", err)
	}
	return s
}

// generatedRows is made once: RSA generation is the slow part of these
// tests, and the store-less tests only read the rows (or clones).
var generatedRows = sync.OnceValues(func() ([]*gatehouse.SigningKey, error) {
	sealer, err := secret.NewSealer(bytes.Repeat([]byte{1}, secret.MasterKeySize))
	if err != nil {
		return nil, err
	}
	m := NewManager(nil, sealer, newClock().Now, nil)
	var rows []*gatehouse.SigningKey
	for _, p := range Purposes() {
		for _, alg := range Algorithms() {
			for _, st := range []gatehouse.KeyState{gatehouse.KeyActive, gatehouse.KeyNext} {
				k, err := m.newKey(p, alg, st, t0)
				if err != nil {
					return nil, err
				}
				rows = append(rows, k)
			}
		}
	}
	return rows, nil
})

// storelessKeys returns an active and a next key of every purpose and
// algorithm, sealed under master key 1, as store rows.
func storelessKeys(tb testing.TB) []*gatehouse.SigningKey {
	tb.Helper()
	rows, err := generatedRows()
	if err != nil {
		tb.Fatalf("generate keys: %v", err)
	}
	return rows
}

func cloneRows(rows []*gatehouse.SigningKey) []*gatehouse.SigningKey {
	out := make([]*gatehouse.SigningKey, len(rows))
	for i, r := range rows {
		c := *r
		out[i] = &c
	}
	return out
}

func TestNewKeyRow(t *testing.T) {
	t.Parallel()
	rows := storelessKeys(t)
	seen := map[string]bool{}
	for _, r := range rows {
		if len(r.ID) != 22 || strings.Trim(r.ID, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			t.Errorf("kid %q: want 22 base64url characters (128 random bits)", r.ID)
		}
		if seen[r.ID] {
			t.Errorf("kid %q used twice", r.ID)
		}
		seen[r.ID] = true
		if r.TenantID != "" {
			t.Errorf("kid %s: TenantID = %q, want the platform's", r.ID, r.TenantID)
		}
		if !r.CreatedAt.Equal(t0) {
			t.Errorf("kid %s: CreatedAt = %v, want the clock's %v", r.ID, r.CreatedAt, t0)
		}
		if wantActivated := r.State == gatehouse.KeyActive; r.ActivatedAt.IsZero() == wantActivated {
			t.Errorf("kid %s (%s): ActivatedAt = %v", r.ID, r.State, r.ActivatedAt)
		}
		if _, err := parsePublic(r.Algorithm, r.PublicKey); err != nil {
			t.Errorf("kid %s: public key: %v", r.ID, err)
		}
		if _, err := x509.ParsePKCS8PrivateKey(r.SealedPrivateKey); err == nil {
			t.Errorf("kid %s: the stored private key parses without unsealing", r.ID)
		}
	}
	if want := len(Purposes()) * len(Algorithms()) * 2; len(rows) != want {
		t.Errorf("got %d rows, want %d", len(rows), want)
	}
}

func TestSetSignerAndKey(t *testing.T) {
	t.Parallel()
	m := NewManager(nil, mustSealer(t, 1), newClock().Now, nil)
	rows := storelessKeys(t)
	set := mustBuild(t, m, rows)
	for _, r := range rows {
		k, ok := set.Key(r.Purpose, r.ID)
		if !ok {
			t.Errorf("Key(%s, %s) not found", r.Purpose, r.ID)
			continue
		}
		if k.Algorithm != r.Algorithm || k.State != r.State || k.Purpose != r.Purpose {
			t.Errorf("Key(%s) = %s %s %s, want %s %s %s", r.ID, k.Purpose, k.Algorithm, k.State, r.Purpose, r.Algorithm, r.State)
		}
		if k.Private == nil {
			t.Errorf("Key(%s) (%s) has no private key", r.ID, r.State)
		}
		other := gatehouse.KeyPurposeRuntime
		if r.Purpose == other {
			other = gatehouse.KeyPurposeOAuth
		}
		if _, ok := set.Key(other, r.ID); ok {
			t.Errorf("Key(%s, %s) found a key of purpose %s", other, r.ID, r.Purpose)
		}
		if r.State == gatehouse.KeyActive {
			s, err := set.Signer(r.Purpose, r.Algorithm)
			if err != nil || s.ID != r.ID {
				t.Errorf("Signer(%s, %s) = %v, %v; want kid %s", r.Purpose, r.Algorithm, s, err, r.ID)
			}
		}
	}
	tests := []struct {
		name    string
		set     *Set
		purpose gatehouse.KeyPurpose
		alg     string
	}{
		{"unknown algorithm", set, gatehouse.KeyPurposeOAuth, "HS256"},
		{"none algorithm", set, gatehouse.KeyPurposeOAuth, "none"},
		{"unknown purpose", set, "other", ES256},
		{"nil set", nil, gatehouse.KeyPurposeOAuth, ES256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := tt.set.Signer(tt.purpose, tt.alg)
			if k != nil || !gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
				t.Errorf("Signer = %v, %v; want nil, ENOTFOUND", k, err)
			}
			if k, ok := tt.set.Key(tt.purpose, "nope"); ok || k != nil {
				t.Errorf("Key of an unknown kid = %v, %v; want nil, false", k, ok)
			}
		})
	}
	if got := string((*Set)(nil).JWKS(gatehouse.KeyPurposeOAuth)); got != `{"keys":[]}` {
		t.Errorf("nil set JWKS = %s, want an empty key set", got)
	}
}

func TestBuildRefusesWrongMasterKey(t *testing.T) {
	t.Parallel()
	rows := storelessKeys(t)
	m := NewManager(nil, mustSealer(t, 2), newClock().Now, nil)
	_, err := m.build(rows, t0)
	if err == nil {
		t.Fatal("build with another master key = nil error, want one")
	}
	if !errors.Is(err, secret.ErrUnseal) || !strings.Contains(err.Error(), rows[0].ID) {
		t.Errorf("error %q: want ErrUnseal naming kid %s", err, rows[0].ID)
	}
}

func TestBuildRefusesAlteredRows(t *testing.T) {
	t.Parallel()
	m := NewManager(nil, mustSealer(t, 1), newClock().Now, nil)
	find := func(rows []*gatehouse.SigningKey, p gatehouse.KeyPurpose, alg string, st gatehouse.KeyState) *gatehouse.SigningKey {
		for _, r := range rows {
			if r.Purpose == p && r.Algorithm == alg && r.State == st {
				return r
			}
		}
		t.Fatalf("no %s %s %s row", p, alg, st)
		return nil
	}
	weakRSA, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkix := func(k crypto.PublicKey) []byte {
		b, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name   string
		alter  func(rows []*gatehouse.SigningKey)
		errHas string
	}{
		{"sealed key moved to another row", func(rows []*gatehouse.SigningKey) {
			a := find(rows, gatehouse.KeyPurposeOAuth, ES256, gatehouse.KeyActive)
			b := find(rows, gatehouse.KeyPurposeOAuth, ES256, gatehouse.KeyNext)
			a.SealedPrivateKey = b.SealedPrivateKey
		}, "cannot unseal"},
		{"public key swapped", func(rows []*gatehouse.SigningKey) {
			a := find(rows, gatehouse.KeyPurposeOAuth, ES256, gatehouse.KeyActive)
			b := find(rows, gatehouse.KeyPurposeOAuth, ES256, gatehouse.KeyNext)
			a.PublicKey = b.PublicKey
		}, "does not match"},
		{"sealed key truncated", func(rows []*gatehouse.SigningKey) {
			a := find(rows, gatehouse.KeyPurposeRuntime, EdDSA, gatehouse.KeyNext)
			a.SealedPrivateKey = a.SealedPrivateKey[:10]
		}, "cannot unseal"},
		{"public key garbage", func(rows []*gatehouse.SigningKey) {
			find(rows, gatehouse.KeyPurposeOAuth, RS256, gatehouse.KeyActive).PublicKey = []byte("garbage")
		}, "parse public key"},
		{"algorithm does not fit the key", func(rows []*gatehouse.SigningKey) {
			find(rows, gatehouse.KeyPurposeOAuth, ES256, gatehouse.KeyActive).Algorithm = RS256
		}, "RS256 key holds"},
		{"weak RSA key", func(rows []*gatehouse.SigningKey) {
			find(rows, gatehouse.KeyPurposeOAuth, RS256, gatehouse.KeyActive).PublicKey = pkix(&weakRSA.PublicKey)
		}, "1024 bits"},
		{"P-384 key for ES256", func(rows []*gatehouse.SigningKey) {
			find(rows, gatehouse.KeyPurposeOAuth, ES256, gatehouse.KeyActive).PublicKey = pkix(&p384.PublicKey)
		}, "P-384"},
		{"unknown state", func(rows []*gatehouse.SigningKey) {
			find(rows, gatehouse.KeyPurposeOAuth, ES256, gatehouse.KeyNext).State = "pending"
		}, "unknown state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows := cloneRows(storelessKeys(t))
			tt.alter(rows)
			_, err := m.build(rows, t0)
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("build = %v, want an error containing %q", err, tt.errHas)
			}
		})
	}
}

func TestBuildSkipsUnknownAndUnpublished(t *testing.T) {
	t.Parallel()
	m := NewManager(nil, mustSealer(t, 1), newClock().Now, nil)
	rows := cloneRows(storelessKeys(t))
	rows[0].Algorithm = "PS512" // a key a newer version made
	rows[1].State = gatehouse.KeyRetired
	rows[1].NotAfter = t0 // expired exactly now
	rows[2].State = gatehouse.KeyRetired
	rows[2].NotAfter = t0.Add(time.Second)
	rows[2].SealedPrivateKey = nil // retired keys are not unsealed
	set := mustBuild(t, m, rows)
	for i, want := range []bool{false, false, true} {
		if _, ok := set.Key(rows[i].Purpose, rows[i].ID); ok != want {
			t.Errorf("row %d (%s, %s, not after %v): published = %v, want %v",
				i, rows[i].Algorithm, rows[i].State, rows[i].NotAfter, ok, want)
		}
	}
	if k, _ := set.Key(rows[2].Purpose, rows[2].ID); k != nil && k.Private != nil {
		t.Errorf("retired key has a private key loaded")
	}
}

// jwkMembers decodes a JWKS into one map per key.
func jwkMembers(t *testing.T, doc []byte) []map[string]any {
	t.Helper()
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&set); err != nil {
		t.Fatalf("JWKS %s: %v", doc, err)
	}
	return set.Keys
}

func TestJWKSPublicPartsOnly(t *testing.T) {
	t.Parallel()
	m := NewManager(nil, mustSealer(t, 1), newClock().Now, nil)
	rows := storelessKeys(t)
	set := mustBuild(t, m, rows)
	wantMembers := map[string][]string{
		"RSA": {"alg", "e", "kid", "kty", "n", "use"},
		"EC":  {"alg", "crv", "kid", "kty", "use", "x", "y"},
		"OKP": {"alg", "crv", "kid", "kty", "use", "x"},
	}
	for _, purpose := range Purposes() {
		t.Run(string(purpose), func(t *testing.T) {
			t.Parallel()
			doc := set.JWKS(purpose)
			if !bytes.Equal(doc, set.JWKS(purpose)) {
				t.Error("JWKS differs between two calls")
			}
			keys := jwkMembers(t, doc)
			var kids []string
			for _, k := range keys {
				kty, _ := k["kty"].(string)
				var members []string
				for name := range k {
					members = append(members, name)
				}
				sort.Strings(members)
				if want := wantMembers[kty]; !slices.Equal(members, want) {
					t.Errorf("key %v: members %v, want %v (public parts only)", k["kid"], members, want)
				}
				if k["use"] != "sig" {
					t.Errorf("key %v: use = %v, want sig", k["kid"], k["use"])
				}
				kid, _ := k["kid"].(string)
				kids = append(kids, kid)
				sk, ok := set.Key(purpose, kid)
				if !ok {
					t.Errorf("JWKS key %s is not in the set", kid)
					continue
				}
				if k["alg"] != sk.Algorithm {
					t.Errorf("key %s: alg = %v, want %s", kid, k["alg"], sk.Algorithm)
				}
			}
			var want []string
			for _, r := range rows {
				if r.Purpose == purpose {
					want = append(want, r.ID)
				}
			}
			if !slices.Equal(kids, want) {
				t.Errorf("JWKS kids = %v, want %v (store order)", kids, want)
			}
		})
	}
}

// TestJWKSGolden pins the shape of the JWKS: the members of each key type
// with their variable values masked. Refresh with go test -update.
func TestJWKSGolden(t *testing.T) {
	t.Parallel()
	m := NewManager(nil, mustSealer(t, 1), newClock().Now, nil)
	set := mustBuild(t, m, storelessKeys(t))
	keys := jwkMembers(t, set.JWKS(gatehouse.KeyPurposeOAuth))
	var masked []string
	for _, k := range keys {
		for _, name := range []string{"kid", "n", "x", "y"} {
			if v, ok := k[name].(string); ok {
				k[name] = fmt.Sprintf("<%d base64url characters>", len(v))
			}
		}
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(k); err != nil {
			t.Fatal(err)
		}
		masked = append(masked, strings.TrimSuffix(b.String(), "\n"))
	}
	sort.Strings(masked) // the store order of equal-time keys is not part of the shape
	got := []byte("[\n" + strings.Join(masked, ",\n") + "\n]\n")
	path := filepath.Join("testdata", "jwks.golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("JWKS shape changed (run go test -update if intended)\ngot:\n%s\nwant:\n%s", got, want)
	}
}

// signWith signs payload with k as the token package would.
func signWith(t testing.TB, k *Key, payload []byte) string {
	t.Helper()
	signer, err := jose.NewSigner(k.SigningKey(), (&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		t.Fatalf("NewSigner(%s): %v", k.Algorithm, err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatalf("Sign(%s): %v", k.Algorithm, err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// verifyWithJWKS verifies tok the way a relying party does: parse the
// published JWKS, find the key by the token's kid, check the signature.
func verifyWithJWKS(jwks []byte, tok string) ([]byte, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwks, &set); err != nil {
		return nil, err
	}
	jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
	if err != nil {
		return nil, err
	}
	kid := jws.Signatures[0].Header.KeyID
	keys := set.Key(kid)
	if len(keys) != 1 {
		return nil, fmt.Errorf("kid %q: %d keys in the JWKS", kid, len(keys))
	}
	if !keys[0].IsPublic() {
		return nil, errors.New("the JWKS holds a private key")
	}
	if keys[0].Algorithm != jws.Signatures[0].Header.Algorithm {
		return nil, fmt.Errorf("token alg %s, JWK alg %s", jws.Signatures[0].Header.Algorithm, keys[0].Algorithm)
	}
	return jws.Verify(keys[0])
}

func TestSignVerifyWithJWKS(t *testing.T) {
	t.Parallel()
	m := NewManager(nil, mustSealer(t, 1), newClock().Now, nil)
	set := mustBuild(t, m, storelessKeys(t))
	payload := []byte(`{"iss":"https://id.example.com","sub":"u1","aud":"api","exp":1790000000}`)
	for _, purpose := range Purposes() {
		for _, alg := range Algorithms() {
			t.Run(string(purpose)+"/"+alg, func(t *testing.T) {
				t.Parallel()
				k, err := set.Signer(purpose, alg)
				if err != nil {
					t.Fatal(err)
				}
				tok := signWith(t, k, payload)
				got, err := verifyWithJWKS(set.JWKS(purpose), tok)
				if err != nil {
					t.Fatalf("verify with the %s JWKS: %v", purpose, err)
				}
				if !bytes.Equal(got, payload) {
					t.Errorf("payload = %s, want %s", got, payload)
				}
				other := gatehouse.KeyPurposeRuntime
				if purpose == other {
					other = gatehouse.KeyPurposeOAuth
				}
				if _, err := verifyWithJWKS(set.JWKS(other), tok); err == nil {
					t.Errorf("a %s token verified with the %s JWKS", purpose, other)
				}
				tampered := tok[:len(tok)-4] + strings.Map(func(r rune) rune {
					if r == 'A' {
						return 'B'
					}
					return 'A'
				}, tok[len(tok)-4:])
				if _, err := verifyWithJWKS(set.JWKS(purpose), tampered); err == nil {
					t.Error("a tampered signature verified")
				}
			})
		}
	}
}

func TestSigningKeyWithoutPrivate(t *testing.T) {
	t.Parallel()
	var nilKey *Key
	if got := nilKey.SigningKey(); got.Key != nil {
		t.Errorf("nil Key: SigningKey = %+v, want the zero value", got)
	}
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k := &Key{ID: "k", Algorithm: EdDSA, Public: pub}
	if got := k.SigningKey(); got.Key != nil {
		t.Errorf("public-only Key: SigningKey = %+v, want the zero value", got)
	}
}

// TestRetiredKeyExpiresFromCurrent checks that Current stops publishing a
// retired key at its NotAfter without a reload.
func TestRetiredKeyExpiresFromCurrent(t *testing.T) {
	t.Parallel()
	clock := newClock()
	m := NewManager(nil, mustSealer(t, 1), clock.Now, nil)
	rows := cloneRows(storelessKeys(t))
	var retired *gatehouse.SigningKey
	for _, r := range rows {
		if r.Purpose == gatehouse.KeyPurposeOAuth && r.Algorithm == ES256 && r.State == gatehouse.KeyNext {
			r.State = gatehouse.KeyRetired
			r.RetiredAt = t0
			r.NotAfter = t0.Add(time.Hour)
			retired = r
		}
	}
	m.set.Store(mustBuild(t, m, rows))
	inJWKS := func() bool {
		for _, k := range jwkMembers(t, m.Current().JWKS(gatehouse.KeyPurposeOAuth)) {
			if k["kid"] == retired.ID {
				return true
			}
		}
		return false
	}
	tests := []struct {
		name string
		at   time.Time
		want bool
	}{
		{"at retirement", t0, true},
		{"just before NotAfter", t0.Add(time.Hour - time.Microsecond), true},
		{"at NotAfter", t0.Add(time.Hour), false},
		{"after NotAfter", t0.Add(2 * time.Hour), false},
	}
	for _, tt := range tests { // sequential: they share the clock
		clock.Set(tt.at)
		_, inSet := m.Current().Key(gatehouse.KeyPurposeOAuth, retired.ID)
		if got := inJWKS(); got != tt.want || inSet != tt.want {
			t.Errorf("%s: in JWKS %v, in set %v; want %v", tt.name, got, inSet, tt.want)
		}
	}
	if got, want := len(jwkMembers(t, m.Current().JWKS(gatehouse.KeyPurposeOAuth))), 5; got != want {
		t.Errorf("after expiry the JWKS has %d keys, want %d", got, want)
	}
}

func TestCurrentBeforeLoad(t *testing.T) {
	t.Parallel()
	m := NewManager(nil, mustSealer(t, 1), newClock().Now, nil)
	if s := m.Current(); s != nil {
		t.Errorf("Current before any load = %v, want nil", s)
	}
	if _, err := m.Current().Signer(gatehouse.KeyPurposeOAuth, ES256); !gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		t.Errorf("Signer before any load: err = %v, want ENOTFOUND", err)
	}
}
