package storetest

import (
	"testing"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
)

// TestDiff checks the comparison the suite relies on, so that a broken
// Diff cannot pass every store.
func TestDiff(t *testing.T) {
	t.Parallel()
	base := &gatehouse.Tenant{ID: "x", Domains: nil, Settings: gatehouse.TenantSettings{Widget: map[string]string{}},
		CreatedAt: t0()}
	tests := []struct {
		name  string
		other func(*gatehouse.Tenant)
		equal bool
	}{
		{"identical", func(*gatehouse.Tenant) {}, true},
		{"empty slice for nil", func(x *gatehouse.Tenant) { x.Domains = []string{} }, true},
		{"nil map for empty", func(x *gatehouse.Tenant) { x.Settings.Widget = nil }, true},
		{"same instant elsewhere", func(x *gatehouse.Tenant) { x.CreatedAt = t0().In(time.FixedZone("X", 3600)) }, true},
		{"sub-microsecond", func(x *gatehouse.Tenant) { x.CreatedAt = t0().Add(999 * time.Nanosecond) }, true},
		{"a microsecond off", func(x *gatehouse.Tenant) { x.CreatedAt = t0().Add(time.Microsecond) }, false},
		{"zero time", func(x *gatehouse.Tenant) { x.CreatedAt = time.Time{} }, false},
		{"string", func(x *gatehouse.Tenant) { x.ID = "y" }, false},
		{"slice item", func(x *gatehouse.Tenant) { x.Domains = []string{"a.example.com"} }, false},
		{"map entry", func(x *gatehouse.Tenant) { x.Settings.Widget = map[string]string{"k": "v"} }, false},
	}
	for _, tt := range tests {
		other := *base
		tt.other(&other)
		if got := Diff(base, &other) == ""; got != tt.equal {
			t.Errorf("Diff %s: got equal %v, want %v", tt.name, got, tt.equal)
		}
	}
	if Diff(&gatehouse.Connector{Config: []byte(`{"a": 1, "b": [1]}`)}, &gatehouse.Connector{Config: []byte(`{"b":[1],"a":1}`)}) != "" {
		t.Error("Diff of re-encoded JSON: got a difference, want none")
	}
	if Diff(&gatehouse.Connector{Config: []byte(`{"a": 1}`)}, &gatehouse.Connector{Config: []byte(`{"a": 2}`)}) == "" {
		t.Error("Diff of different JSON: got none, want a difference")
	}
	if Diff(&gatehouse.User{}, &gatehouse.User{Name: "x"}, "Name") != "" {
		t.Error("Diff ignoring Name: got a difference, want none")
	}
}
