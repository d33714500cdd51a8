package storetest

import (
	"fmt"
	"testing"

	gatehouse "github.com/gatehouse-id/gatehouse"
)

func tenantCases() []testCase {
	return []testCase{
		{"Tenant/CreateAndGet", testTenantCreateAndGet},
		{"Tenant/Unique", testTenantUnique},
		{"Tenant/Update", testTenantUpdate},
		{"Tenant/List", testTenantList},
	}
}

func testTenantCreateAndGet(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	want := fullTenant("acme")
	must(t, "CreateTenant", s.CreateTenant(ctx, want))
	isUUID(t, "CreateTenant", want.ID)
	if want.Revision != 1 {
		t.Errorf("CreateTenant: got revision %d, want 1", want.Revision)
	}
	if want.CreatedAt.IsZero() || want.UpdatedAt.IsZero() {
		t.Errorf("CreateTenant: got CreatedAt %v, UpdatedAt %v, want both filled", want.CreatedAt, want.UpdatedAt)
	}

	gets := []struct {
		name string
		get  func() (*gatehouse.Tenant, error)
	}{
		{"GetTenant", func() (*gatehouse.Tenant, error) { return s.GetTenant(ctx, want.ID) }},
		{"GetTenantBySlug", func() (*gatehouse.Tenant, error) { return s.GetTenantBySlug(ctx, "acme") }},
		{"GetTenantByDomain first", func() (*gatehouse.Tenant, error) { return s.GetTenantByDomain(ctx, want.Domains[0]) }},
		{"GetTenantByDomain second", func() (*gatehouse.Tenant, error) { return s.GetTenantByDomain(ctx, want.Domains[1]) }},
	}
	for _, g := range gets {
		got, err := g.get()
		must(t, g.name, err)
		same(t, g.name, want, got)
	}

	misses := []struct {
		name string
		get  func() (*gatehouse.Tenant, error)
	}{
		{"GetTenant unknown", func() (*gatehouse.Tenant, error) { return s.GetTenant(ctx, "00000000-0000-7000-8000-000000000000") }},
		{"GetTenantBySlug unknown", func() (*gatehouse.Tenant, error) { return s.GetTenantBySlug(ctx, "nope") }},
		{"GetTenantByDomain unknown", func() (*gatehouse.Tenant, error) { return s.GetTenantByDomain(ctx, "id.nope.example.com") }},
		{"GetTenantByDomain empty", func() (*gatehouse.Tenant, error) { return s.GetTenantByDomain(ctx, "") }},
	}
	for _, m := range misses {
		_, err := m.get()
		wantCode(t, m.name, err, gatehouse.ENOTFOUND)
	}
}

func testTenantUnique(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	a := fullTenant("alpha")
	must(t, "CreateTenant alpha", s.CreateTenant(ctx, a))

	dupSlug := fullTenant("alpha")
	dupSlug.Domains = nil
	wantCode(t, "CreateTenant with a taken slug", s.CreateTenant(ctx, dupSlug), gatehouse.ECONFLICT)

	// The tenant and its domains are one transaction: a taken domain
	// leaves no tenant behind.
	dupDomain := fullTenant("beta")
	dupDomain.Domains = []string{"free.beta.example.com", a.Domains[1]}
	wantCode(t, "CreateTenant with a taken domain", s.CreateTenant(ctx, dupDomain), gatehouse.ECONFLICT)
	_, err := s.GetTenantBySlug(ctx, "beta")
	wantCode(t, "GetTenantBySlug after a failed create", err, gatehouse.ENOTFOUND)
	_, err = s.GetTenantByDomain(ctx, "free.beta.example.com")
	wantCode(t, "GetTenantByDomain after a failed create", err, gatehouse.ENOTFOUND)

	b := fullTenant("beta")
	must(t, "CreateTenant beta", s.CreateTenant(ctx, b))

	// Claiming a's domain in an update fails and changes nothing.
	stale := *b
	stale.Domains = append([]string{}, b.Domains[0], a.Domains[0])
	stale.Name = "Changed"
	wantCode(t, "UpdateTenant with a taken domain", s.UpdateTenant(ctx, &stale), gatehouse.ECONFLICT)
	got, err := s.GetTenant(ctx, b.ID)
	must(t, "GetTenant beta", err)
	same(t, "tenant after a refused update", b, got)
	got, err = s.GetTenantByDomain(ctx, a.Domains[0])
	must(t, "GetTenantByDomain alpha", err)
	if got.ID != a.ID {
		t.Errorf("GetTenantByDomain(%q): got tenant %s, want %s", a.Domains[0], got.ID, a.ID)
	}

	// Once a releases a domain, b may take it.
	a.Domains = a.Domains[1:]
	must(t, "UpdateTenant alpha drops a domain", s.UpdateTenant(ctx, a))
	b.Domains = append(b.Domains, "id.alpha.example.com")
	must(t, "UpdateTenant beta takes the released domain", s.UpdateTenant(ctx, b))
	got, err = s.GetTenantByDomain(ctx, "id.alpha.example.com")
	must(t, "GetTenantByDomain released domain", err)
	if got.ID != b.ID {
		t.Errorf("GetTenantByDomain(released): got tenant %s, want %s", got.ID, b.ID)
	}
}

