package provider_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

// The store caches clients by client_id; the token endpoint must still see
// every change to a client at once. Each case warms the cache with a
// successful request, changes the client, and expects the old credentials
// refused on the very next request.
func TestClientChangesApplyAtOnce(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	tn := s.MustTenant(t, "changes")
	tests := []struct {
		name   string
		change func(t *testing.T, c *gatehousetest.Client) (newID, newSecret string)
	}{
		{
			name: "secret rotated without grace",
			change: func(t *testing.T, c *gatehousetest.Client) (string, string) {
				_, issued, err := s.App.Admin.RotateClientSecret(t.Context(), gatehousetest.Actor(), tn.ID, c.ClientID, 0)
				if err != nil {
					t.Fatalf("RotateClientSecret: %v", err)
				}
				return issued.ClientID, issued.Secret
			},
		},
		{
			name: "client deleted",
			change: func(t *testing.T, c *gatehousetest.Client) (string, string) {
				if err := s.Store.DeleteClient(t.Context(), tn.ID, c.ID); err != nil {
					t.Fatalf("DeleteClient: %v", err)
				}
				return "", ""
			},
		},
		{
			name: "credential deleted",
			change: func(t *testing.T, c *gatehousetest.Client) (string, string) {
				if err := s.Store.DeleteClientCredential(t.Context(), tn.ID, c.Credentials[0].ID); err != nil {
					t.Fatalf("DeleteClientCredential: %v", err)
				}
				return "", ""
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := s.MustClient(t, tn.ID, func(c *gatehouse.Client) {
				c.GrantTypes = []string{"client_credentials"}
				c.Scopes = []string{"profile"}
			})
			for range 2 {
				if got := clientCredentials(t, s.URL, c.ClientID, c.ClientSecret); got != http.StatusOK {
					t.Fatalf("before the change: got status %d, want 200", got)
				}
			}
			newID, newSecret := tt.change(t, c)
			if got := clientCredentials(t, s.URL, c.ClientID, c.ClientSecret); got != http.StatusUnauthorized {
				t.Errorf("old credential after the change: got status %d, want 401", got)
			}
			if newID != "" {
				if got := clientCredentials(t, s.URL, newID, newSecret); got != http.StatusOK {
					t.Errorf("new credential: got status %d, want 200", got)
				}
			}
		})
	}
}

// clientCredentials asks for a client_credentials token and returns the
// response status.
func clientCredentials(t *testing.T, base, clientID, clientSecret string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/oauth/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, clientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("token request: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
