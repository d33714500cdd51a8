package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/sqlite"
	_ "modernc.org/sqlite" // the driver, for tampering with the file directly
)

var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// tickingClock advances by a millisecond on every read, so events get
// distinct, increasing times without the wall clock.
func tickingClock() gatehouse.Clock {
	var n atomic.Int64
	return func() time.Time { return t0.Add(time.Duration(n.Add(1)) * time.Millisecond) }
}

// openStore opens (and migrates) the SQLite file at path; each call is a
// separate handle, as a separate process would have.
func openStore(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return st
}

func newStore(tb testing.TB) (*sqlite.Store, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "gatehouse.db")
	return openStore(tb, path), path
}

func mustClose(tb testing.TB, r *Recorder) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Close(ctx); err != nil {
		tb.Fatalf("Close: %v", err)
	}
}

func mustVerify(tb testing.TB, st gatehouse.AuditStore, tenant string, wantEvents int64) {
	tb.Helper()
	rep, err := Verify(context.Background(), st, testKey, tenant)
	if err != nil {
		tb.Fatalf("Verify(%q): %v", tenant, err)
	}
	if !rep.OK || rep.Events != wantEvents || rep.TenantID != tenant {
		tb.Errorf("Verify(%q) = %+v, want OK with %d events", tenant, rep, wantEvents)
	}
}

func event(tenant, action string, i int) gatehouse.AuditEvent {
	return gatehouse.AuditEvent{
		TenantID:  tenant,
		Actor:     fmt.Sprintf("user:%d", i),
		Action:    action,
		Target:    "client:c1",
		Result:    gatehouse.ResultSuccess,
		IP:        "192.0.2.1",
		UserAgent: "test",
		Details:   map[string]string{"n": fmt.Sprint(i), "client_id": "c1"},
	}
}

// countingStore passes calls to the real store and counts appends; it can
// also hold appends back or fail some, to exercise the writer's waiting
// and retrying.
type countingStore struct {
	gatehouse.AuditStore
	appends  atomic.Int64
	events   atomic.Int64
	failNext atomic.Int64  // fail this many appends with EUNAVAILABLE
	gate     chan struct{} // when set, appends wait until it is closed
}

func (s *countingStore) AppendAuditEvents(ctx context.Context, events []*gatehouse.AuditEvent) error {
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if s.failNext.Add(-1) >= 0 {
		return gatehouse.Errorf(gatehouse.EUNAVAILABLE, "store unavailable (injected)")
	}
	err := s.AuditStore.AppendAuditEvents(ctx, events)
	if err == nil {
		s.appends.Add(1)
		s.events.Add(int64(len(events)))
	}
	return err
}

// TestConcurrentRecording has many goroutines record into three chains at
// once, with Record and RecordSync mixed: every chain must come out whole,
// and events must have been grouped into fewer appends than events.
func TestConcurrentRecording(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	cs := &countingStore{AuditStore: st}
	r := NewRecorder(cs, testKey, tickingClock(), nil, Options{})
	tenants := []string{"", "0196f0a4-0000-7000-8000-000000000001", "0196f0a4-0000-7000-8000-000000000002"}
	const goroutines, perGoroutine = 8, 60
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			ctx := context.Background()
			for i := range perGoroutine {
				ev := event(tenants[(g+i)%len(tenants)], "signin", g*1000+i)
				if i%10 == 0 {
					if err := r.RecordSync(ctx, ev); err != nil {
						t.Errorf("RecordSync: %v", err)
					}
					continue
				}
				r.Record(ctx, ev)
			}
		})
	}
	wg.Wait()
	mustClose(t, r)
	total := int64(goroutines * perGoroutine)
	if got := cs.events.Load(); got != total {
		t.Fatalf("appended %d events, want %d", got, total)
	}
	if got := cs.appends.Load(); got >= total/2 {
		t.Errorf("%d appends for %d events: events were not grouped", got, total)
	}
	for _, tenant := range tenants {
		mustVerify(t, st, tenant, total/int64(len(tenants)))
	}
}

