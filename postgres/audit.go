package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse"
)

const auditColumns = `tenant_id, seq, id, time, actor, action, target, result, ip, user_agent, details,
	prev_hash, hash`

func scanAuditEvent(row pgx.Row) (*gatehouse.AuditEvent, error) {
	var e gatehouse.AuditEvent
	err := row.Scan(&e.TenantID, &e.Seq, &e.ID, tm(&e.Time), &e.Actor, &e.Action, &e.Target, &e.Result, &e.IP,
		&e.UserAgent, &e.Details, &e.PrevHash, &e.Hash)
	if err != nil {
		return nil, err
	}
	if len(e.Details) == 0 {
		e.Details = nil
	}
	return &e, nil
}

// AppendAuditEvents inserts the events in one transaction, giving each an
// id when it has none. Each event's Seq must be the next of its tenant's
// chain: ECONFLICT, and nothing written, when a Seq is taken (another
// writer appended first) or would leave a gap.
//
// The chain is checked once per tenant (the batch's events of a tenant
// must number on from one another, and the first must follow the head),
// and the rows go in with one COPY: an INSERT per event cost a round trip
// each, which bounded the audit log, and so every audited endpoint, at a
// few thousand events a second. A writer on another node that read the
// same head collides on the primary key and gets ECONFLICT.
func (s *Store) AppendAuditEvents(ctx context.Context, events []*gatehouse.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	type chain struct {
		tenantID string
		first    int64
	}
	var chains []chain
	last := make(map[string]int64, 1)
	rows := make([][]any, len(events))
	for i, e := range events {
		fillID(&e.ID)
		normTimes(&e.Time)
		prev, seen := last[e.TenantID]
		switch {
		case !seen:
			chains = append(chains, chain{e.TenantID, e.Seq})
		case e.Seq != prev+1:
			return gatehouse.Errorf(gatehouse.ECONFLICT, "audit event %d is not the next of its chain", e.Seq)
		}
		last[e.TenantID] = e.Seq
		var details any
		if len(e.Details) > 0 {
			details = e.Details
		}
		rows[i] = []any{e.TenantID, e.Seq, e.ID, ts(e.Time), e.Actor, e.Action, e.Target, e.Result, e.IP, e.UserAgent,
			details, bytesOrNil(e.PrevHash), bytesOrNil(e.Hash)}
	}
	return s.inTx(ctx, "append audit events", func(tx pgx.Tx) error {
		for _, c := range chains {
			var head int64
			if err := tx.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM audit_events WHERE tenant_id = $1`,
				c.tenantID).Scan(&head); err != nil {
				return err
			}
			if c.first != head+1 {
				return gatehouse.Errorf(gatehouse.ECONFLICT, "audit event %d is not the next of its chain", c.first)
			}
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"audit_events"}, auditCopyColumns, pgx.CopyFromRows(rows))
		return err
	})
}

// auditCopyColumns are auditColumns, as COPY takes them.
var auditCopyColumns = []string{"tenant_id", "seq", "id", "time", "actor", "action", "target", "result", "ip",
	"user_agent", "details", "prev_hash", "hash"}

// LastAuditEvent returns the head of the tenant's chain ("" for the
// platform's), ENOTFOUND when the chain is empty.
func (s *Store) LastAuditEvent(ctx context.Context, tenantID string) (*gatehouse.AuditEvent, error) {
	e, err := scanAuditEvent(s.pool.QueryRow(ctx, `SELECT `+auditColumns+` FROM audit_events
		WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1`, tenantID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("audit event")
	}
	if err != nil {
		return nil, dbError("last audit event", err)
	}
	return e, nil
}

// ListAuditEvents returns the events of f.TenantID's chain that match f,
// in chain order, at most f.Limit (default 100, at most 1000), and the Seq
// to pass as AfterSeq for the next page (0 when there is none). Since is
// inclusive and Until exclusive.
func (s *Store) ListAuditEvents(ctx context.Context, f gatehouse.AuditFilter) ([]*gatehouse.AuditEvent, int64, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultPageSize
	}
	limit = min(limit, maxPageSize)
	where := []string{"tenant_id = $1", "seq > $2"}
	args := []any{f.TenantID, f.AfterSeq}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if !f.Since.IsZero() {
		add("time >= $%d", ts(f.Since))
	}
	if !f.Until.IsZero() {
		add("time < $%d", ts(f.Until))
	}
	if f.Actor != "" {
		add("actor = $%d", f.Actor)
	}
	if f.Action != "" {
		add("action = $%d", f.Action)
	}
	if f.Result != "" {
		add("result = $%d", f.Result)
	}
	args = append(args, limit+1)
	rows, err := s.pool.Query(ctx, fmt.Sprintf(`SELECT `+auditColumns+` FROM audit_events WHERE %s ORDER BY seq LIMIT $%d`,
		strings.Join(where, " AND "), len(args)), args...)
	if err != nil {
		return nil, 0, dbError("list audit events", err)
	}
	events, err := collectAll(rows, scanAuditEvent, "list audit events")
	if err != nil {
		return nil, 0, err
	}
	if len(events) <= limit {
		return events, 0, nil
	}
	events = events[:limit]
	return events, events[limit-1].Seq, nil
}

// AuditTenants lists the tenant ids that have a chain ("" included), in
// order. It skips from one tenant to the next through the primary key
// instead of reading every event.
func (s *Store) AuditTenants(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `WITH RECURSIVE t(tenant_id) AS (
			(SELECT tenant_id FROM audit_events ORDER BY tenant_id LIMIT 1)
			UNION ALL
			SELECT (SELECT a.tenant_id FROM audit_events a WHERE a.tenant_id > t.tenant_id ORDER BY a.tenant_id LIMIT 1)
			FROM t WHERE t.tenant_id IS NOT NULL
		)
		SELECT tenant_id FROM t WHERE tenant_id IS NOT NULL`)
	if err != nil {
		return nil, dbError("list audit tenants", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, dbError("list audit tenants", err)
	}
	return ids, nil
}
