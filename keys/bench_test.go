package keys

import (
	"testing"

	"github.com/gatehouse-id/gatehouse"
	jose "github.com/go-jose/go-jose/v4"
)

// accessTokenPayload is a typical RFC 9068 access token's claims.
const accessTokenPayload = `{"iss":"https://id.example.com/t/acme","sub":"0196f0a4-7c1e-7d2a-9b3c-4d5e6f708192",` +
	`"aud":"https://api.example.com","exp":1795000000,"iat":1794996400,"auth_time":1794996390,` +
	`"jti":"Jb5v0qS3kU2n8d7QeW1xYz","client_id":"0196f0a4-7c1e-7d2a-9b3c-aabbccddeeff",` +
	`"scope":"openid profile email orders:read"}`

// BenchmarkSign measures one access-token signature per algorithm with a
// signer made once (as the hot path keeps it), and with a signer made per
// token.
func BenchmarkSign(b *testing.B) {
	m := NewManager(nil, mustSealer(b, 1), newClock().Now, nil)
	set, err := m.build(storelessKeys(b), t0)
	if err != nil {
		b.Fatal(err)
	}
	payload := []byte(accessTokenPayload)
	opts := (&jose.SignerOptions{}).WithType("at+jwt")
	for _, alg := range Algorithms() {
		k, err := set.Signer(gatehouse.KeyPurposeOAuth, alg)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(alg, func(b *testing.B) {
			signer, err := jose.NewSigner(k.SigningKey(), opts)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				jws, err := signer.Sign(payload)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := jws.CompactSerialize(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(alg+"/new-signer", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				signer, err := jose.NewSigner(k.SigningKey(), opts)
				if err != nil {
					b.Fatal(err)
				}
				jws, err := signer.Sign(payload)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := jws.CompactSerialize(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