// TestTwoNodes runs two recorders, each on its own handle to one database
// file, recording into the same chains at once: they must interleave
// without forking a chain.
func TestTwoNodes(t *testing.T) {
	t.Parallel()
	_, path := newStore(t)
	a, b := openStore(t, path), openStore(t, path)
	clock := tickingClock()
	ra := NewRecorder(a, testKey, clock, nil, Options{MaxBatch: 16})
	rb := NewRecorder(b, testKey, clock, nil, Options{MaxBatch: 16})
	tenants := []string{"", "0196f0a4-0000-7000-8000-000000000001"}
	const perNode = 150
	var wg sync.WaitGroup
	for node, r := range []*Recorder{ra, rb} {
		for _, tenant := range tenants {
			wg.Go(func() {
				for i := range perNode {
					ev := event(tenant, fmt.Sprintf("node%d", node), i)
					if i%25 == 0 {
						if err := r.RecordSync(context.Background(), ev); err != nil {
							t.Errorf("node %d RecordSync: %v", node, err)
						}
						continue
					}
					r.Record(context.Background(), ev)
				}
			})
		}
	}
	wg.Wait()
	mustClose(t, ra)
	mustClose(t, rb)
	for _, tenant := range tenants {
		mustVerify(t, a, tenant, 2*perNode)
		events, _, err := a.ListAuditEvents(context.Background(), gatehouse.AuditFilter{TenantID: tenant, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		byNode := map[string]int{}
		for _, ev := range events {
			byNode[ev.Action]++
		}
		if byNode["node0"] != perNode || byNode["node1"] != perNode {
			t.Errorf("tenant %q: events per node %v, want %d each", tenant, byNode, perNode)
		}
	}
}

func TestRecordFillsIDAndTime(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	r := NewRecorder(st, testKey, func() time.Time { return t0.Add(1500 * time.Nanosecond) }, nil, Options{})
	ctx := context.Background()
	given := event("", "given", 1)
	given.ID = secret.NewID()
	given.Time = time.Date(2026, 1, 2, 3, 4, 5, 6007, time.FixedZone("X", 3600))
	details := given.Details
	if err := r.RecordSync(ctx, given); err != nil {
		t.Fatal(err)
	}
	details["n"] = "changed after recording" // the recorder keeps its own copy
	if err := r.RecordSync(ctx, event("", "filled", 2)); err != nil {
		t.Fatal(err)
	}
	mustClose(t, r)
	events, _, err := st.ListAuditEvents(ctx, gatehouse.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 {
		t.Fatalf("got %d events, want 2", len(events))
	}
	tests := []struct {
		name     string
		ev       *gatehouse.AuditEvent
		wantID   string
		wantTime time.Time
		wantSeq  int64
	}{
		{"given id and time", events[0], given.ID, time.Date(2026, 1, 2, 2, 4, 5, 6000, time.UTC), 1},
		{"filled id and time", events[1], "", t0.Add(time.Microsecond), 2},
	}
	for _, tt := range tests {
		if tt.wantID != "" && tt.ev.ID != tt.wantID {
			t.Errorf("%s: ID = %s, want %s", tt.name, tt.ev.ID, tt.wantID)
		}
		if !gatehouse.IsUUID(tt.ev.ID) {
			t.Errorf("%s: ID = %q, want a UUID", tt.name, tt.ev.ID)
		}
		if !tt.ev.Time.Equal(tt.wantTime) {
			t.Errorf("%s: Time = %v, want %v", tt.name, tt.ev.Time, tt.wantTime)
		}
		if tt.ev.Seq != tt.wantSeq {
			t.Errorf("%s: Seq = %d, want %d", tt.name, tt.ev.Seq, tt.wantSeq)
		}
	}
	if got := events[0].Details["n"]; got != "1" {
		t.Errorf("stored detail n = %q, want 1", got)
	}
	if len(events[0].PrevHash) != 0 || string(events[1].PrevHash) != string(events[0].Hash) {
		t.Errorf("chain links: first PrevHash %x, second PrevHash %x, first Hash %x", events[0].PrevHash, events[1].PrevHash, events[0].Hash)
	}
	mustVerify(t, st, "", 2)
}

func TestFlush(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	// A long delay: without Flush the events would wait for it.
	r := NewRecorder(st, testKey, tickingClock(), nil, Options{MaxDelay: time.Minute})
	defer mustClose(t, r)
	ctx := context.Background()
	for i := range 10 {
		r.Record(ctx, event("", "signin", i))
	}
	fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := r.Flush(fctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	last, err := st.LastAuditEvent(ctx, "")
	if err != nil || last.Seq != 10 {
		t.Fatalf("after Flush the chain head is %v, %v; want Seq 10", last, err)
	}
}

func TestClosedRecorder(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	r := NewRecorder(st, testKey, tickingClock(), nil, Options{})
	ctx := context.Background()
	r.Record(ctx, event("", "before", 1))
	mustClose(t, r)
	if err := r.RecordSync(ctx, event("", "after", 2)); !errors.Is(err, ErrClosed) {
		t.Errorf("RecordSync after Close = %v, want ErrClosed", err)
	}
	if err := r.Flush(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Flush after Close = %v, want ErrClosed", err)
	}
	r.Record(ctx, event("", "after", 3)) // logged as lost, must not block or panic
	if err := r.Close(ctx); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	mustVerify(t, st, "", 1)
}

// TestRecordWaitsWhenFull holds the store's appends back: once the queue
// is full, Record waits (up to its context) instead of dropping, and every
// event it did queue is written when the store comes back.
func TestRecordWaitsWhenFull(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	cs := &countingStore{AuditStore: st, gate: make(chan struct{})}
	r := NewRecorder(cs, testKey, tickingClock(), nil, Options{QueueSize: 4, MaxBatch: 2})
	ctx := context.Background()
	// The writer takes one batch (2) and blocks on the store; 4 more fill
	// the queue.
	for i := range 6 {
		r.Record(ctx, event("", "queued", i))
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := r.RecordSync(short, event("", "overflow", 99))
	if waited := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || waited < 40*time.Millisecond {
		t.Errorf("RecordSync into a full queue = %v after %v, want DeadlineExceeded after waiting ~50ms", err, waited)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Record(ctx, event("", "queued", 6)) // waits for room, then gets in
	}()
	close(cs.gate)
	<-done
	mustClose(t, r)
	if got := cs.events.Load(); got != 7 {
		t.Errorf("wrote %d events, want 7 (the overflow event gave up)", got)
	}
	mustVerify(t, st, "", 7)
}

func TestRetriesAfterStoreFailure(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	cs := &countingStore{AuditStore: st}
	cs.failNext.Store(3)
	r := NewRecorder(cs, testKey, tickingClock(), nil, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.RecordSync(ctx, event("", "signin", 1)); err != nil {
		t.Fatalf("RecordSync across three store failures = %v, want nil", err)
	}
	if err := r.RecordSync(ctx, event("", "signin", 2)); err != nil {
		t.Fatal(err)
	}
	mustClose(t, r)
	mustVerify(t, st, "", 2)
}

// TestCloseGivesUp checks that Close returns when its context ends even
// though the store never comes back, and that a Record waiting for room
// in the full queue then returns too.
func TestCloseGivesUp(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	cs := &countingStore{AuditStore: st, gate: make(chan struct{})}
	r := NewRecorder(cs, testKey, tickingClock(), nil, Options{QueueSize: 1, MaxBatch: 1})
	// One event held by the writer, one in the queue, one waiting for room.
	r.Record(context.Background(), event("", "stuck", 1))
	r.Record(context.Background(), event("", "stuck", 2))
	waiting := make(chan struct{})
	go func() {
		defer close(waiting)
		r.Record(context.Background(), event("", "stuck", 3))
	}()
	time.Sleep(20 * time.Millisecond) // let it reach the full queue
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	closed := make(chan error, 1)
	go func() { closed <- r.Close(ctx) }()
	select {
	case err := <-closed:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Close with a stuck store = %v, want DeadlineExceeded", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return after its context ended")
	}
	select {
	case <-waiting:
	case <-time.After(5 * time.Second):
		t.Fatal("a Record waiting for room did not return after Close gave up")
	}
	if got := cs.events.Load(); got != 0 {
		t.Errorf("wrote %d events, want 0", got)
	}
}

// tamper runs SQL against the database file directly, as someone with
// access to the file (but not the master key) could.
func tamper(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background()) // ATTACH holds for one connection
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, s := range stmts {
		res, err := conn.ExecContext(context.Background(), s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if n, _ := res.RowsAffected(); n == 0 && !strings.HasPrefix(s, "ATTACH") {
			t.Fatalf("%s: changed no row", s)
		}
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	t.Parallel()
	const tenant = "0196f0a4-0000-7000-8000-000000000001"
	const where = "tenant_id = '" + tenant + "'"
	tests := []struct {
		name        string
		stmts       []string
		wantOK      bool
		wantAt      int64
		wantEvents  int64
		wantProblem string
	}{
		{name: "untouched", wantOK: true, wantEvents: 10},
		{
			name:        "changed action",
			stmts:       []string{"UPDATE audit_events SET action = 'signout' WHERE " + where + " AND seq = 4"},
			wantAt:      4,
			wantEvents:  3,
			wantProblem: "does not match its hash",
		},
		{
			name:        "changed result",
			stmts:       []string{"UPDATE audit_events SET result = 'success' WHERE " + where + " AND seq = 7"},
			wantAt:      7,
			wantEvents:  6,
			wantProblem: "does not match its hash",
		},
		{
			name:        "changed detail",
			stmts:       []string{"UPDATE audit_events SET details = replace(details, 'c1', 'c2') WHERE " + where + " AND seq = 2"},
			wantAt:      2,
			wantEvents:  1,
			wantProblem: "does not match its hash",
		},
		{
			name:        "changed time",
			stmts:       []string{"UPDATE audit_events SET time = time + 1 WHERE " + where + " AND seq = 9"},
			wantAt:      9,
			wantEvents:  8,
			wantProblem: "does not match its hash",
		},
		{
			name:        "deleted middle row",
			stmts:       []string{"DELETE FROM audit_events WHERE " + where + " AND seq = 5"},
			wantAt:      6,
			wantEvents:  4,
			wantProblem: "event 5 is missing",
		},
		{
			name:        "deleted first row",
			stmts:       []string{"DELETE FROM audit_events WHERE " + where + " AND seq = 1"},
			wantAt:      2,
			wantEvents:  0,
			wantProblem: "event 1 is missing",
		},
		{
			name: "two rows swapped",
			stmts: []string{
				"UPDATE audit_events SET seq = -5 WHERE " + where + " AND seq = 5",
				"UPDATE audit_events SET seq = 5 WHERE " + where + " AND seq = 6",
				"UPDATE audit_events SET seq = 6 WHERE " + where + " AND seq = -5",
			},
			wantAt:      5,
			wantEvents:  4,
			wantProblem: "moved from another position",
		},
		{
			// Removing a row and renumbering the rest keeps Seq
			// contiguous: the links give it away.
			name: "deleted row and renumbered",
			stmts: []string{
				"DELETE FROM audit_events WHERE " + where + " AND seq = 8",
				"UPDATE audit_events SET seq = 8 WHERE " + where + " AND seq = 9",
				"UPDATE audit_events SET seq = 9 WHERE " + where + " AND seq = 10",
			},
			wantAt:      8,
			wantEvents:  7,
			wantProblem: "does not match its hash",
		},
		{
			name:        "changed prev hash",
			stmts:       []string{"UPDATE audit_events SET prev_hash = zeroblob(32) WHERE " + where + " AND seq = 3"},
			wantAt:      3,
			wantEvents:  2,
			wantProblem: "does not match its hash",
		},
		{
			name:        "row moved from another tenant",
			stmts:       []string{"UPDATE audit_events SET tenant_id = '" + tenant + "', seq = 11 WHERE tenant_id = '' AND seq = 1"},
			wantAt:      11,
			wantEvents:  10,
			wantProblem: "does not match its hash",
		},
		{
			// An authentic event of another copy of the chain (a fork made
			// from a backup, say) verifies on its own: only the link to
			// its predecessor gives it away.
			name: "event replaced by one of another chain",
			stmts: []string{
				"DELETE FROM audit_events WHERE " + where + " AND seq = 5",
				"INSERT INTO audit_events SELECT * FROM other.audit_events WHERE " + where + " AND seq = 5",
			},
			wantAt:      5,
			wantEvents:  4,
			wantProblem: "does not follow the event before it",
		},
		{
			// A chain alone cannot reveal a cut tail (see the package doc).
			name:       "tail truncated",
			stmts:      []string{"DELETE FROM audit_events WHERE " + where + " AND seq > 8"},
			wantOK:     true,
			wantEvents: 8,
		},
	}
	record := func(t *testing.T, st gatehouse.AuditStore) {
		r := NewRecorder(st, testKey, tickingClock(), nil, Options{})
		for i := range 10 {
			ev := event(tenant, "signin", i)
			if i == 6 {
				ev.Result = gatehouse.ResultFailure
			}
			r.Record(context.Background(), ev)
			r.Record(context.Background(), event("", "platform", i))
		}
		mustClose(t, r)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st, path := newStore(t)
			record(t, st)
			// A second database with a chain of the same events (new ids).
			other, otherPath := newStore(t)
			record(t, other)
			if err := other.Close(); err != nil {
				t.Fatal(err)
			}
			tamper(t, path, append([]string{"ATTACH DATABASE '" + otherPath + "' AS other"}, tt.stmts...)...)
			rep, err := Verify(context.Background(), st, testKey, tenant)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if rep.OK != tt.wantOK || rep.AtSeq != tt.wantAt || rep.Events != tt.wantEvents ||
				!strings.Contains(rep.Problem, tt.wantProblem) || (tt.wantOK && rep.Problem != "") {
				t.Errorf("Verify = %+v, want OK %v at seq %d after %d events, problem containing %q",
					rep, tt.wantOK, tt.wantAt, tt.wantEvents, tt.wantProblem)
			}
		})
	}
}

func TestVerifyWithWrongKey(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	r := NewRecorder(st, testKey, tickingClock(), nil, Options{})
	r.Record(context.Background(), event("", "signin", 1))
	mustClose(t, r)
	rep, err := Verify(context.Background(), st, []byte("another key, another master key"), "")
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.AtSeq != 1 {
		t.Errorf("Verify with another key = %+v, want a break at seq 1", rep)
	}
}

func TestVerifyEmptyAndLongChains(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	mustVerify(t, st, "no-such-tenant", 0)
	// More than one page of Verify.
	r := NewRecorder(st, testKey, tickingClock(), nil, Options{})
	const n = verifyPage + 250
	for i := range n {
		r.Record(context.Background(), event("", "signin", i))
	}
	mustClose(t, r)
	mustVerify(t, st, "", n)
}

// BenchmarkRecord measures events per second through the recorder into a
// real SQLite file: Record from parallel callers (group commit), and
// RecordSync one at a time and from parallel callers.
func BenchmarkRecord(b *testing.B) {
	ctx := context.Background()
	b.Run("group-commit", func(b *testing.B) {
		st, _ := newStore(b)
		r := NewRecorder(st, testKey, tickingClock(), nil, Options{})
		ev := event("", "token.issue", 1)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r.Record(ctx, ev)
			}
		})
		mustClose(b, r)
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("sync", func(b *testing.B) {
		st, _ := newStore(b)
		r := NewRecorder(st, testKey, tickingClock(), nil, Options{})
		ev := event("", "client.create", 1)
		b.ReportAllocs()
		for b.Loop() {
			if err := r.RecordSync(ctx, ev); err != nil {
				b.Fatal(err)
			}
		}
		mustClose(b, r)
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("sync-parallel", func(b *testing.B) {
		st, _ := newStore(b)
		r := NewRecorder(st, testKey, tickingClock(), nil, Options{})
		ev := event("", "client.create", 1)
		b.ReportAllocs()
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := r.RecordSync(ctx, ev); err != nil {
					b.Error(err)
					return
				}
			}
		})
		mustClose(b, r)
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}

// TestRecordStorableText records events whose text is not what every
// store keeps (bytes that are not UTF-8, a NUL): such text arrives with
// requests, in a user agent or a name typed in a form. PostgreSQL would
// refuse it, and the whole batch with it; and the chain must hash the
// text as stored. Each is kept with U+FFFD in place of what was wrong,
// and the chain verifies.
func TestRecordStorableText(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	r := NewRecorder(st, testKey, tickingClock(), nil, Options{})
	ctx := context.Background()
	tests := []struct {
		in, want string
	}{
		{"plain ascii", "plain ascii"},
		{"émile", "émile"},
		{"ana\x00", "ana\uFFFD"},
		{"\xffana", "\uFFFDana"},
		{"a\xff\xfeb", "a\uFFFDb"},
		{strings.Repeat("x", 99) + "\xc3", strings.Repeat("x", 99) + "\uFFFD"},
	}
	for i, tt := range tests {
		ev := event("", "signin", i)
		ev.Actor, ev.Target, ev.UserAgent = tt.in, tt.in, tt.in
		ev.Details = map[string]string{"name": tt.in, tt.in: "key"}
		if err := r.RecordSync(ctx, ev); err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
	}
	mustClose(t, r)
	events, _, err := st.ListAuditEvents(ctx, gatehouse.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != len(tests) {
		t.Fatalf("got %d events, want %d", len(events), len(tests))
	}
	for i, tt := range tests {
		ev := events[i]
		got := []string{ev.Actor, ev.Target, ev.UserAgent, ev.Details["name"], ev.Details[tt.want]}
		want := []string{tt.want, tt.want, tt.want, tt.want, "key"}
		if !slices.Equal(got, want) {
			t.Errorf("%q stored as %q, want %q", tt.in, got, want)
		}
	}
	mustVerify(t, st, "", int64(len(tests)))
}
