package provider_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
	"github.com/gatehouse-id/gatehouse/token"
)

// The benchmarks drive the server's complete handler (issuer resolution,
// middleware, the endpoint) over SQLite in a temporary directory, without
// the network: what one request costs the server. They report ns/op and
// req/s for one client at a time.
//
//	go test ./provider/ -run '^$' -bench . -benchtime 2s

// benchServe sends one request to the handler and checks its status.
func benchServe(b *testing.B, h http.Handler, req *http.Request, want int) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("%s %s: got %d, want %d: %s", req.Method, req.URL.Path, rec.Code, want, rec.Body)
	}
	return rec
}

// formRequest builds a form POST with HTTP Basic client authentication.
func formRequest(target string, form url.Values, c *gatehousetest.Client) *http.Request {
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(c.ClientID, c.ClientSecret)
	return req
}

func reportRate(b *testing.B, n int) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(n)/s, "req/s")
	}
}

// BenchmarkTokenCodeGrant measures the code exchange: client
// authentication, the redeem transaction (code, grant, refresh token) and
// two signatures, the ID token's with each algorithm. Storing the code,
// the front channel's work, is not timed.
func BenchmarkTokenCodeGrant(b *testing.B) {
	e := newEnv(b)
	h := e.s.App.Handler()
	for _, alg := range gatehouse.SigningAlgorithms() {
		b.Run(alg, func(b *testing.B) {
			c := e.s.MustClient(b, e.tenant.ID, func(c *gatehouse.Client) { c.IDTokenAlg = alg })
			target := e.s.URL + "/oauth/token"
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				b.StopTimer()
				code := e.mustCode(b, c, codeOpts{})
				req := formRequest(target, url.Values{
					"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {c.RedirectURIs[0]},
				}, c)
				b.StartTimer()
				benchServe(b, h, req, http.StatusOK)
				n++
			}
			reportRate(b, n)
		})
	}
}

// BenchmarkTokenRefresh measures a refresh: the rotation transaction, the
// user check and two signatures, the access token's (ES256) and the ID
// token's with each algorithm.
func BenchmarkTokenRefresh(b *testing.B) {
	e := newEnv(b)
	h := e.s.App.Handler()
	for _, alg := range gatehouse.SigningAlgorithms() {
		b.Run(alg, func(b *testing.B) {
			c := e.s.MustClient(b, e.tenant.ID, func(c *gatehouse.Client) { c.IDTokenAlg = alg })
			rt := e.mustLogin(b, c, codeOpts{}).RefreshToken
			target := e.s.URL + "/oauth/token"
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				req := formRequest(target, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, c)
				rec := benchServe(b, h, req, http.StatusOK)
				rt = extract(b, rec.Body.String(), "refresh_token")
				n++
			}
			reportRate(b, n)
		})
	}
}

// BenchmarkTokenClientCredentials measures the client credentials grant:
// client authentication and one ES256 signature, no write.
func BenchmarkTokenClientCredentials(b *testing.B) {
	e := newEnv(b)
	h := e.s.App.Handler()
	c := e.s.MustClient(b, e.tenant.ID, func(c *gatehouse.Client) {
		c.GrantTypes = []string{"client_credentials"}
		c.Scopes = []string{"profile"}
	})
	target := e.s.URL + "/oauth/token"
	form := url.Values{"grant_type": {"client_credentials"}}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		benchServe(b, h, formRequest(target, form, c), http.StatusOK)
		n++
	}
	reportRate(b, n)
}

// BenchmarkUserinfo measures userinfo: an ES256 verification, the
// revocation check, and loading the user and tenant.
func BenchmarkUserinfo(b *testing.B) {
	e := newEnv(b)
	h := e.s.App.Handler()
	c := e.s.MustClient(b, e.tenant.ID, nil)
	at := e.mustLogin(b, c, codeOpts{}).AccessToken
	target := e.s.URL + "/oauth/userinfo"
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("Authorization", "Bearer "+at)
		benchServe(b, h, req, http.StatusOK)
		n++
	}
	reportRate(b, n)
}

// BenchmarkIntrospect measures introspection of an access token by a
// resource server of the same tenant: client authentication, an ES256
// verification, the revocation check and the user check.
func BenchmarkIntrospect(b *testing.B) {
	e := newEnv(b)
	h := e.s.App.Handler()
	c := e.s.MustClient(b, e.tenant.ID, nil)
	rs := e.s.MustClient(b, e.tenant.ID, func(c *gatehouse.Client) {
		c.GrantTypes = []string{"client_credentials"}
		c.Scopes = []string{"profile"}
	})
	at := e.mustLogin(b, c, codeOpts{}).AccessToken
	target := e.s.URL + "/oauth/introspect"
	form := url.Values{"token": {at}}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		rec := benchServe(b, h, formRequest(target, form, rs), http.StatusOK)
		if !strings.HasPrefix(rec.Body.String(), `{"active":true`) {
			b.Fatalf("inactive: %s", rec.Body)
		}
		n++
	}
	reportRate(b, n)
}

// extract returns a string member of a small JSON object without a full
// decode, so that the benchmark measures the server, not the client.
func extract(b *testing.B, body, name string) string {
	key := `"` + name + `":"`
	i := strings.Index(body, key)
	if i < 0 {
		b.Fatalf("no %s in %s", name, body)
	}
	rest := body[i+len(key):]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		b.Fatalf("malformed %s", body)
	}
	return rest[:j]
}

// BenchmarkSignCeiling measures how many ID tokens the server's minter
// signs per second with every CPU busy (RunParallel over GOMAXPROCS
// goroutines), per algorithm: the ceiling of a grant whose cost is its
// signatures. Run with -cpu set to the machine's cores.
func BenchmarkSignCeiling(b *testing.B) {
	e := newEnv(b)
	now := e.s.Clock.Now()
	for _, alg := range gatehouse.SigningAlgorithms() {
		b.Run(alg, func(b *testing.B) {
			claims := token.IDClaims{Issuer: e.s.URL, Subject: e.user.ID, Audience: "gh_client",
				Expiry: now.Add(time.Hour), IssuedAt: now, SessionID: "sid"}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := e.s.App.Tokens.IDToken(claims, alg); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportRate(b, b.N)
		})
	}
}

// BenchmarkArgon2idCeiling measures password verifications per second
// through the server's hasher with every CPU busy: the ceiling of the
// password sign-in.
func BenchmarkArgon2idCeiling(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	encoded, err := e.s.App.Hasher.Hash(ctx, password)
	if err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := e.s.App.Hasher.Verify(ctx, password, encoded); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b, b.N)
}
