package secret

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// cheapArgon2 keeps tests fast; the format and checks are the same as with
// the production parameters.
var cheapArgon2 = Argon2Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

func encodePHC(p Argon2Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

func TestHasherHashVerify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := NewHasher(cheapArgon2, 2)
	encoded, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	if !strings.HasPrefix(encoded, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("Hash = %q, want a PHC argon2id string with the hasher's parameters", encoded)
	}
	again, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	if again == encoded {
		t.Errorf("two hashes of one password are equal: the salt is not random")
	}

	tests := []struct {
		name     string
		password string
		encoded  string
		want     error
	}{
		{"right password", "correct horse battery staple", encoded, nil},
		{"right password, second hash", "correct horse battery staple", again, nil},
		{"wrong password", "correct horse battery stapler", encoded, ErrPasswordMismatch},
		{"empty password", "", encoded, ErrPasswordMismatch},
		{"case differs", "Correct horse battery staple", encoded, ErrPasswordMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := h.Verify(ctx, tt.password, tt.encoded); !errors.Is(got, tt.want) || (tt.want == nil && got != nil) {
				t.Errorf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHasherVerifiesOtherParameters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	old := NewHasher(Argon2Params{Memory: 128, Time: 3, Threads: 2, KeyLen: 16, SaltLen: 8}, 1)
	encoded, err := old.Hash(ctx, "pw")
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	current := NewHasher(cheapArgon2, 1)
	if err := current.Verify(ctx, "pw", encoded); err != nil {
		t.Errorf("Verify of a hash with other parameters = %v, want nil", err)
	}
	if err := current.Verify(ctx, "pW", encoded); !errors.Is(err, ErrPasswordMismatch) {
		t.Errorf("Verify of a wrong password = %v, want ErrPasswordMismatch", err)
	}
}

// TestVerifyRejectsMalformed feeds broken and hostile hashes: each must be
// an error other than a mismatch, and none may reach argon2 (so a stored
// hash can never make Verify allocate or spin beyond the bounds).
func TestVerifyRejectsMalformed(t *testing.T) {
	t.Parallel()
	salt := base64.RawStdEncoding.EncodeToString(make([]byte, 16))
	key := base64.RawStdEncoding.EncodeToString(make([]byte, 32))
	phc := func(params string) string { return "$argon2id$v=19$" + params + "$" + salt + "$" + key }
	tests := []struct {
		name    string
		encoded string
	}{
		{"empty", ""},
		{"plain text", "hunter2"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"argon2d", "$argon2d$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"too few fields", "$argon2id$v=19$m=64,t=1,p=1$" + salt},
		{"too many fields", phc("m=64,t=1,p=1") + "$x"},
		{"no leading dollar", "argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$"},
		{"version 16", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key},
		{"version with junk", "$argon2id$v=19x$m=64,t=1,p=1$" + salt + "$" + key},
		{"version missing", "$argon2id$$m=64,t=1,p=1$" + salt + "$" + key},
		{"parameters missing", phc("")},
		{"parameter missing", phc("m=64,t=1")},
		{"parameters reordered", phc("t=1,m=64,p=1")},
		{"extra parameter", phc("m=64,t=1,p=1,k=1")},
		{"trailing junk", phc("m=64,t=1,p=1x")},
		{"space", phc("m= 64,t=1,p=1")},
		{"plus sign", phc("m=+64,t=1,p=1")},
		{"negative", phc("m=-64,t=1,p=1")},
		{"leading zero", phc("m=064,t=1,p=1")},
		{"hex", phc("m=0x40,t=1,p=1")},
		{"memory zero", phc("m=0,t=1,p=1")},
		{"time zero", phc("m=64,t=0,p=1")},
		{"threads zero", phc("m=64,t=1,p=0")},
		{"memory 4 GiB", phc("m=4194304,t=1,p=1")},
		{"memory overflows uint32", phc("m=4294967296,t=1,p=1")},
		{"memory huge", phc("m=99999999999999999999999,t=1,p=1")},
		{"memory above bound", phc("m=262145,t=1,p=1")},
		{"time above bound", phc("m=64,t=11,p=1")},
		{"threads above bound", phc("m=64,t=1,p=17")},
		{"threads overflow uint8", phc("m=64,t=1,p=257")},
		{"work above bound", phc("m=262144,t=3,p=1")},
		{"salt not base64", "$argon2id$v=19$m=64,t=1,p=1$!!!!$" + key},
		{"salt padded", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key},
		{"salt too short", "$argon2id$v=19$m=64,t=1,p=1$" + base64.RawStdEncoding.EncodeToString(make([]byte, 7)) + "$" + key},
		{"salt too long", "$argon2id$v=19$m=64,t=1,p=1$" + base64.RawStdEncoding.EncodeToString(make([]byte, 65)) + "$" + key},
		{"salt huge", "$argon2id$v=19$m=64,t=1,p=1$" + strings.Repeat("A", 1<<20) + "$" + key},
		{"salt with newline", "$argon2id$v=19$m=64,t=1,p=1$" + salt[:4] + "\n" + salt[4:] + "$" + key},
		{"salt non-canonical", "$argon2id$v=19$m=64,t=1,p=1$AAAAAAAAAAB$" + key},
		{"key empty", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$"},
		{"key too short", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + base64.RawStdEncoding.EncodeToString(make([]byte, 15))},
		{"key too long", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + base64.RawStdEncoding.EncodeToString(make([]byte, 129))},
		{"key url alphabet", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + strings.Repeat("_", 43)},
		{"NUL byte", phc("m=64,t=1,p=1") + "\x00"},
	}
	h := NewHasher(cheapArgon2, 1)
	h.derive = func([]byte, []byte, uint32, uint32, uint8, uint32) []byte {
		t.Error("a malformed hash reached argon2")
		return nil
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := h.Verify(context.Background(), "pw", tt.encoded)
			if err == nil || errors.Is(err, ErrPasswordMismatch) {
				t.Errorf("Verify = %v, want a malformed-hash error", err)
			}
			if err != nil && strings.Contains(err.Error(), "pw") {
				t.Errorf("error %q mentions the password", err)
			}
			if !h.NeedsRehash(tt.encoded) {
				t.Errorf("NeedsRehash = false, want true for an undecodable hash")
			}
		})
	}
}

func TestVerifyAcceptsBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		params Argon2Params
	}{
		{"OWASP", Argon2Params{Memory: 19456, Time: 2, Threads: 1}},
		{"OWASP 46 MiB", Argon2Params{Memory: 47104, Time: 1, Threads: 1}},
		{"RFC 9106 second recommendation", Argon2Params{Memory: 65536, Time: 3, Threads: 4}},
		{"largest memory", Argon2Params{Memory: 262144, Time: 2, Threads: 16}},
		{"most passes", Argon2Params{Memory: 8192, Time: 10, Threads: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key := make([]byte, 32)
			encoded := encodePHC(tt.params, make([]byte, 16), key)
			h := NewHasher(cheapArgon2, 1)
			var got Argon2Params
			h.derive = func(_, _ []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
				got = Argon2Params{Memory: memory, Time: time, Threads: threads}
				return make([]byte, keyLen)
			}
			if err := h.Verify(context.Background(), "pw", encoded); err != nil {
				t.Fatalf("Verify = %v, want nil", err)
			}
			if got != tt.params {
				t.Errorf("argon2 ran with %+v, want %+v", got, tt.params)
			}
		})
	}
}

func TestHashRejectsBadParameters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		params Argon2Params
	}{
		{"zero", Argon2Params{}},
		{"no passes", Argon2Params{Memory: 64, Time: 0, Threads: 1, KeyLen: 32, SaltLen: 16}},
		{"no threads", Argon2Params{Memory: 64, Time: 1, Threads: 0, KeyLen: 32, SaltLen: 16}},
		{"short salt", Argon2Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 4}},
		{"short key", Argon2Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 8, SaltLen: 16}},
		{"memory above bound", Argon2Params{Memory: 1 << 20, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := NewHasher(tt.params, 1)
			if got, err := h.Hash(context.Background(), "pw"); err == nil {
				t.Errorf("Hash = %q, nil; want an error", got)
			}
		})
	}
}

