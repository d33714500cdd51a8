package main

import (
	"strings"
	"testing"
)

// TestTenantPlatformAdmin marks tenants as the platform's own, at creation
// and afterwards, and checks what the store keeps.
func TestTenantPlatformAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.ok("", "tenant", "create", "--slug", "platform", "--name", "Platform", "--platform-admin")
	e.ok("", "tenant", "create", "--slug", "acme", "--name", "Acme")
	marked := func() []string {
		t.Helper()
		rows, err := e.db().Query(`SELECT t.slug FROM platform_admins p JOIN tenants t ON t.id = p.tenant_id ORDER BY t.slug`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}
	if got := strings.Join(marked(), ","); got != "platform" {
		t.Fatalf("after create: marked %q, want platform", got)
	}
	if out := e.ok("", "tenant", "platform-admin", "--tenant", "acme"); !strings.Contains(out, "acme is the platform's own tenant") {
		t.Errorf("output: %q", out)
	}
	if got := strings.Join(marked(), ","); got != "acme,platform" {
		t.Errorf("after marking acme: %q", got)
	}
	e.ok("", "tenant", "platform-admin", "--tenant", "acme", "--off")
	if got := strings.Join(marked(), ","); got != "platform" {
		t.Errorf("after unmarking acme: %q", got)
	}
	if r := e.run("", "tenant", "platform-admin", "--tenant", "nope"); r.code == 0 {
		t.Errorf("an unknown tenant: exit 0")
	}
}
