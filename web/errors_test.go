package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		build      func() *PageError
		wantStatus int
	}{
		{"internal", InternalError, http.StatusInternalServerError},
		{"unavailable", UnavailableError, http.StatusServiceUnavailable},
	}
	r := mustRenderer(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := tc.build()
			if e.Status != tc.wantStatus {
				t.Errorf("got status %d, want %d", e.Status, tc.wantStatus)
			}
			if e.Title == "" || e.Message == "" {
				t.Errorf("got title %q and message %q, want both", e.Title, e.Message)
			}
			var err error = e
			var got *PageError
			if !errors.As(err, &got) || got.Error() != e.Message {
				t.Errorf("as an error: got %v, want the message %q", err, e.Message)
			}

			// Each call builds its own value: a handler that changes the
			// one it got changes nobody else's.
			e.Message = "changed"
			if again := tc.build(); again.Message == "changed" {
				t.Errorf("got a shared value, want a fresh one per call")
			}

			rec := httptest.NewRecorder()
			e = tc.build()
			if err := r.Render(rec, e.Status, e.Page(acme)); err != nil {
				t.Fatalf("Render: %v", err)
			}
			body := rec.Body.String()
			if rec.Code != tc.wantStatus || !strings.Contains(body, "<h1>"+e.Title+"</h1>") || !strings.Contains(body, e.Message) {
				t.Errorf("rendered: got %d with\n%s\nwant %d with the title and message", rec.Code, body, tc.wantStatus)
			}
		})
	}
}
