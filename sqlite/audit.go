package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	gatehouse "github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

const auditCols = `tenant_id, seq, id, time, actor, action, target, result, ip, user_agent, details, prev_hash, hash`

func scanAuditEvent(sc scanner) (*gatehouse.AuditEvent, error) {
	var e gatehouse.AuditEvent
	err := sc.Scan(&e.TenantID, &e.Seq, &e.ID, timeCol{&e.Time}, &e.Actor, &e.Action, &e.Target, &e.Result, &e.IP,
		&e.UserAgent, jsonCol{&e.Details}, bytesCol{&e.PrevHash}, bytesCol{&e.Hash})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// qAppendAudit inserts one event only when it extends its tenant's chain
// by one, so a gap is refused as surely as a taken Seq.
const qAppendAudit = `INSERT INTO audit_events (` + auditCols + `)
	SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
	WHERE (SELECT COALESCE(MAX(seq), 0) FROM audit_events WHERE tenant_id = ?) = ?`

// AppendAuditEvents inserts events in one transaction. Each event's Seq
// must follow the last of its tenant's chain, counting the events before
// it in the batch; ECONFLICT when it does not (another writer appended
// first, or the Seq skips ahead), and then nothing is written.
func (s *Store) AppendAuditEvents(ctx context.Context, events []*gatehouse.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	for _, e := range events {
		if e.ID == "" {
			e.ID = secret.NewID()
		}
	}
	// Prepared once on the writer connection and kept: the recorder appends
	// on every audited request, and parsing the INSERT for each event cost
	// more than running it.
	insert, err := s.wstmts.get(ctx, qAppendAudit)
	if err != nil {
		return fmt.Errorf("append audit events: %w", err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		ins := tx.StmtContext(ctx, insert)
		for _, e := range events {
			res, err := ins.ExecContext(ctx,
				e.TenantID, e.Seq, e.ID, micros(e.Time), e.Actor, e.Action, e.Target, e.Result, e.IP, e.UserAgent,
				jsonArg{e.Details}, e.PrevHash, e.Hash, e.TenantID, e.Seq-1)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return gatehouse.Errorf(gatehouse.ECONFLICT, "audit sequence %d is not the next of its chain", e.Seq)
			}
		}
		return nil
	})
	return fail("append audit events", err, "", conflicts{"audit_events": "audit sequence is taken"})
}

// LastAuditEvent returns the head of the tenant's chain, ENOTFOUND when
// the chain is empty.
func (s *Store) LastAuditEvent(ctx context.Context, tenantID string) (*gatehouse.AuditEvent, error) {
	e, err := scanAuditEvent(s.r.QueryRowContext(ctx, `SELECT `+auditCols+` FROM audit_events WHERE tenant_id = ?
		ORDER BY seq DESC LIMIT 1`, tenantID))
	return e, fail("last audit event", noRows(err, "audit chain is empty"), "", nil)
}

// ListAuditEvents returns the events of f.TenantID's chain that match f,
// in chain order, and the Seq to continue after (0 when there are no more).
// Since is inclusive and Until exclusive.
func (s *Store) ListAuditEvents(ctx context.Context, f gatehouse.AuditFilter) ([]*gatehouse.AuditEvent, int64, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	limit = min(limit, maxLimit)
	where := []string{"tenant_id = ?", "seq > ?"}
	args := []any{f.TenantID, f.AfterSeq}
	if !f.Since.IsZero() {
		where, args = append(where, "time >= ?"), append(args, f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		where, args = append(where, "time < ?"), append(args, f.Until.UnixMicro())
	}
	if f.Actor != "" {
		where, args = append(where, "actor = ?"), append(args, f.Actor)
	}
	if f.Action != "" {
		where, args = append(where, "action = ?"), append(args, f.Action)
	}
	if f.Result != "" {
		where, args = append(where, "result = ?"), append(args, f.Result)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+auditCols+` FROM audit_events WHERE `+strings.Join(where, " AND ")+`
		ORDER BY seq LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list audit events: %w", err)
	}
	defer rows.Close()
	var out []*gatehouse.AuditEvent
	for rows.Next() {
		e, err := scanAuditEvent(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list audit events: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list audit events: %w", err)
	}
	if len(out) > limit {
		out = out[:limit]
		return out, out[limit-1].Seq, nil
	}
	return out, 0, nil
}

// AuditTenants lists the tenant ids that have a chain, "" (the platform)
// included, sorted.
func (s *Store) AuditTenants(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT tenant_id FROM audit_events ORDER BY tenant_id`)
	if err != nil {
		return nil, fmt.Errorf("audit tenants: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("audit tenants: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit tenants: %w", err)
	}
	return out, nil
}
