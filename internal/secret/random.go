package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// NewID returns a new UUID version 7 (RFC 9562 §5.7) as a lower-case
// string. Its time-ordered prefix keeps B-tree inserts local, and its 74
// random bits make it unguessable enough for a row id (never for a secret).
func NewID() string { return newUUIDv7(time.Now()) }

func newUUIDv7(t time.Time) string {
	var b [16]byte
	rand.Read(b[6:]) // crypto/rand.Read never fails (Go 1.24+).
	ms := uint64(t.UnixMilli())
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], ms)
	copy(b[0:6], ts[2:8])
	b[6] = 0x70 | (b[6] & 0x0f)
	b[8] = 0x80 | (b[8] & 0x3f)
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}

// Token returns n random bytes encoded as unpadded base64url: n=32 gives
// 256 bits in 43 characters, what codes, refresh tokens and session
// cookies use.
func Token(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Hash returns the SHA-256 of a high-entropy secret (a code, token, API
// key or client secret). Such secrets need no slow hash: guessing one is
// as hard as guessing its 256 random bits.
func Hash(value string) []byte {
	h := sha256.Sum256([]byte(value))
	return h[:]
}

// Equal compares two secrets or hashes in constant time.
func Equal(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// EqualString compares two strings in constant time (for a given length).
func EqualString(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// Prefixed is a newly generated secret with a recognizable prefix
// ("gh_sk_..."), so that a leaked one can be recognized by secret scanners
// and an admin can tell what it is.
type Prefixed struct {
	Value string // shown once, never stored
	Hash  []byte // SHA-256 of Value, what the store keeps
	Hint  string // the last four characters, safe to display
}

// NewPrefixed generates a 256-bit secret behind prefix.
func NewPrefixed(prefix string) Prefixed {
	v := prefix + Token(32)
	return Prefixed{Value: v, Hash: Hash(v), Hint: v[len(v)-4:]}
}
