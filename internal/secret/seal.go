package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MasterKeySize is the length of the master key in bytes (AES-256).
const MasterKeySize = 32

// sealVersion prefixes every sealed value, so the format can change later
// without guessing.
const sealVersion byte = 1

// Sealer encrypts small values (private keys, connector secrets) at rest
// with AES-256-GCM under a key derived from the master key.
type Sealer struct {
	aead cipher.AEAD
	// auditKey authenticates the audit chain; derived separately so the two
	// uses never share a key.
	auditKey []byte
}

// NewSealer derives the sealing and audit keys from a 32-byte master key.
func NewSealer(master []byte) (*Sealer, error) {
	if len(master) != MasterKeySize {
		return nil, fmt.Errorf("master key: want %d bytes, got %d", MasterKeySize, len(master))
	}
	sealKey, err := hkdf.Key(sha256.New, master, nil, "gatehouse seal v1", 32)
	if err != nil {
		return nil, err
	}
	auditKey, err := hkdf.Key(sha256.New, master, nil, "gatehouse audit chain v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(sealKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead, auditKey: auditKey}, nil
}

// Seal encrypts plaintext. context binds the ciphertext to its use (for
// example "signing-key:<kid>"), so a sealed value copied to another row
// does not open there.
func (s *Sealer) Seal(plaintext []byte, context string) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	out := make([]byte, 0, 1+len(nonce)+len(plaintext)+s.aead.Overhead())
	out = append(out, sealVersion)
	out = append(out, nonce...)
	return s.aead.Seal(out, nonce, plaintext, []byte(context))
}

// ErrUnseal is returned when a sealed value cannot be opened: the master
// key is wrong, or the value was changed or moved.
var ErrUnseal = errors.New("cannot unseal: wrong master key or tampered value")

// Open decrypts a value sealed with the same context.
func (s *Sealer) Open(sealed []byte, context string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n+s.aead.Overhead() || sealed[0] != sealVersion {
		return nil, ErrUnseal
	}
	pt, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(context))
	if err != nil {
		return nil, ErrUnseal
	}
	return pt, nil
}

// AuditKey returns the HMAC key that chains audit events.
func (s *Sealer) AuditKey() []byte { return s.auditKey }

// ParseMasterKey decodes a base64 (standard or URL alphabet, padded or
// not) 32-byte key.
func ParseMasterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != MasterKeySize {
				return nil, fmt.Errorf("master key must decode to %d bytes, got %d", MasterKeySize, len(k))
			}
			return k, nil
		}
	}
	return nil, errors.New("master key must be base64")
}

// NewMasterKey returns a random master key encoded as base64.
func NewMasterKey() string {
	k := make([]byte, MasterKeySize)
	rand.Read(k)
	return base64.StdEncoding.EncodeToString(k)
}

// LoadOrCreateKeyFile reads the master key from path, or, when the file
// does not exist, generates one and writes it with mode 0600. created
// reports the latter, so the caller can warn that a development key is in
// use. A key file that others may read or write is refused. When several
// processes start at once, exactly one creates the file and the others
// read it: the file appears only once complete.
func LoadOrCreateKeyFile(path string) (key []byte, created bool, err error) {
	for range 2 {
		key, err := readKeyFile(path)
		if err == nil {
			return key, false, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, false, err
		}
		key, err = createKeyFile(path)
		if err == nil {
			return key, true, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, false, err
		}
		// Another process created the file first: read that one.
	}
	return nil, false, fmt.Errorf("master key file %s: created and removed concurrently", path)
}

// maxKeyFileSize bounds what readKeyFile reads: a key is 44 characters.
const maxKeyFileSize = 1024

func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("master key file %s: %w", path, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("master key file %s is not a regular file", path)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("master key file %s is accessible by others (mode %v); chmod 600 it", path, info.Mode().Perm())
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("master key file %s: %w", path, err)
	}
	if len(b) > maxKeyFileSize {
		return nil, fmt.Errorf("master key file %s is too large to hold a key", path)
	}
	k, err := ParseMasterKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("master key file %s: %w", path, err)
	}
	return k, nil
}

// createKeyFile writes a new key to a temporary file and links it into
// place, so no reader ever sees a partly written key; the link fails with
// fs.ErrExist when another process got there first.
func createKeyFile(path string) ([]byte, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("master key directory: %w", err)
	}
	enc := NewMasterKey()
	tmp, err := os.CreateTemp(dir, ".master-key-*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(enc + "\n"); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("master key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("master key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		// A file system without hard links: create the file exclusively
		// instead (a concurrent reader may then see it before it is
		// complete, and fail rather than use a wrong key).
		return writeKeyFileExclusive(path, enc)
	}
	return ParseMasterKey(enc)
}

func writeKeyFileExclusive(path, enc string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		return nil, fmt.Errorf("master key file: %w", err)
	}
	if _, err := f.WriteString(enc + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("master key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	return ParseMasterKey(enc)
}
