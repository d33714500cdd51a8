package storetest

import (
	"encoding/json"
	"testing"

	gatehouse "github.com/gatehouse-id/gatehouse"
)

func connectorCases() []testCase {
	return []testCase{
		{"Connector/Lifecycle", testConnectorLifecycle},
		{"Connector/Identities", testConnectorIdentities},
	}
}

func testConnectorLifecycle(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	other := MustTenant(t, s, "other")
	c1, c2 := newConnector(tn.ID), newConnector(tn.ID)
	c2.Kind = gatehouse.ConnectorZeroClick
	c2.Config = nil
	c2.SealedSecrets = nil
	c2.Active = false
	c2.ConflictPolicy = gatehouse.ConflictResolveAuto
	must(t, "CreateConnector", s.CreateConnector(ctx, c1))
	must(t, "CreateConnector other tenant", s.CreateConnector(ctx, newConnector(other.ID)))
	must(t, "CreateConnector", s.CreateConnector(ctx, c2))
	isUUID(t, "CreateConnector", c1.ID)
	if c1.Revision != 1 || c1.CreatedAt.IsZero() || c1.UpdatedAt.IsZero() {
		t.Errorf("CreateConnector: got revision %d, CreatedAt %v, UpdatedAt %v; want 1 and both times filled",
			c1.Revision, c1.CreatedAt, c1.UpdatedAt)
	}

	got, err := s.GetConnector(ctx, tn.ID, c1.ID)
	must(t, "GetConnector", err)
	same(t, "GetConnector", c1, got)
	list, err := s.ListConnectors(ctx, tn.ID)
	must(t, "ListConnectors", err)
	same(t, "ListConnectors", []*gatehouse.Connector{c1, c2}, list)

	created := *c1
	stale := *c1
	c1.Name = "Renamed"
	c1.Active = false
	c1.Config = json.RawMessage(`{"issuer":"https://new.example.com"}`)
	c1.SealedSecrets = []byte{9, 9, 9}
	c1.Mapping = gatehouse.ClaimMapping{UserKey: "id", Nickname: "names.nicknames.0"}
	must(t, "UpdateConnector", s.UpdateConnector(ctx, c1))
	if c1.Revision != 2 {
		t.Errorf("UpdateConnector: got revision %d written back, want 2", c1.Revision)
	}
	got, err = s.GetConnector(ctx, tn.ID, c1.ID)
	must(t, "GetConnector", err)
	same(t, "updated connector", c1, got, "UpdatedAt")
	notBefore(t, "UpdatedAt after update", got.UpdatedAt, created.UpdatedAt)
	wantCode(t, "UpdateConnector with a stale revision", s.UpdateConnector(ctx, &stale), gatehouse.ECONFLICT)

	unknown := "00000000-0000-7000-8000-000000000000"
	gone := newConnector(tn.ID)
	gone.ID, gone.Revision = unknown, 1
	wantCode(t, "UpdateConnector unknown", s.UpdateConnector(ctx, gone), gatehouse.ENOTFOUND)
	_, err = s.GetConnector(ctx, tn.ID, unknown)
	wantCode(t, "GetConnector unknown", err, gatehouse.ENOTFOUND)
	wantCode(t, "CreateConnector in an unknown tenant", s.CreateConnector(ctx, newConnector(unknown)), gatehouse.ENOTFOUND)

	must(t, "DeleteConnector", s.DeleteConnector(ctx, tn.ID, c1.ID))
	_, err = s.GetConnector(ctx, tn.ID, c1.ID)
	wantCode(t, "GetConnector after delete", err, gatehouse.ENOTFOUND)
	wantCode(t, "DeleteConnector again", s.DeleteConnector(ctx, tn.ID, c1.ID), gatehouse.ENOTFOUND)
	list, err = s.ListConnectors(ctx, tn.ID)
	must(t, "ListConnectors", err)
	same(t, "ListConnectors after delete", []*gatehouse.Connector{c2}, list)
}

func testConnectorIdentities(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	u := MustUser(t, s, tn.ID, "ana")
	bob := MustUser(t, s, tn.ID, "bob")
	c, kept := newConnector(tn.ID), newConnector(tn.ID)
	must(t, "CreateConnector", s.CreateConnector(ctx, c))
	must(t, "CreateConnector", s.CreateConnector(ctx, kept))

	f := &gatehouse.FederatedIdentity{TenantID: tn.ID, ConnectorID: c.ID, Subject: "upstream-42", UserID: u.ID}
	must(t, "LinkIdentity", s.LinkIdentity(ctx, f))
	if f.CreatedAt.IsZero() {
		t.Error("LinkIdentity: got zero CreatedAt, want it filled")
	}
	got, err := s.GetIdentity(ctx, tn.ID, c.ID, "upstream-42")
	must(t, "GetIdentity", err)
	same(t, "GetIdentity", f, got)

	// The same subject through another connector is another account.
	same2 := &gatehouse.FederatedIdentity{TenantID: tn.ID, ConnectorID: kept.ID, Subject: "upstream-42", UserID: bob.ID}
	must(t, "LinkIdentity through another connector", s.LinkIdentity(ctx, same2))
	dup := &gatehouse.FederatedIdentity{TenantID: tn.ID, ConnectorID: c.ID, Subject: "upstream-42", UserID: bob.ID}
	wantCode(t, "LinkIdentity of a linked subject", s.LinkIdentity(ctx, dup), gatehouse.ECONFLICT)

	must(t, "TouchIdentity", s.TouchIdentity(ctx, tn.ID, c.ID, "upstream-42", t0()))
	got, err = s.GetIdentity(ctx, tn.ID, c.ID, "upstream-42")
	must(t, "GetIdentity", err)
	f.LastSignInAt = t0()
	same(t, "identity after touch", f, got)

	unknown := "00000000-0000-7000-8000-000000000000"
	tests := []struct {
		name string
		f    *gatehouse.FederatedIdentity
	}{
		{"unknown connector", &gatehouse.FederatedIdentity{TenantID: tn.ID, ConnectorID: unknown, Subject: "s", UserID: u.ID}},
		{"unknown user", &gatehouse.FederatedIdentity{TenantID: tn.ID, ConnectorID: c.ID, Subject: "s", UserID: unknown}},
	}
	for _, tt := range tests {
		wantCode(t, "LinkIdentity for an "+tt.name, s.LinkIdentity(ctx, tt.f), gatehouse.ENOTFOUND)
	}
	_, err = s.GetIdentity(ctx, tn.ID, c.ID, "nobody")
	wantCode(t, "GetIdentity unknown", err, gatehouse.ENOTFOUND)
	wantCode(t, "TouchIdentity unknown", s.TouchIdentity(ctx, tn.ID, c.ID, "nobody", t0()), gatehouse.ENOTFOUND)

	// Deleting a connector removes its links, and only its links.
	must(t, "DeleteConnector", s.DeleteConnector(ctx, tn.ID, c.ID))
	_, err = s.GetIdentity(ctx, tn.ID, c.ID, "upstream-42")
	wantCode(t, "GetIdentity after DeleteConnector", err, gatehouse.ENOTFOUND)
	if _, err := s.GetIdentity(ctx, tn.ID, kept.ID, "upstream-42"); err != nil {
		t.Errorf("GetIdentity through the other connector: %v", err)
	}
}
