package oauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse"
)

// decodeError decodes a JSON error body and checks the headers every
// error response must carry.
func decodeError(t *testing.T, rec *httptest.ResponseRecorder) errorBody {
	t.Helper()
	if got, want := rec.Header().Get("Content-Type"), "application/json"; got != want {
		t.Errorf("got Content-Type %q, want %q", got, want)
	}
	if got, want := rec.Header().Get("Cache-Control"), "no-store"; got != want {
		t.Errorf("got Cache-Control %q, want %q", got, want)
	}
	if got, want := rec.Header().Get("Pragma"), "no-cache"; got != want {
		t.Errorf("got Pragma %q, want %q", got, want)
	}
	if got, want := rec.Header().Get("Content-Length"), strconv.Itoa(rec.Body.Len()); got != want {
		t.Errorf("got Content-Length %q, want %q", got, want)
	}
	var body errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("decode body %q: %v", rec.Body.String(), err)
	}
	return body
}

func TestWriteClientError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        error
		basic      bool
		wantStatus int
		wantCode   string
		wantDesc   string
		wantAuth   string
	}{
		{name: "invalid grant", err: InvalidGrant("code expired"),
			wantStatus: 400, wantCode: "invalid_grant", wantDesc: "code expired"},
		{name: "wrapped", err: fmt.Errorf("grant: %w", UnsupportedGrantType("password is not supported")),
			wantStatus: 400, wantCode: "unsupported_grant_type", wantDesc: "password is not supported"},
		{name: "invalid client without basic", err: InvalidClient("client authentication failed"),
			wantStatus: 401, wantCode: "invalid_client", wantDesc: "client authentication failed"},
		{name: "invalid client after basic", err: InvalidClient("client authentication failed"), basic: true,
			wantStatus: 401, wantCode: "invalid_client", wantDesc: "client authentication failed", wantAuth: `Basic realm="gatehouse"`},
		{name: "invalid client after basic with a changed status", err: &Error{Code: CodeInvalidClient, Status: 400}, basic: true,
			wantStatus: 401, wantCode: "invalid_client", wantAuth: `Basic realm="gatehouse"`},
		{name: "other error after basic", err: InvalidRequest("missing grant_type"), basic: true,
			wantStatus: 400, wantCode: "invalid_request", wantDesc: "missing grant_type"},
		{name: "internal error hides detail", err: errors.New("sql: connection refused to 10.1.2.3 with secret hunter2"),
			wantStatus: 500, wantCode: "server_error", wantDesc: serverErrorDescription},
		{name: "unavailable", err: gatehouse.Errorf(gatehouse.EUNAVAILABLE, "database is locked"),
			wantStatus: 503, wantCode: "temporarily_unavailable", wantDesc: "the service is temporarily unavailable, try again later"},
		{name: "nil error", err: nil,
			wantStatus: 500, wantCode: "server_error", wantDesc: serverErrorDescription},
		{name: "hand-built error is sanitized", err: &Error{Code: "bad\"code", Description: "a\"b\nc", Status: 200},
			wantStatus: 500, wantCode: "server_error", wantDesc: "a'b?c"},
		{name: "hand-built error without status", err: &Error{Code: CodeInvalidScope, Description: "nope"},
			wantStatus: 400, wantCode: "invalid_scope", wantDesc: "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			WriteClientError(rec, tt.err, tt.basic)
			if rec.Code != tt.wantStatus {
				t.Errorf("got status %d, want %d", rec.Code, tt.wantStatus)
			}
			body := decodeError(t, rec)
			if body.Error != tt.wantCode || body.Description != tt.wantDesc {
				t.Errorf("got %q %q, want %q %q", body.Error, body.Description, tt.wantCode, tt.wantDesc)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tt.wantAuth {
				t.Errorf("got WWW-Authenticate %q, want %q", got, tt.wantAuth)
			}
			if strings.Contains(rec.Body.String(), "hunter2") {
				t.Errorf("body leaks a secret: %s", rec.Body.String())
			}
		})
	}
}

func TestWriteTokenErrorNeverChallengesBasic(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	WriteTokenError(rec, InvalidClient("unknown client"))
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("got status %d, want 401", rec.Code)
	}
	if got := rec.Header().Get("WWW-Authenticate"); got != "" {
		t.Errorf("got WWW-Authenticate %q, want none", got)
	}
	if body := decodeError(t, rec); body.Error != CodeInvalidClient {
		t.Errorf("got error %q, want invalid_client", body.Error)
	}
}

func TestWriteBearerError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
		wantAuth   string
	}{
		{name: "no token", err: nil,
			wantStatus: 401, wantCode: "invalid_token", wantAuth: `Bearer realm="gatehouse"`},
		{name: "invalid token", err: InvalidToken("the access token expired"),
			wantStatus: 401, wantCode: "invalid_token",
			wantAuth: `Bearer realm="gatehouse", error="invalid_token", error_description="the access token expired"`},
		{name: "invalid token without description", err: &Error{Code: CodeInvalidToken},
			wantStatus: 401, wantCode: "invalid_token", wantAuth: `Bearer realm="gatehouse", error="invalid_token"`},
		{name: "invalid request", err: InvalidRequest("the access token was sent in more than one way"),
			wantStatus: 400, wantCode: "invalid_request",
			wantAuth: `Bearer realm="gatehouse", error="invalid_request", error_description="the access token was sent in more than one way"`},
		{name: "insufficient scope", err: InsufficientScope("openid scope required"),
			wantStatus: 403, wantCode: "insufficient_scope",
			wantAuth: `Bearer realm="gatehouse", error="insufficient_scope", error_description="openid scope required"`},
		{name: "quotes cannot break the header", err: &Error{Code: CodeInvalidToken, Description: "x\", error=\"none\r\nSet-Cookie: a=b"},
			wantStatus: 401, wantCode: "invalid_token",
			wantAuth: `Bearer realm="gatehouse", error="invalid_token", error_description="x', error='none??Set-Cookie: a=b"`},
		{name: "internal error has no challenge", err: errors.New("boom"),
			wantStatus: 500, wantCode: "server_error"},
		{name: "unavailable has no challenge", err: gatehouse.Errorf(gatehouse.EUNAVAILABLE, "down"),
			wantStatus: 503, wantCode: "temporarily_unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			WriteBearerError(rec, tt.err)
			if rec.Code != tt.wantStatus {
				t.Errorf("got status %d, want %d", rec.Code, tt.wantStatus)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tt.wantAuth {
				t.Errorf("got WWW-Authenticate %q, want %q", got, tt.wantAuth)
			}
			if body := decodeError(t, rec); body.Error != tt.wantCode {
				t.Errorf("got error %q, want %q", body.Error, tt.wantCode)
			}
		})
	}
}

func TestUsedBasic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		headers []string
		want    bool
	}{
		{"none", nil, false},
		{"basic", []string{"Basic YTpi"}, true},
		{"lower case", []string{"basic YTpi"}, true},
		{"malformed basic", []string{"Basic !!!"}, true},
		{"scheme alone", []string{"Basic"}, true},
		{"bearer", []string{"Bearer abc"}, false},
		{"empty", []string{""}, false},
		{"second header basic", []string{"Bearer abc", "Basic YTpi"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/oauth/token", nil)
			for _, h := range tt.headers {
				r.Header.Add("Authorization", h)
			}
			if got := UsedBasic(r); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