func TestNeedsRehash(t *testing.T) {
	t.Parallel()
	h := NewHasher(cheapArgon2, 1)
	salt := make([]byte, 16)
	with := func(mod func(*Argon2Params)) string {
		p := cheapArgon2
		mod(&p)
		return encodePHC(p, salt, make([]byte, p.KeyLen))
	}
	tests := []struct {
		name    string
		encoded string
		want    bool
	}{
		{"same parameters", with(func(*Argon2Params) {}), false},
		{"other salt length", encodePHC(cheapArgon2, make([]byte, 8), make([]byte, 32)), false},
		{"less memory", with(func(p *Argon2Params) { p.Memory = 32 }), true},
		{"more passes", with(func(p *Argon2Params) { p.Time = 2 }), true},
		{"more threads", with(func(p *Argon2Params) { p.Threads = 2 }), true},
		{"shorter key", with(func(p *Argon2Params) { p.KeyLen = 16 }), true},
		{"malformed", "$argon2id$", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := h.NeedsRehash(tt.encoded); got != tt.want {
				t.Errorf("NeedsRehash(%q) = %v, want %v", tt.encoded, got, tt.want)
			}
		})
	}
}

// TestHasherConcurrencyBound runs many hashes against a hasher of bound n
// and records how many derivations are inside argon2 at once. Each one
// waits until n are inside (or a timeout passes), so the peak is exactly n
// when the bound holds, and above n when it does not.
func TestHasherConcurrencyBound(t *testing.T) {
	t.Parallel()
	const n, callers = 3, 12
	h := NewHasher(cheapArgon2, n)
	var inside, peak atomic.Int32
	full := make(chan struct{})
	var once sync.Once
	h.derive = func(_, _ []byte, _, _ uint32, _ uint8, keyLen uint32) []byte {
		cur := inside.Add(1)
		defer inside.Add(-1)
		for {
			old := peak.Load()
			if cur <= old || peak.CompareAndSwap(old, cur) {
				break
			}
		}
		if cur >= n {
			once.Do(func() { close(full) })
		}
		select {
		case <-full:
		case <-time.After(2 * time.Second):
		}
		time.Sleep(time.Millisecond) // let others try to get in
		return make([]byte, keyLen)
	}
	encoded := encodePHC(cheapArgon2, make([]byte, 16), make([]byte, 32))
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			var err error
			if i%2 == 0 {
				_, err = h.Hash(context.Background(), "pw")
			} else {
				err = h.Verify(context.Background(), "pw", encoded)
			}
			if err != nil {
				t.Errorf("caller %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if got := peak.Load(); got != n {
		t.Errorf("peak concurrent hashes = %d, want %d", got, n)
	}
}

func TestHasherWaitsWithContext(t *testing.T) {
	t.Parallel()
	h := NewHasher(cheapArgon2, 1)
	release := make(chan struct{})
	started := make(chan struct{})
	h.derive = func(_, _ []byte, _, _ uint32, _ uint8, keyLen uint32) []byte {
		close(started)
		<-release
		return make([]byte, keyLen)
	}
	done := make(chan error, 1)
	go func() {
		_, err := h.Hash(context.Background(), "first")
		done <- err
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, "second"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Hash while the only slot is taken = %v, want context.DeadlineExceeded", err)
	}
	encoded := encodePHC(cheapArgon2, make([]byte, 16), make([]byte, 32))
	if err := h.Verify(ctx, "second", encoded); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Verify while the only slot is taken = %v, want context.DeadlineExceeded", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("first Hash = %v, want nil", err)
	}
}

