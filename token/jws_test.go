package token

import (
	"bytes"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/keys"
)

// TestJWSSignerMatchesGoJOSE signs with each active key and header type
// and checks the result against go-jose: the same protected header, byte
// for byte, as go-jose's own signer writes, and a signature go-jose
// verifies with the public key.
func TestJWSSignerMatchesGoJOSE(t *testing.T) {
	t.Parallel()
	set := sharedKeys.Current()
	payload := []byte(`{"iss":"https://id.example.com","sub":"u-1","exp":1900000000}`)
	for _, alg := range keys.Algorithms() {
		k, err := set.Signer(gatehouse.KeyPurposeOAuth, alg)
		if err != nil {
			t.Fatalf("no %s key: %v", alg, err)
		}
		for _, typ := range []string{TypeJWT, TypeAccessToken} {
			t.Run(alg+"/"+typ, func(t *testing.T) {
				t.Parallel()
				s, err := newJWSSigner(k, typ)
				if err != nil {
					t.Fatalf("newJWSSigner: %v", err)
				}
				raw, err := s.sign(payload)
				if err != nil {
					t.Fatalf("sign: %v", err)
				}
				ref, err := jose.NewSigner(k.SigningKey(), (&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
				if err != nil {
					t.Fatal(err)
				}
				refJWS, err := ref.Sign(payload)
				if err != nil {
					t.Fatal(err)
				}
				refRaw, err := refJWS.CompactSerialize()
				if err != nil {
					t.Fatal(err)
				}
				got, want := strings.SplitN(raw, ".", 3), strings.SplitN(refRaw, ".", 3)
				if got[0] != want[0] || got[1] != want[1] {
					t.Errorf("header and payload: got %s.%s, want go-jose's %s.%s", got[0], got[1], want[0], want[1])
				}
				jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
				if err != nil {
					t.Fatalf("go-jose cannot parse the token: %v", err)
				}
				out, err := jws.Verify(k.Public)
				if err != nil || !bytes.Equal(out, payload) {
					t.Errorf("go-jose verification: got %q, %v; want the payload", out, err)
				}
			})
		}
	}
}

func TestRawECDSA(t *testing.T) {
	t.Parallel()
	// SEQUENCE { INTEGER, INTEGER } with DER's minimal integers.
	der := func(r, s []byte) []byte {
		body := append(append([]byte{0x02, byte(len(r))}, r...), append([]byte{0x02, byte(len(s))}, s...)...)
		return append([]byte{0x30, byte(len(body))}, body...)
	}
	full := bytes.Repeat([]byte{0x7f}, 32)
	high := append([]byte{0x00}, bytes.Repeat([]byte{0x80}, 32)...)
	tests := []struct {
		name string
		in   []byte
		want []byte // nil: an error
	}{
		{"full size", der(full, full), append(bytes.Clone(full), full...)},
		{"sign byte dropped", der(high, full), append(bytes.Repeat([]byte{0x80}, 32), full...)},
		{"short integers padded", der([]byte{0x01}, []byte{0x02, 0x03}),
			append(append(make([]byte, 31), 0x01), append(make([]byte, 30), 0x02, 0x03)...)},
		{"integer too large", der(append([]byte{0x01}, full...), full), nil},
		{"trailing bytes", append(der(full, full), 0x00), nil},
		{"not a sequence", []byte{0x02, 0x01, 0x01}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := rawECDSA(tt.in, 32)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("rawECDSA: got %x, want an error", got)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Errorf("rawECDSA: got %x, %v; want %x", got, err, tt.want)
			}
		})
	}
}
