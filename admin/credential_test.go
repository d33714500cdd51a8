package admin_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/admin"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

// TestUpdateClientCredential renames credentials through the operation:
// a name is checked as a new credential's, and a change that is refused
// writes nothing, the name included.
func TestUpdateClientCredential(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	acme := s.MustTenant(t, "acme")
	svc := admin.New(admin.Options{Store: s.Store,
		Audit: s.App.Audit, Catalog: gatehouse.NewScopeCatalog(), Clock: s.Clock.Now})
	ctx := context.Background()
	actor := admin.Actor{ID: "user:ana"}
	c, _, err := svc.CreateClient(ctx, actor, acme.ID, &gatehouse.Client{Name: "CRM sync", GrantTypes: []string{"client_credentials"}})
	if err != nil {
		t.Fatal(err)
	}
	soon := s.Clock.Now().Add(time.Hour)
	_, staging, err := svc.AddClientCredential(ctx, actor, acme.ID, c.ID, admin.CredentialInput{Name: "staging", ExpiresAt: soon})
	if err != nil {
		t.Fatal(err)
	}
	stagingID := staging.ID
	_, retired, err := svc.AddClientCredential(ctx, actor, acme.ID, c.ID, admin.CredentialInput{Name: "retired"})
	if err != nil {
		t.Fatal(err)
	}
	retiredID := retired.ID
	if _, err := svc.ExpireClientCredential(ctx, actor, acme.ID, c.ID, retiredID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	name := func(s string) *string { return &s }
	never := time.Time{}

	tests := []struct {
		name       string
		credential string
		change     admin.CredentialChange
		wantField  string // the field a refusal names; "" for success
		wantName   string
		wantExpiry time.Time
	}{
		{"rename", stagingID, admin.CredentialChange{Name: name("staging (eu)")}, "", "staging (eu)", soon},
		{"rename and clear the expiry", stagingID, admin.CredentialChange{Name: name("eu"), Expiry: &never}, "", "eu", never},
		{"a name that is too long", stagingID, admin.CredentialChange{Name: name(strings.Repeat("n", 101))}, "name", "eu", never},
		{"a name with spaces around it", stagingID, admin.CredentialChange{Name: name(" eu ")}, "name", "eu", never},
		{"an empty name", stagingID, admin.CredentialChange{Name: name("")}, "name", "eu", never},
		{"rename an expired credential", retiredID, admin.CredentialChange{Name: name("retired in May")}, "", "retired in May", s.Clock.Now()},
		{"rename and revive an expired credential", retiredID, admin.CredentialChange{Name: name("back"), Expiry: &never}, "expires_at", "retired in May", s.Clock.Now()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.UpdateClientCredential(ctx, actor, acme.ID, c.ID, tt.credential, tt.change, nil)
			var e *gatehouse.Error
			switch {
			case tt.wantField == "" && err != nil:
				t.Fatalf("got %v, want success", err)
			case tt.wantField != "" && (!errors.As(err, &e) || e.Code != gatehouse.EINVALID ||
				!slices.ContainsFunc(e.Fields, func(f gatehouse.FieldError) bool { return f.Field == tt.wantField })):
				t.Fatalf("got %v, want EINVALID naming %s", err, tt.wantField)
			}
			cl, _ := svc.Client(ctx, acme.ID, c.ID)
			for _, cr := range cl.Credentials {
				if cr.ID == tt.credential && (cr.Name != tt.wantName || !cr.ExpiresAt.Equal(tt.wantExpiry)) {
					t.Errorf("got name %q expiring %v, want %q expiring %v", cr.Name, cr.ExpiresAt, tt.wantName, tt.wantExpiry)
				}
			}
		})
	}
	evs := s.MustAuditEvents(t, acme.ID, "client.credential.rename")
	var names []string
	for _, ev := range evs {
		names = append(names, ev.Details["name"])
		if ev.Actor != actor.ID || ev.Target != "client:"+c.ID {
			t.Errorf("rename event by %q on %q, want %s on client:%s", ev.Actor, ev.Target, actor.ID, c.ID)
		}
	}
	if want := []string{"staging (eu)", "eu", "retired in May"}; !slices.Equal(names, want) {
		t.Errorf("renames recorded: %v, want %v", names, want)
	}
}
