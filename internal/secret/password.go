package secret

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the argon2id cost parameters.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	KeyLen  uint32
	SaltLen uint32
}

// OWASPArgon2 is the OWASP Password Storage Cheat Sheet's first argon2id
// configuration: 19 MiB, two passes, one lane.
var OWASPArgon2 = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}

// ErrPasswordMismatch is returned by Verify for a wrong password.
var ErrPasswordMismatch = errors.New("password does not match")

// Hasher hashes and verifies passwords with argon2id. At most a fixed
// number of hashes run at once, so a burst of sign-ins queues instead of
// allocating 19 MiB each without bound.
type Hasher struct {
	params Argon2Params
	slots  chan struct{}
	// derive is argon2.IDKey; tests replace it to observe how many
	// derivations run at once.
	derive func(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte
}

// NewHasher returns a Hasher that runs at most concurrency hashes at once
// (at least one).
func NewHasher(p Argon2Params, concurrency int) *Hasher {
	return &Hasher{params: p, slots: make(chan struct{}, max(1, concurrency)), derive: argon2.IDKey}
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the PHC string of password: $argon2id$v=19$m=..,t=..,p=..$salt$hash.
// It fails when the hasher's parameters are outside the range Verify
// accepts (a hash that could never be verified is worse than an error),
// or when ctx ends while waiting for a free slot.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	p := h.params
	if err := p.check(); err != nil {
		return "", err
	}
	if p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen {
		return "", fmt.Errorf("password hash: salt length %d outside [%d, %d]", p.SaltLen, minSaltLen, maxSaltLen)
	}
	if p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen {
		return "", fmt.Errorf("password hash: key length %d outside [%d, %d]", p.KeyLen, minKeyLen, maxKeyLen)
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	salt := make([]byte, p.SaltLen)
	rand.Read(salt)
	key := h.derive([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// Verify checks password against a PHC argon2id hash made with any
// parameters within fixed bounds. It returns ErrPasswordMismatch for a
// wrong password and another error for a malformed hash or one whose cost
// exceeds the bounds. NeedsRehash tells whether the hash should be
// replaced with one of the current parameters.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) error {
	p, salt, want, err := decodePHC(encoded)
	if err != nil {
		return err
	}
	if err := h.acquire(ctx); err != nil {
		return err
	}
	defer h.release()
	got := h.derive([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrPasswordMismatch
	}
	return nil
}

// NeedsRehash reports whether encoded was made with other parameters than
// the hasher's (cost or key length), or cannot be decoded at all.
func (h *Hasher) NeedsRehash(encoded string) bool {
	p, _, key, err := decodePHC(encoded)
	return err != nil || p.Memory != h.params.Memory || p.Time != h.params.Time ||
		p.Threads != h.params.Threads || uint32(len(key)) != h.params.KeyLen
}

// Bounds on parameters accepted from a stored hash, so a corrupted or
// hostile row (an imported user, say) cannot make Verify allocate or spin
// without limit. They admit every configuration OWASP and RFC 9106 §4
// recommend except RFC 9106's 2 GiB one.
const (
	maxArgonMemory  = 256 * 1024 // KiB: 256 MiB
	maxArgonTime    = 10
	maxArgonThreads = 16
	// maxArgonWork bounds memory × passes (KiB), which is what the CPU time
	// of one verification grows with: 512 MiB-passes, well under a second.
	maxArgonWork = 512 * 1024
	minSaltLen   = 8
	maxSaltLen   = 64
	minKeyLen    = 16
	maxKeyLen    = 128
)

func (p Argon2Params) check() error {
	if p.Memory == 0 || p.Memory > maxArgonMemory || p.Time == 0 || p.Time > maxArgonTime ||
		p.Threads == 0 || p.Threads > maxArgonThreads || uint64(p.Memory)*uint64(p.Time) > maxArgonWork {
		return errors.New("password hash: parameters out of range")
	}
	return nil
}

// decodePHC parses "$argon2id$v=19$m=M,t=T,p=P$salt$key" strictly: no
// extra characters, signs, spaces or leading zeros anywhere, so one hash
// has exactly one spelling.
func decodePHC(s string) (Argon2Params, []byte, []byte, error) {
	var p Argon2Params
	if strings.ContainsAny(s, "\r\n") { // base64 decoding would skip them
		return p, nil, nil, errors.New("password hash: not an argon2id PHC string")
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errors.New("password hash: not an argon2id PHC string")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, errors.New("password hash: unsupported argon2 version")
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return p, nil, nil, errors.New("password hash: malformed parameters")
	}
	m, okM := phcUint(params[0], "m=", 32)
	t, okT := phcUint(params[1], "t=", 32)
	th, okP := phcUint(params[2], "p=", 8)
	if !okM || !okT || !okP {
		return p, nil, nil, errors.New("password hash: malformed parameters")
	}
	p.Memory, p.Time, p.Threads = uint32(m), uint32(t), uint8(th)
	if err := p.check(); err != nil {
		return p, nil, nil, err
	}
	// Bound the encoded lengths before decoding, so a huge field costs
	// nothing.
	if len(parts[4]) > base64.RawStdEncoding.EncodedLen(maxSaltLen) || len(parts[5]) > base64.RawStdEncoding.EncodedLen(maxKeyLen) {
		return p, nil, nil, errors.New("password hash: salt or key too long")
	}
	salt, err := base64.RawStdEncoding.Strict().DecodeString(parts[4])
	if err != nil || len(salt) < minSaltLen {
		return p, nil, nil, errors.New("password hash: malformed salt")
	}
	key, err := base64.RawStdEncoding.Strict().DecodeString(parts[5])
	if err != nil || len(key) < minKeyLen {
		return p, nil, nil, errors.New("password hash: malformed key")
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

// phcUint parses name followed by a decimal number without sign or leading
// zero that fits in bits.
func phcUint(s, name string, bits int) (uint64, bool) {
	digits, ok := strings.CutPrefix(s, name)
	if !ok || digits == "" || len(digits) > 10 || (len(digits) > 1 && digits[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(digits, 10, bits)
	return n, err == nil
}