func testTenantUpdate(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := fullTenant("gamma")
	must(t, "CreateTenant", s.CreateTenant(ctx, tn))
	created := *tn
	stale := *tn

	tn.Name = "Gamma Corp"
	tn.Status = gatehouse.StatusDisabled
	tn.Branding = gatehouse.Branding{PrimaryColor: "#000"}
	tn.Domains = []string{"sso.gamma.example.com"}
	tn.Settings.Widget = map[string]string{"color": "red"}
	must(t, "UpdateTenant", s.UpdateTenant(ctx, tn))
	if tn.Revision != 2 {
		t.Errorf("UpdateTenant: got revision %d written back, want 2", tn.Revision)
	}
	got, err := s.GetTenant(ctx, tn.ID)
	must(t, "GetTenant", err)
	same(t, "updated tenant", tn, got, "UpdatedAt")
	notBefore(t, "UpdatedAt after update", got.UpdatedAt, created.UpdatedAt)
	same(t, "CreatedAt after update", created.CreatedAt, got.CreatedAt)

	_, err = s.GetTenantByDomain(ctx, created.Domains[0])
	wantCode(t, "GetTenantByDomain of a removed domain", err, gatehouse.ENOTFOUND)

	stale.Name = "Lost update"
	wantCode(t, "UpdateTenant with a stale revision", s.UpdateTenant(ctx, &stale), gatehouse.ECONFLICT)
	if stale.Revision != 1 {
		t.Errorf("refused UpdateTenant: got revision %d in the argument, want 1 left alone", stale.Revision)
	}
	got, err = s.GetTenant(ctx, tn.ID)
	must(t, "GetTenant", err)
	same(t, "tenant after a refused update", tn, got, "UpdatedAt")

	gone := fullTenant("delta")
	gone.ID = "00000000-0000-7000-8000-000000000001"
	gone.Revision = 1
	wantCode(t, "UpdateTenant of an unknown tenant", s.UpdateTenant(ctx, gone), gatehouse.ENOTFOUND)
}

func testTenantList(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	var want []*gatehouse.Tenant
	for i := range 5 {
		want = append(want, MustTenant(t, s, fmt.Sprintf("list-%d", 4-i)))
	}
	checkPages(t, "ListTenants", want, func(opt gatehouse.ListOptions) ([]*gatehouse.Tenant, string, error) {
		return s.ListTenants(ctx, opt)
	})
}

// checkPages lists with every page size from 1 to len(want)+1 and with the
// default, following cursors until "", and compares the concatenation with
// want (creation order). A page may not hold more than its limit, and the
// cursor is "" exactly on the last page.
func checkPages[T any](t *testing.T, what string, want []T, list func(gatehouse.ListOptions) ([]T, string, error), ignore ...string) {
	t.Helper()
	for size := 0; size <= len(want)+1; size++ {
		var got []T
		cursor := ""
		pages := 0
		for {
			items, next, err := list(gatehouse.ListOptions{Limit: size, Cursor: cursor})
			must(t, fmt.Sprintf("%s limit %d page %d", what, size, pages), err)
			pages++
			if size > 0 && len(items) > size {
				t.Fatalf("%s limit %d page %d: got %d items, want at most %d", what, size, pages, len(items), size)
			}
			got = append(got, items...)
			if next == "" {
				break
			}
			if pages > len(want) {
				t.Fatalf("%s limit %d: still paging after %d pages", what, size, pages)
			}
			cursor = next
		}
		same(t, fmt.Sprintf("%s limit %d", what, size), want, got, ignore...)
		// The cursor is "" on the page that holds the last item, not on an
		// empty page after it.
		wantPages := 1
		if size > 0 && len(want) > 0 {
			wantPages = (len(want) + size - 1) / size
		}
		if pages != wantPages {
			t.Errorf("%s limit %d: got %d pages, want %d", what, size, pages, wantPages)
		}
	}
}
