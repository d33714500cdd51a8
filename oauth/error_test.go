package oauth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse"
)

func TestConstructors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		make       func(string, ...any) *Error
		wantCode   string
		wantStatus int
	}{
		{"InvalidRequest", InvalidRequest, "invalid_request", http.StatusBadRequest},
		{"InvalidClient", InvalidClient, "invalid_client", http.StatusUnauthorized},
		{"InvalidGrant", InvalidGrant, "invalid_grant", http.StatusBadRequest},
		{"UnauthorizedClient", UnauthorizedClient, "unauthorized_client", http.StatusBadRequest},
		{"UnsupportedGrantType", UnsupportedGrantType, "unsupported_grant_type", http.StatusBadRequest},
		{"InvalidScope", InvalidScope, "invalid_scope", http.StatusBadRequest},
		{"AccessDenied", AccessDenied, "access_denied", http.StatusBadRequest},
		{"UnsupportedResponseType", UnsupportedResponseType, "unsupported_response_type", http.StatusBadRequest},
		{"ServerError", ServerError, "server_error", http.StatusInternalServerError},
		{"TemporarilyUnavailable", TemporarilyUnavailable, "temporarily_unavailable", http.StatusServiceUnavailable},
		{"LoginRequired", LoginRequired, "login_required", http.StatusBadRequest},
		{"ConsentRequired", ConsentRequired, "consent_required", http.StatusBadRequest},
		{"InteractionRequired", InteractionRequired, "interaction_required", http.StatusBadRequest},
		{"InvalidToken", InvalidToken, "invalid_token", http.StatusUnauthorized},
		{"InsufficientScope", InsufficientScope, "insufficient_scope", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := tt.make("scope %s is %d%%", "openid", 100)
			if e.Code != tt.wantCode {
				t.Errorf("got code %q, want %q", e.Code, tt.wantCode)
			}
			if e.Status != tt.wantStatus || e.HTTPStatus() != tt.wantStatus {
				t.Errorf("got status %d (HTTPStatus %d), want %d", e.Status, e.HTTPStatus(), tt.wantStatus)
			}
			if want := "scope openid is 100%"; e.Description != want {
				t.Errorf("got description %q, want %q", e.Description, want)
			}
			if want := tt.wantCode + ": scope openid is 100%"; e.Error() != want {
				t.Errorf("got Error() %q, want %q", e.Error(), want)
			}
			// Every call builds a new value: changing one changes no other.
			a, b := tt.make("x"), tt.make("x")
			a.Description = "changed"
			if b.Description != "x" || a == b {
				t.Errorf("constructor returned a shared value")
			}
		})
	}
}

func TestConstructorWithoutArgsKeepsPercent(t *testing.T) {
	t.Parallel()
	if got, want := InvalidRequest("100% sure").Description, "100% sure"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestErrorWithoutDescription(t *testing.T) {
	t.Parallel()
	e := &Error{Code: CodeInvalidGrant}
	if got, want := e.Error(), "invalid_grant"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := e.HTTPStatus(), http.StatusBadRequest; got != want {
		t.Errorf("got status %d, want %d", got, want)
	}
}

func TestSanitizeDescription(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 300)
	tests := []struct {
		name, in, want string
	}{
		{"plain", "unknown client", "unknown client"},
		{"empty", "", ""},
		{"every allowed punctuation", "!#$%&'()*+,-./:;<=>?@[]^_`{|}~", "!#$%&'()*+,-./:;<=>?@[]^_`{|}~"},
		{"double quote", `scope "x"`, "scope 'x'"},
		{"backslash", `a\b`, "a/b"},
		{"newline and tab", "a\r\nb\tc", "a??b?c"},
		{"non-ASCII rune is one mark", "caf\u00e9 \u2603", "caf? ?"},
		{"invalid UTF-8", "a\xffb", "a?b"},
		{"DEL", "a\x7fb", "a?b"},
		{"NUL", "a\x00b", "a?b"},
		{"too long", long, long[:256]},
		{"too long with bad bytes", "\"" + long, "'" + long[:255]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := SanitizeDescription(tt.in)
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			for i := 0; i < len(got); i++ {
				if !allowedDescriptionByte(got[i]) {
					t.Errorf("result has byte %#x at %d", got[i], i)
				}
			}
		})
	}
}

func TestConstructorsSanitize(t *testing.T) {
	t.Parallel()
	e := InvalidScope("scope %q unknown\n", "a\"b")
	if want := `scope 'a/'b' unknown?`; e.Description != want {
		t.Errorf("got %q, want %q", e.Description, want)
	}
}

func TestErrorFrom(t *testing.T) {
	t.Parallel()
	grant := InvalidGrant("code already used")
	tests := []struct {
		name     string
		err      error
		wantNil  bool
		wantCode string
		wantDesc string
		wantSame *Error
	}{
		{name: "nil", err: nil, wantNil: true},
		{name: "protocol error", err: grant, wantCode: "invalid_grant", wantDesc: "code already used", wantSame: grant},
		{name: "wrapped protocol error", err: fmt.Errorf("exchange: %w", grant), wantCode: "invalid_grant", wantSame: grant, wantDesc: "code already used"},
		{name: "unavailable", err: fmt.Errorf("store: %w", gatehouse.Errorf(gatehouse.EUNAVAILABLE, "database is down at 10.0.0.3")),
			wantCode: "temporarily_unavailable", wantDesc: "the service is temporarily unavailable, try again later"},
		{name: "domain not found", err: gatehouse.Errorf(gatehouse.ENOTFOUND, "client secret s3cr3t not found"),
			wantCode: "server_error", wantDesc: serverErrorDescription},
		{name: "plain error", err: errors.New("pq: password authentication failed for hunter2"),
			wantCode: "server_error", wantDesc: serverErrorDescription},
		{name: "typed nil protocol error", err: (*Error)(nil), wantCode: "server_error", wantDesc: serverErrorDescription},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ErrorFrom(tt.err)
			if tt.wantNil {
				if got != nil {
					t.Fatalf("got %v, want nil", got)
				}
				return
			}
			if got == nil {
				t.Fatal("got nil")
			}
			if got.Code != tt.wantCode || got.Description != tt.wantDesc {
				t.Errorf("got %q %q, want %q %q", got.Code, got.Description, tt.wantCode, tt.wantDesc)
			}
			if tt.wantSame != nil && got != tt.wantSame {
				t.Errorf("got a copy, want the *Error of the chain")
			}
		})
	}
}
