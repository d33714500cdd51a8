package gatehousetest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

func TestServerDiscoveryWithGoOIDC(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	ctx := context.Background()
	for _, issuer := range []string{s.URL, s.URL + "/t/acme"} {
		if issuer != s.URL {
			s.MustTenant(t, "acme")
		}
		p, err := oidc.NewProvider(ctx, issuer)
		if err != nil {
			t.Fatalf("go-oidc discovery of %s: %v", issuer, err)
		}
		if got := p.Endpoint().TokenURL; got != issuer+"/oauth/token" {
			t.Errorf("token endpoint of %s = %q", issuer, got)
		}
	}
}

func TestClockAndFixtures(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	before := s.Clock.Now()
	s.Clock.Advance(time.Hour)
	if got := s.Clock.Now().Sub(before); got != time.Hour {
		t.Errorf("Advance(1h) moved the clock by %v", got)
	}
	tn := s.MustTenant(t, "acme")
	u := s.MustUser(t, tn.ID, "ana", "correct horse battery", "admin")
	c := s.MustClient(t, tn.ID, nil)
	if u.TenantID != tn.ID || c.TenantID != tn.ID || c.ClientID == "" || c.ClientSecret == "" {
		t.Errorf("fixtures: user %+v client %+v", u, c)
	}
	resp, err := http.Get(s.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("readyz: %d %v %v", resp.StatusCode, body, err)
	}
}
