package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"testing"
)

func masterKey(t *testing.T) string {
	t.Helper()
	k := make([]byte, 32)
	rand.Read(k)
	return base64.StdEncoding.EncodeToString(k)
}
