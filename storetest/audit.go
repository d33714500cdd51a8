package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
)

func auditCases() []testCase {
	return []testCase{
		{"Audit/Append", testAuditAppend},
		{"Audit/ConcurrentAppend", testAuditConcurrentAppend},
		{"Audit/List", testAuditList},
		{"Audit/Tenants", testAuditTenants},
	}
}

func auditEvent(tenantID string, seq int64, at time.Time) *gatehouse.AuditEvent {
	return &gatehouse.AuditEvent{
		TenantID:  tenantID,
		Seq:       seq,
		Time:      at,
		Actor:     "user:0190a4c2-0000-7000-8000-000000000001",
		Action:    "client.create",
		Target:    "client:0190a4c2-0000-7000-8000-000000000002",
		Result:    gatehouse.ResultSuccess,
		IP:        "198.51.100.4",
		UserAgent: "gatehouse-cli/1.0",
		Details:   map[string]string{"client_id": "gth_ci_x", "seq": fmt.Sprint(seq)},
		PrevHash:  []byte(fmt.Sprintf("prev-%d", seq)),
		Hash:      []byte(fmt.Sprintf("hash-%d", seq)),
	}
}

func testAuditAppend(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	now := t0()
	_, err := s.LastAuditEvent(ctx, "")
	wantCode(t, "LastAuditEvent of an empty chain", err, gatehouse.ENOTFOUND)

	first := auditEvent("", 1, now)
	first.PrevHash, first.Details = nil, nil
	batch := []*gatehouse.AuditEvent{first, auditEvent(tn.ID, 1, now), auditEvent("", 2, now), auditEvent("", 3, now),
		auditEvent(tn.ID, 2, now)}
	must(t, "AppendAuditEvents", s.AppendAuditEvents(ctx, batch))
	for _, e := range batch {
		isUUID(t, "AppendAuditEvents", e.ID)
	}
	last, err := s.LastAuditEvent(ctx, "")
	must(t, "LastAuditEvent", err)
	same(t, "LastAuditEvent platform", batch[3], last)
	last, err = s.LastAuditEvent(ctx, tn.ID)
	must(t, "LastAuditEvent", err)
	same(t, "LastAuditEvent tenant", batch[4], last)
	events, _, err := s.ListAuditEvents(ctx, gatehouse.AuditFilter{TenantID: ""})
	must(t, "ListAuditEvents", err)
	same(t, "platform chain", []*gatehouse.AuditEvent{batch[0], batch[2], batch[3]}, events)

	// A batch with a taken Seq writes nothing, not even the events before
	// the conflict.
	tests := []struct {
		name  string
		batch []*gatehouse.AuditEvent
	}{
		{"taken seq after a good one", []*gatehouse.AuditEvent{auditEvent("", 4, now), auditEvent("", 3, now)}},
		{"taken seq in another chain", []*gatehouse.AuditEvent{auditEvent(tn.ID, 3, now), auditEvent("", 2, now)}},
		{"taken seq alone", []*gatehouse.AuditEvent{auditEvent(tn.ID, 1, now)}},
	}
	for _, tt := range tests {
		wantCode(t, "AppendAuditEvents "+tt.name, s.AppendAuditEvents(ctx, tt.batch), gatehouse.ECONFLICT)
	}
	for id, want := range map[string]int64{"": 3, tn.ID: 2} {
		last, err := s.LastAuditEvent(ctx, id)
		must(t, "LastAuditEvent", err)
		if last.Seq != want {
			t.Errorf("LastAuditEvent(%q) after refused batches: got seq %d, want %d", id, last.Seq, want)
		}
	}
	must(t, "AppendAuditEvents after refused batches", s.AppendAuditEvents(ctx, []*gatehouse.AuditEvent{auditEvent("", 4, now)}))
}

func testAuditConcurrentAppend(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	const n = 8
	errs := race(n, func(i int) error {
		return s.AppendAuditEvents(ctx, []*gatehouse.AuditEvent{auditEvent("", 1, t0()), auditEvent("", 2, t0())})
	})
	wins := 0
	for i, err := range errs {
		switch gatehouse.ErrorCode(err) {
		case "":
			wins++
		case gatehouse.ECONFLICT:
		default:
			t.Errorf("appender %d: got %v, want success or ECONFLICT", i, err)
		}
	}
	if wins != 1 {
		t.Fatalf("concurrent AppendAuditEvents of the same Seq: got %d winners, want 1", wins)
	}
	events, _, err := s.ListAuditEvents(ctx, gatehouse.AuditFilter{})
	must(t, "ListAuditEvents", err)
	if len(events) != 2 {
		t.Errorf("chain after concurrent appends: got %d events, want 2", len(events))
	}
}

