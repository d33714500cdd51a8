package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
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

// qChainHead reads the last Seq of a tenant's chain (0 when it is empty).
const qChainHead = `SELECT COALESCE(MAX(seq), 0) FROM audit_events WHERE tenant_id = ?`

// maxAuditRows is the most events one INSERT writes. A batch is written
// in statements of this many rows and one for the rest, each prepared
// once per row count: one statement per event cost several times the
// rows it inserted.
const maxAuditRows = 32

// qInsertAudit returns the INSERT of n events.
func qInsertAudit(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO audit_events (` + auditCols + `) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	}
	return b.String()
}

// AppendAuditEvents inserts events in one transaction. Each event's Seq
// must follow the last of its tenant's chain, counting the events before
// it in the batch; ECONFLICT when it does not (another writer appended
// first, or the Seq skips ahead), and then nothing is written.
//
// The chain is checked once per tenant: the batch's events of a tenant
// must number on from one another, and the first must follow the head
// read in the same write transaction.
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
	for _, e := range events {
		if e.ID == "" {
			e.ID = secret.NewID()
		}
		prev, seen := last[e.TenantID]
		switch {
		case !seen:
			chains = append(chains, chain{e.TenantID, e.Seq})
		case e.Seq != prev+1:
			return fail("append audit events",
				gatehouse.Errorf(gatehouse.ECONFLICT, "audit sequence %d is not the next of its chain", e.Seq), "", nil)
		}
		last[e.TenantID] = e.Seq
	}
	// Writer statements are fetched before the write transaction begins
	// (see Store.write).
	head, err := s.wstmts.get(ctx, qChainHead)
	if err != nil {
		return fmt.Errorf("append audit events: %w", err)
	}
	inserts := map[int]*sql.Stmt{}
	for off := 0; off < len(events); off += maxAuditRows {
		n := min(maxAuditRows, len(events)-off)
		if inserts[n] == nil {
			if inserts[n], err = s.wstmts.get(ctx, qInsertAudit(n)); err != nil {
				return fmt.Errorf("append audit events: %w", err)
			}
		}
	}
	args := make([]any, 0, 13*min(maxAuditRows, len(events)))
	err = s.write(ctx, func(tx *sql.Tx) error {
		h := tx.StmtContext(ctx, head)
		for _, c := range chains {
			var seq int64
			if err := h.QueryRowContext(ctx, c.tenantID).Scan(&seq); err != nil {
				return err
			}
			if seq != c.first-1 {
				return gatehouse.Errorf(gatehouse.ECONFLICT, "audit sequence %d is not the next of its chain", c.first)
			}
		}
		for off := 0; off < len(events); off += maxAuditRows {
			batch := events[off:min(off+maxAuditRows, len(events))]
			args = args[:0]
			for _, e := range batch {
				details, err := encodeDetails(e.Details)
				if err != nil {
					return err
				}
				args = append(args, e.TenantID, e.Seq, e.ID, e.Time.UnixMicro(), e.Actor, e.Action, e.Target,
					e.Result, e.IP, e.UserAgent, details, e.PrevHash, e.Hash)
			}
			if _, err := tx.StmtContext(ctx, inserts[len(batch)]).ExecContext(ctx, args...); err != nil {
				return err
			}
		}
		return nil
	})
	return fail("append audit events", err, "", conflicts{"audit_events": "audit sequence is taken"})
}

// encodeDetails encodes an event's details as the JSON the column keeps:
// an object with its keys sorted, or null.
func encodeDetails(d map[string]string) (string, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("encode audit details: %w", err)
	}
	return string(b), nil
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
