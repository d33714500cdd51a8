package secret

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func mustSealer(t *testing.T, master []byte) *Sealer {
	t.Helper()
	s, err := NewSealer(master)
	if err != nil {
		t.Fatalf("NewSealer: %v", err)
	}
	return s
}

func masterKey(fill byte) []byte { return bytes.Repeat([]byte{fill}, MasterKeySize) }

func TestSealOpen(t *testing.T) {
	t.Parallel()
	s := mustSealer(t, masterKey(1))
	other := mustSealer(t, masterKey(2))
	plaintext := []byte("-----PKCS8 DER, say-----")
	sealed := s.Seal(plaintext, "signing-key:abc")
	if bytes.Contains(sealed, plaintext) {
		t.Fatal("sealed value contains the plaintext")
	}
	if again := s.Seal(plaintext, "signing-key:abc"); bytes.Equal(again, sealed) {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		return b
	}
	tests := []struct {
		name    string
		sealer  *Sealer
		sealed  []byte
		context string
		wantErr bool
	}{
		{"same key and context", s, sealed, "signing-key:abc", false},
		{"empty plaintext", s, s.Seal(nil, "c"), "c", false},
		{"wrong master key", other, sealed, "signing-key:abc", true},
		{"wrong context", s, sealed, "signing-key:abd", true},
		{"empty context", s, sealed, "", true},
		{"version byte changed", s, flip(0), "signing-key:abc", true},
		{"nonce changed", s, flip(5), "signing-key:abc", true},
		{"ciphertext changed", s, flip(20), "signing-key:abc", true},
		{"tag changed", s, flip(len(sealed) - 1), "signing-key:abc", true},
		{"truncated by one byte", s, sealed[:len(sealed)-1], "signing-key:abc", true},
		{"truncated to the header", s, sealed[:13], "signing-key:abc", true},
		{"one byte", s, sealed[:1], "signing-key:abc", true},
		{"empty", s, nil, "signing-key:abc", true},
		{"extended", s, append(bytes.Clone(sealed), 0), "signing-key:abc", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.sealer.Open(tt.sealed, tt.context)
			if tt.wantErr {
				if !errors.Is(err, ErrUnseal) || got != nil {
					t.Errorf("Open = %q, %v; want nil, ErrUnseal", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if tt.name == "same key and context" && !bytes.Equal(got, plaintext) {
				t.Errorf("Open = %q, want %q", got, plaintext)
			}
		})
	}
}

func TestNewSealerKeySize(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := NewSealer(make([]byte, n)); err == nil {
			t.Errorf("NewSealer(%d bytes) = nil error, want one", n)
		}
	}
}

func TestAuditKey(t *testing.T) {
	t.Parallel()
	a, b := mustSealer(t, masterKey(1)), mustSealer(t, masterKey(1))
	c := mustSealer(t, masterKey(2))
	if len(a.AuditKey()) != 32 {
		t.Errorf("len(AuditKey()) = %d, want 32", len(a.AuditKey()))
	}
	if !bytes.Equal(a.AuditKey(), b.AuditKey()) {
		t.Error("one master key gave two audit keys")
	}
	if bytes.Equal(a.AuditKey(), c.AuditKey()) {
		t.Error("two master keys gave one audit key")
	}
	if bytes.Equal(a.AuditKey(), masterKey(1)) {
		t.Error("the audit key is the master key")
	}
}

func TestParseMasterKey(t *testing.T) {
	t.Parallel()
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(0xf0 + i%16) // encodes with '+' and '/' (or '-' and '_')
	}
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"standard padded", base64.StdEncoding.EncodeToString(key), false},
		{"standard raw", base64.RawStdEncoding.EncodeToString(key), false},
		{"url padded", base64.URLEncoding.EncodeToString(key), false},
		{"url raw", base64.RawURLEncoding.EncodeToString(key), false},
		{"surrounding space", "  " + base64.StdEncoding.EncodeToString(key) + "\n", false},
		{"empty", "", true},
		{"16 bytes", base64.StdEncoding.EncodeToString(key[:16]), true},
		{"33 bytes", base64.StdEncoding.EncodeToString(append(bytes.Clone(key), 1)), true},
		{"hex", strings.Repeat("ab", 32), true},
		{"not base64", "this is not a key!", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseMasterKey(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Errorf("ParseMasterKey(%q) = %x, want an error", tt.in, got)
				}
				return
			}
			if err != nil || !bytes.Equal(got, key) {
				t.Errorf("ParseMasterKey(%q) = %x, %v; want %x", tt.in, got, err, key)
			}
		})
	}
	if k, err := ParseMasterKey(NewMasterKey()); err != nil || len(k) != MasterKeySize {
		t.Errorf("ParseMasterKey(NewMasterKey()) = %d bytes, %v; want %d bytes", len(k), err, MasterKeySize)
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "master.key")

	key, created, err := LoadOrCreateKeyFile(path)
	if err != nil || !created || len(key) != MasterKeySize {
		t.Fatalf("first LoadOrCreateKeyFile = %d bytes, created %v, %v; want a new key", len(key), created, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("key file mode = %v, want 0600", got)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("key directory holds %d entries, want only the key file", len(entries))
	}

	again, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created || !bytes.Equal(again, key) {
		t.Errorf("second LoadOrCreateKeyFile = %x, created %v, %v; want the same key, not created", again, created, err)
	}

	tests := []struct {
		name string
		mode os.FileMode
	}{
		{"group readable", 0o640},
		{"world readable", 0o604},
		{"group writable", 0o620},
		{"everyone", 0o666},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(t.TempDir(), "master.key")
			if err := os.WriteFile(p, []byte(NewMasterKey()), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, tt.mode); err != nil {
				t.Fatal(err)
			}
			if k, _, err := LoadOrCreateKeyFile(p); err == nil {
				t.Errorf("LoadOrCreateKeyFile of a %v file = %d bytes, nil; want an error", tt.mode, len(k))
			}
		})
	}

	t.Run("malformed file", func(t *testing.T) {
		t.Parallel()
		p := filepath.Join(t.TempDir(), "master.key")
		if err := os.WriteFile(p, []byte("not a key"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := LoadOrCreateKeyFile(p); err == nil {
			t.Error("LoadOrCreateKeyFile of a malformed file = nil error, want one")
		}
	})
	t.Run("directory", func(t *testing.T) {
		t.Parallel()
		p := t.TempDir()
		if err := os.Chmod(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if _, _, err := LoadOrCreateKeyFile(p); err == nil {
			t.Error("LoadOrCreateKeyFile of a directory = nil error, want one")
		}
	})
}

func TestLoadOrCreateKeyFileConcurrent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "master.key")
	const n = 8
	keys := make([][]byte, n)
	createdBy := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			k, created, err := LoadOrCreateKeyFile(path)
			if err != nil {
				t.Errorf("LoadOrCreateKeyFile: %v", err)
			}
			keys[i], createdBy[i] = k, created
		})
	}
	wg.Wait()
	creators := 0
	for i := range n {
		if createdBy[i] {
			creators++
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Errorf("caller %d got another key than caller 0", i)
		}
	}
	if creators != 1 {
		t.Errorf("%d callers created the file, want 1", creators)
	}
}

// TestWriteKeyFileExclusive covers the path taken on file systems without
// hard links.
func TestWriteKeyFileExclusive(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "master.key")
	enc := NewMasterKey()
	key, err := writeKeyFileExclusive(path, enc)
	if err != nil || len(key) != MasterKeySize {
		t.Fatalf("writeKeyFileExclusive = %d bytes, %v; want a key", len(key), err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v; want mode 0600", info, err)
	}
	loaded, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created || !bytes.Equal(loaded, key) {
		t.Errorf("LoadOrCreateKeyFile = %x, %v, %v; want the written key", loaded, created, err)
	}
	if _, err := writeKeyFileExclusive(path, NewMasterKey()); !errors.Is(err, os.ErrExist) {
		t.Errorf("second writeKeyFileExclusive = %v, want ErrExist", err)
	}
}