func testAuditList(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	tn := MustTenant(t, s, "acme")
	other := MustTenant(t, s, "other")
	var all []*gatehouse.AuditEvent
	for i := range 6 {
		e := auditEvent(tn.ID, int64(i+1), t0().Add(time.Duration(i)*time.Minute))
		e.Actor = []string{"user:a", "user:b"}[i%2]
		e.Action = []string{"signin", "token.issue", "client.create"}[i%3]
		if i == 1 || i == 4 {
			e.Result = gatehouse.ResultFailure
		}
		all = append(all, e)
	}
	must(t, "AppendAuditEvents", s.AppendAuditEvents(ctx, all))
	must(t, "AppendAuditEvents other tenant", s.AppendAuditEvents(ctx, []*gatehouse.AuditEvent{auditEvent(other.ID, 1, t0())}))
	pick := func(idx ...int) []*gatehouse.AuditEvent {
		var out []*gatehouse.AuditEvent
		for _, i := range idx {
			out = append(out, all[i])
		}
		return out
	}

	// Range bounds sit between events: whether Since and Until are
	// inclusive is not part of the contract.
	tests := []struct {
		name   string
		filter gatehouse.AuditFilter
		want   []*gatehouse.AuditEvent
	}{
		{"everything", gatehouse.AuditFilter{}, all},
		{"since", gatehouse.AuditFilter{Since: t0().Add(150 * time.Second)}, pick(3, 4, 5)},
		{"until", gatehouse.AuditFilter{Until: t0().Add(90 * time.Second)}, pick(0, 1)},
		{"range", gatehouse.AuditFilter{Since: t0().Add(90 * time.Second), Until: t0().Add(270 * time.Second)}, pick(2, 3, 4)},
		{"actor", gatehouse.AuditFilter{Actor: "user:b"}, pick(1, 3, 5)},
		{"action", gatehouse.AuditFilter{Action: "token.issue"}, pick(1, 4)},
		{"result", gatehouse.AuditFilter{Result: gatehouse.ResultFailure}, pick(1, 4)},
		{"actor and result", gatehouse.AuditFilter{Actor: "user:a", Result: gatehouse.ResultFailure}, pick(4)},
		{"after seq", gatehouse.AuditFilter{AfterSeq: 4}, pick(4, 5)},
		{"nothing matches", gatehouse.AuditFilter{Actor: "user:z"}, nil},
	}
	for _, tt := range tests {
		f := tt.filter
		f.TenantID = tn.ID
		got, next, err := s.ListAuditEvents(ctx, f)
		must(t, "ListAuditEvents "+tt.name, err)
		same(t, "ListAuditEvents "+tt.name, tt.want, got)
		if next != 0 {
			t.Errorf("ListAuditEvents %s: got next %d, want 0 (no more)", tt.name, next)
		}
	}

	// Paging: AfterSeq continues, and the last page says 0.
	pages := []struct {
		name   string
		filter gatehouse.AuditFilter
		want   [][]*gatehouse.AuditEvent
	}{
		{"all by 2", gatehouse.AuditFilter{Limit: 2}, [][]*gatehouse.AuditEvent{pick(0, 1), pick(2, 3), pick(4, 5)}},
		{"all by 4", gatehouse.AuditFilter{Limit: 4}, [][]*gatehouse.AuditEvent{pick(0, 1, 2, 3), pick(4, 5)}},
		{"actor by 1", gatehouse.AuditFilter{Actor: "user:a", Limit: 1}, [][]*gatehouse.AuditEvent{pick(0), pick(2), pick(4)}},
	}
	for _, p := range pages {
		f := p.filter
		f.TenantID = tn.ID
		for i, want := range p.want {
			got, next, err := s.ListAuditEvents(ctx, f)
			must(t, fmt.Sprintf("ListAuditEvents %s page %d", p.name, i), err)
			same(t, fmt.Sprintf("ListAuditEvents %s page %d", p.name, i), want, got)
			last := i == len(p.want)-1
			if last != (next == 0) {
				t.Fatalf("ListAuditEvents %s page %d: got next %d, want 0 only on the last page", p.name, i, next)
			}
			if !last && next != want[len(want)-1].Seq {
				t.Errorf("ListAuditEvents %s page %d: got next %d, want %d (the page's last Seq)", p.name, i, next, want[len(want)-1].Seq)
			}
			f.AfterSeq = next
		}
	}
}

func testAuditTenants(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	ids, err := s.AuditTenants(ctx)
	must(t, "AuditTenants", err)
	if len(ids) != 0 {
		t.Errorf("AuditTenants of an empty store: got %q, want none", ids)
	}
	a, b := MustTenant(t, s, "alpha"), MustTenant(t, s, "beta")
	MustTenant(t, s, "silent")
	for _, id := range []string{b.ID, "", a.ID} {
		must(t, "AppendAuditEvents", s.AppendAuditEvents(ctx, []*gatehouse.AuditEvent{auditEvent(id, 1, t0()), auditEvent(id, 2, t0())}))
	}
	ids, err = s.AuditTenants(ctx)
	must(t, "AuditTenants", err)
	want := []string{"", a.ID, b.ID}
	slices.Sort(want)
	slices.Sort(ids)
	same(t, "AuditTenants (as a set)", want, ids)
}
