package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
)

// Signature algorithms (RFC 7518 §3.1, RFC 8037 §3.1).
const (
	RS256 = "RS256"
	ES256 = "ES256"
	EdDSA = "EdDSA"
)

// rsaBits is the size of generated RSA keys. 2048 bits is what relying
// parties expect and what keeps an RS256 signature under a millisecond.
const rsaBits = 2048

// Algorithms returns every algorithm a Manager keeps keys for, in the
// order keys are created and listed.
func Algorithms() []string { return []string{RS256, ES256, EdDSA} }

func knownAlgorithm(alg string) bool { return alg == RS256 || alg == ES256 || alg == EdDSA }

// generate makes a new private key for alg.
func generate(alg string) (crypto.Signer, error) {
	switch alg {
	case RS256:
		return rsa.GenerateKey(rand.Reader, rsaBits)
	case ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case EdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	default:
		return nil, fmt.Errorf("unsupported signing algorithm %q", alg)
	}
}

// checkPublic reports whether pub is a key that alg may use: RSA of at
// least 2048 bits, ECDSA on P-256, or Ed25519.
func checkPublic(alg string, pub crypto.PublicKey) error {
	switch alg {
	case RS256:
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("%s key holds a %T", alg, pub)
		}
		if k.N.BitLen() < rsaBits {
			return fmt.Errorf("%s key has %d bits, want at least %d", alg, k.N.BitLen(), rsaBits)
		}
	case ES256:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return fmt.Errorf("%s key holds a %T", alg, pub)
		}
		if k.Curve != elliptic.P256() {
			return fmt.Errorf("%s key is on curve %s, want P-256", alg, k.Curve.Params().Name)
		}
	case EdDSA:
		if _, ok := pub.(ed25519.PublicKey); !ok {
			return fmt.Errorf("%s key holds a %T", alg, pub)
		}
	default:
		return fmt.Errorf("unsupported signing algorithm %q", alg)
	}
	return nil
}

// parsePublic decodes a PKIX DER public key and checks it fits alg.
func parsePublic(alg string, der []byte) (crypto.PublicKey, error) {
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	if err := checkPublic(alg, pub); err != nil {
		return nil, err
	}
	return pub, nil
}

// parsePrivate decodes a PKCS #8 DER private key and checks that it is the
// private half of pub.
func parsePrivate(der []byte, pub crypto.PublicKey) (crypto.Signer, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("private key of type %T cannot sign", k)
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if e, ok := signer.Public().(equaler); !ok || !e.Equal(pub) {
		return nil, fmt.Errorf("private key does not match the stored public key")
	}
	return signer, nil
}