// FuzzDecodePHC checks that no input panics the decoder, that whatever it
// accepts lies within the bounds, and that it accepts each hash in exactly
// one spelling (re-encoding gives back the input).
func FuzzDecodePHC(f *testing.F) {
	salt := make([]byte, 16)
	for _, s := range []string{
		encodePHC(OWASPArgon2, salt, make([]byte, 32)),
		encodePHC(cheapArgon2, salt, make([]byte, 16)),
		"$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=0,t=0,p=0$$",
		"$argon2id$v=19$m=4294967295,t=4294967295,p=255$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2i$v=19$m=64,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"",
		"$",
		"$$$$$",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := decodePHC(s)
		if err != nil {
			return
		}
		if p.check() != nil {
			t.Fatalf("decodePHC(%q) accepted out-of-range parameters %+v", s, p)
		}
		if len(salt) < minSaltLen || len(salt) > maxSaltLen || len(key) < minKeyLen || len(key) > maxKeyLen {
			t.Fatalf("decodePHC(%q) accepted salt of %d bytes and key of %d bytes", s, len(salt), len(key))
		}
		if again := encodePHC(p, salt, key); again != s {
			t.Fatalf("decodePHC(%q) re-encodes as %q", s, again)
		}
	})
}

func BenchmarkArgon2idVerify(b *testing.B) {
	ctx := context.Background()
	h := NewHasher(OWASPArgon2, 1)
	encoded, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := h.Verify(ctx, "correct horse battery staple", encoded); err != nil {
			b.Fatal(err)
		}
	}
}
