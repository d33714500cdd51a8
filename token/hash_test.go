package token

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"testing"

	"github.com/gatehouse-id/gatehouse"
)

func TestAtHash(t *testing.T) {
	t.Parallel()
	const token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln"
	s256 := sha256.Sum256([]byte(token))
	s512 := sha512.Sum512([]byte(token))
	tests := []struct {
		alg      string
		want     string
		wantCode string
	}{
		{"RS256", base64.RawURLEncoding.EncodeToString(s256[:16]), ""},
		{"ES256", base64.RawURLEncoding.EncodeToString(s256[:16]), ""},
		{"EdDSA", base64.RawURLEncoding.EncodeToString(s512[:32]), ""},
		{"none", "", gatehouse.EINVALID},
		{"HS256", "", gatehouse.EINVALID},
		{"RS384", "", gatehouse.EINVALID},
		{"", "", gatehouse.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.alg, func(t *testing.T) {
			t.Parallel()
			got, err := AtHash(tt.alg, token)
			if code := gatehouse.ErrorCode(err); code != tt.wantCode {
				t.Fatalf("got error %v, want code %q", err, tt.wantCode)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestAtHashKnownValue pins one value computed independently, so that
// a change of the hash or its encoding is caught even if the table above
// were changed along with it.
func TestAtHashKnownValue(t *testing.T) {
	t.Parallel()
	// SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223...; its left
	// half in base64url.
	got, err := AtHash("RS256", "abc")
	if err != nil {
		t.Fatal(err)
	}
	if want := "ungWv48Bz-pBQUDeXa4iIw"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestNewHandle(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		v, h := NewHandle()
		raw, err := base64.RawURLEncoding.Strict().DecodeString(v)
		if err != nil || len(raw) != 32 || len(v) != 43 {
			t.Fatalf("got handle %q (%d bytes, %v), want 256 bits in 43 characters", v, len(raw), err)
		}
		sum := sha256.Sum256([]byte(v))
		if string(h) != string(sum[:]) {
			t.Errorf("got hash %x, want SHA-256 %x", h, sum)
		}
		if got := HashHandle(v); string(got) != string(h) {
			t.Errorf("HashHandle: got %x, want %x", got, h)
		}
		if seen[v] {
			t.Fatalf("handle %q repeated", v)
		}
		seen[v] = true
	}
}
