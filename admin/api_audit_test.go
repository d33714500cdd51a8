package admin_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

func TestAudit(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	ctx := context.Background()
	acme := s.MustTenant(t, "acme")
	other := s.MustTenant(t, "other")
	key := mustKey(t, s, acme.ID, gatehouse.APIScopeAuditRead)
	noScope := mustKey(t, s, acme.ID, gatehouse.APIScopeUsersRead)
	otherKey := mustKey(t, s, other.ID, gatehouse.APIScopeAuditRead)
	start := s.Clock.Now()

	// Events to read: some changes, a failed sign-in with a hostile user
	// agent, an hour apart.
	s.MustUser(t, acme.ID, "ana", "")
	s.Clock.Advance(time.Hour)
	mid := s.Clock.Now()
	s.MustClient(t, acme.ID, nil)
	if err := s.App.Audit.RecordSync(ctx, gatehouse.AuditEvent{TenantID: acme.ID, Time: s.Clock.Now(), Actor: "user:x",
		Action: "signin", Result: gatehouse.ResultFailure, IP: "192.0.2.1", UserAgent: "=HYPERLINK(\"https://evil.example\")",
		Details: map[string]string{"reason": "bad_password", "username": "@cmd"}}); err != nil {
		t.Fatal(err)
	}
	s.MustUser(t, other.ID, "bo", "")
	all := s.MustAuditEvents(t, acme.ID, "")

	list := func(query string) response {
		t.Helper()
		r := call(t, s, "GET", "/api/v1/audit?"+query, key, nil, nil)
		if r.status != http.StatusOK {
			t.Fatalf("?%s: %d %s", query, r.status, r.raw)
		}
		return r
	}
	actions := func(r response) []string {
		var out []string
		for _, it := range r.doc["items"].([]any) {
			out = append(out, it.(map[string]any)["action"].(string))
		}
		return out
	}
	if got := actions(list("")); len(got) != len(all) || got[0] != "tenant.create" {
		t.Errorf("everything: %v, want %d events from tenant.create", got, len(all))
	}
	filters := []struct {
		name  string
		query url.Values
		want  []string
	}{
		{"by action", url.Values{"action": {"user.create"}}, []string{"user.create"}},
		{"by result", url.Values{"result": {"failure"}}, []string{"signin"}},
		{"by actor", url.Values{"actor": {"user:x"}}, []string{"signin"}},
		{"since", url.Values{"since": {mid.Format(time.RFC3339)}}, []string{"client.create", "signin"}},
		{"until", url.Values{"until": {mid.Format(time.RFC3339)}}, []string{"tenant.create", "apikey.create", "apikey.create", "user.create"}},
		{"a window", url.Values{"since": {start.Format(time.RFC3339)}, "until": {mid.Format(time.RFC3339)}, "action": {"tenant.create"}},
			[]string{"tenant.create"}},
	}
	for _, tt := range filters {
		if got := actions(list(tt.query.Encode())); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	// Paging walks the whole chain once.
	var paged []float64
	for cursor := ""; ; {
		r := list("limit=1&cursor=" + cursor)
		for _, it := range r.doc["items"].([]any) {
			paged = append(paged, it.(map[string]any)["seq"].(float64))
		}
		if cursor = r.str("next_cursor"); cursor == "" {
			break
		}
	}
	if len(paged) != len(all) || !slices.IsSorted(paged) || paged[0] != 1 {
		t.Errorf("pages: %v, want seq 1..%d", paged, len(all))
	}
	ev := list("result=failure").doc["items"].([]any)[0].(map[string]any)
	if ev["ip"] != "192.0.2.1" || ev["details"].(map[string]any)["reason"] != "bad_password" || len(ev["hash"].(string)) != 64 {
		t.Errorf("an event: %v", ev)
	}

	refused := []struct {
		name      string
		query     string
		key       string
		wantCode  int
		wantField string
	}{
		{"a bad since", "since=yesterday", key, 422, "since"},
		{"until before since", "since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", key, 422, "until"},
		{"a bad result", "result=maybe", key, 422, "result"},
		{"a bad cursor", "cursor=x", key, 422, "cursor"},
		{"a bad limit", "limit=5000", key, 422, "limit"},
		{"a key without the scope", "", noScope, 403, ""},
	}
	for _, tt := range refused {
		r := call(t, s, "GET", "/api/v1/audit?"+tt.query, tt.key, nil, nil)
		if r.status != tt.wantCode || (tt.wantField != "" && !slices.Contains(r.fields(), tt.wantField)) {
			t.Errorf("%s: %d %v, want %d naming %q", tt.name, r.status, r.fields(), tt.wantCode, tt.wantField)
		}
	}
	// Another tenant's key reads its own chain only.
	for _, it := range call(t, s, "GET", "/api/v1/audit", otherKey, nil, nil).doc["items"].([]any) {
		if it.(map[string]any)["action"] == "client.create" || strings.Contains(it.(map[string]any)["target"].(string), acme.ID) {
			t.Errorf("another tenant sees %v", it)
		}
	}
	// Reading is not audited.
	if got := s.MustAuditEvents(t, acme.ID, ""); len(got) != len(all) {
		t.Errorf("reading the log added %d events", len(got)-len(all))
	}

	// Export as JSON lines: every event, one per line.
	jl := send(t, "GET", s.URL+"/api/v1/audit/export?format=jsonl", key, nil, nil)
	if jl.status != 200 || !strings.HasPrefix(jl.header.Get("Content-Type"), "application/x-ndjson") ||
		!strings.Contains(jl.header.Get("Content-Disposition"), `attachment; filename="audit-`) {
		t.Fatalf("jsonl export: %d %v", jl.status, jl.header)
	}
	var lines []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(jl.raw))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	if len(lines) != len(all) || lines[len(lines)-1]["action"] != "signin" {
		t.Errorf("jsonl: %d lines, want %d", len(lines), len(all))
	}
	if r := send(t, "GET", s.URL+"/api/v1/audit/export?action=signin", key, nil, nil); bytes.Count(r.raw, []byte("\n")) != 1 {
		t.Errorf("a filtered export (JSON lines by default): %q", r.raw)
	}

	// Export as CSV: a header and a row per event, formulas defused.
	c := send(t, "GET", s.URL+"/api/v1/audit/export?format=csv", key, nil, nil)
	if c.status != 200 || !strings.HasPrefix(c.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv export: %d %v", c.status, c.header)
	}
	rows, err := csv.NewReader(bytes.NewReader(c.raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(all)+1 || rows[0][0] != "seq" || rows[0][8] != "user_agent" {
		t.Fatalf("csv: %d rows, header %v", len(rows), rows[0])
	}
	last := rows[len(rows)-1]
	if last[8] != `'=HYPERLINK("https://evil.example")` || !strings.Contains(last[9], `"username":"@cmd"`) {
		t.Errorf("csv row: %q; want the user agent defused", last)
	}
	for _, row := range rows {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("a cell starts with a formula character: %q", cell)
			}
		}
	}
	if r := call(t, s, "GET", "/api/v1/audit/export?format=xml", key, nil, nil); r.status != 422 || !slices.Contains(r.fields(), "format") {
		t.Errorf("format xml: %d %v", r.status, r.fields())
	}
	if r := call(t, s, "GET", "/api/v1/audit/export", noScope, nil, nil); r.status != 403 {
		t.Errorf("export without the scope: %d, want 403", r.status)
	}
}

// TestAuditExportLarge streams more events than one page holds.
func TestAuditExportLarge(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	ctx := context.Background()
	acme := s.MustTenant(t, "acme")
	key := mustKey(t, s, acme.ID, gatehouse.APIScopeAuditRead)
	for i := range 1200 {
		s.App.Audit.Record(ctx, gatehouse.AuditEvent{TenantID: acme.ID, Time: s.Clock.Now(), Actor: "system",
			Action: "test.event", Result: gatehouse.ResultSuccess, Details: map[string]string{"i": string(rune('a' + i%26))}})
	}
	if err := s.App.Audit.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	const want = 1 + 1 + 1200 // the tenant, the key, the events
	r := send(t, "GET", s.URL+"/api/v1/audit/export?format=csv", key, nil, nil)
	rows, err := csv.NewReader(bytes.NewReader(r.raw)).ReadAll()
	if err != nil || len(rows) != want+1 {
		t.Errorf("csv export of %d events: %d rows, %v", want, len(rows), err)
	}
	for i, row := range rows[1:] {
		if row[0] != strings.TrimSpace(row[0]) || row[0] != itoa(i+1) {
			t.Fatalf("row %d has seq %s; want the chain in order, no gaps", i, row[0])
		}
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
