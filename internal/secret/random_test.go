package secret

import (
	"encoding/base64"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var uuidV7Pattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestNewIDFormat(t *testing.T) {
	t.Parallel()
	seen := make(map[string]bool)
	for range 1000 {
		id := NewID()
		if !uuidV7Pattern.MatchString(id) {
			t.Fatalf("NewID() = %q, want a lower-case UUIDv7 (version 7, variant 10)", id)
		}
		if seen[id] {
			t.Fatalf("NewID() returned %q twice", id)
		}
		seen[id] = true
	}
}

func TestNewIDTimestamp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		at   time.Time
		want string // the first 48 bits, hex with the hyphen
	}{
		{"unix epoch", time.UnixMilli(0), "00000000-0000"},
		{"one millisecond", time.UnixMilli(1), "00000000-0001"},
		{"2026", time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC), "01a203c5-6d80"},
		{"sub-millisecond part is dropped", time.UnixMilli(1).Add(999 * time.Microsecond), "00000000-0001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			id := newUUIDv7(tt.at)
			if got := id[:13]; got != tt.want {
				t.Errorf("newUUIDv7(%v) timestamp = %s, want %s (id %s)", tt.at, got, tt.want, id)
			}
			if !uuidV7Pattern.MatchString(id) {
				t.Errorf("newUUIDv7(%v) = %q, want a UUIDv7", tt.at, id)
			}
		})
	}
}

func TestNewIDOrdering(t *testing.T) {
	t.Parallel()
	// Ids made in later milliseconds sort after earlier ones, as strings
	// (which is how the stores index them).
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var ids []string
	for i := range 200 {
		ids = append(ids, newUUIDv7(base.Add(time.Duration(i)*time.Millisecond)))
	}
	if !slices.IsSorted(ids) {
		t.Errorf("ids of increasing milliseconds are not sorted: %v", ids[:5])
	}
	// Within one millisecond the order is random but the prefix is shared.
	a, b := newUUIDv7(base), newUUIDv7(base)
	if a[:13] != b[:13] || a == b {
		t.Errorf("two ids of one millisecond: got %s and %s, want the same 48-bit prefix and different ids", a, b)
	}
}

func TestToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		n       int
		wantLen int
	}{
		{"zero bytes", 0, 0},
		{"one byte", 1, 2},
		{"16 bytes", 16, 22},
		{"32 bytes", 32, 43},
		{"64 bytes", 64, 86},
	}
	urlSafe := regexp.MustCompile(`^[A-Za-z0-9_-]*$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok := Token(tt.n)
			if len(tok) != tt.wantLen {
				t.Errorf("len(Token(%d)) = %d, want %d", tt.n, len(tok), tt.wantLen)
			}
			if !urlSafe.MatchString(tok) {
				t.Errorf("Token(%d) = %q, want only base64url characters and no padding", tt.n, tok)
			}
			b, err := base64.RawURLEncoding.DecodeString(tok)
			if err != nil || len(b) != tt.n {
				t.Errorf("Token(%d) decodes to %d bytes (err %v), want %d", tt.n, len(b), err, tt.n)
			}
		})
	}
	if Token(32) == Token(32) {
		t.Error("two 256-bit tokens are equal")
	}
}

func TestHashAndEqual(t *testing.T) {
	t.Parallel()
	// SHA-256 test vectors (FIPS 180-2 appendix B.1 and the empty string).
	tests := []struct {
		name  string
		value string
		want  string
	}{
		{"empty", "", "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"},
		{"abc", "abc", "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := base64.RawURLEncoding.EncodeToString(Hash(tt.value))
			if got != tt.want {
				t.Errorf("Hash(%q) = %s, want %s", tt.value, got, tt.want)
			}
		})
	}

	eq := []struct {
		name string
		a, b []byte
		want bool
	}{
		{"same hash", Hash("x"), Hash("x"), true},
		{"different hash", Hash("x"), Hash("y"), false},
		{"prefix", Hash("x")[:16], Hash("x"), false},
		{"both empty", nil, []byte{}, true},
		{"one empty", nil, Hash("x"), false},
	}
	for _, tt := range eq {
		t.Run("Equal/"+tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Equal(tt.a, tt.b); got != tt.want {
				t.Errorf("Equal = %v, want %v", got, tt.want)
			}
			if got := EqualString(string(tt.a), string(tt.b)); got != tt.want {
				t.Errorf("EqualString = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNewPrefixed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		prefix string
	}{
		{"api key", "gh_sk_"},
		{"install key", "gh_pk_"},
		{"no prefix", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := NewPrefixed(tt.prefix)
			rest, ok := strings.CutPrefix(p.Value, tt.prefix)
			if !ok || len(rest) != 43 {
				t.Errorf("Value = %q, want %q followed by 43 characters", p.Value, tt.prefix)
			}
			if !Equal(p.Hash, Hash(p.Value)) {
				t.Errorf("Hash is not the SHA-256 of Value")
			}
			if p.Hint != p.Value[len(p.Value)-4:] {
				t.Errorf("Hint = %q, want the last four characters of Value", p.Hint)
			}
			if q := NewPrefixed(tt.prefix); q.Value == p.Value {
				t.Errorf("two NewPrefixed values are equal")
			}
		})
	}
}

func BenchmarkHash(b *testing.B) {
	v := NewPrefixed("gh_sk_").Value
	b.ReportAllocs()
	for b.Loop() {
		Hash(v)
	}
}
