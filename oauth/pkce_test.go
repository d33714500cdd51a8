package oauth

import (
	"errors"
	"strings"
	"testing"
)

// RFC 7636 Appendix B.
const (
	rfcVerifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	rfcChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("got error %v, want none", err)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v, want a %s *Error", err, code)
	}
	if e.Code != code {
		t.Fatalf("got code %q (%v), want %q", e.Code, e, code)
	}
}

func TestCheckVerifier(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, v, want string
	}{
		{"RFC example", rfcVerifier, ""},
		{"shortest", strings.Repeat("a", 43), ""},
		{"longest", strings.Repeat("~", 128), ""},
		{"every allowed character", "ABCXYZabcxyz0189-._~" + strings.Repeat("a", 23), ""},
		{"empty", "", "invalid_grant"},
		{"too short", strings.Repeat("a", 42), "invalid_grant"},
		{"too long", strings.Repeat("a", 129), "invalid_grant"},
		{"plus", strings.Repeat("a", 42) + "+", "invalid_grant"},
		{"slash", strings.Repeat("a", 42) + "/", "invalid_grant"},
		{"padding", strings.Repeat("a", 42) + "=", "invalid_grant"},
		{"space", strings.Repeat("a", 42) + " ", "invalid_grant"},
		{"NUL", strings.Repeat("a", 42) + "\x00", "invalid_grant"},
		{"non-ASCII", strings.Repeat("a", 41) + "\u00e9", "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantCode(t, CheckVerifier(tt.v), tt.want)
		})
	}
}

func TestCheckChallenge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, c, want string
	}{
		{"RFC example", rfcChallenge, ""},
		{"all zero bytes", strings.Repeat("A", 43), ""},
		{"empty", "", "invalid_request"},
		{"too short", rfcChallenge[:42], "invalid_request"},
		{"padded", rfcChallenge + "=", "invalid_request"},
		{"standard alphabet", strings.Repeat("A", 42) + "+", "invalid_request"},
		{"stray bits in the last character", strings.Repeat("A", 42) + "B", "invalid_request"},
		{"plain verifier as challenge", strings.Repeat("a", 50), "invalid_request"},
		{"dot", strings.Repeat("A", 42) + ".", "invalid_request"},
		{"newline", strings.Repeat("A", 42) + "\n", "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantCode(t, CheckChallenge(tt.c), tt.want)
		})
	}
}

func TestVerifyS256(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                string
		verifier, challenge string
		want                bool
	}{
		{"RFC example", rfcVerifier, rfcChallenge, true},
		{"other verifier", strings.Repeat("a", 43), rfcChallenge, false},
		{"plain method", rfcVerifier, rfcVerifier, false},
		{"challenge changed in the last character", rfcVerifier, rfcChallenge[:42] + "N", false},
		{"malformed verifier", rfcVerifier + "+", rfcChallenge, false},
		{"empty verifier", "", rfcChallenge, false},
		{"empty challenge", rfcVerifier, "", false},
		{"long challenge", rfcVerifier, rfcChallenge + "AAAA", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := VerifyS256(tt.verifier, tt.challenge); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
