package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/audit"
)

// eventJSON is the --json shape of an audit event.
type eventJSON struct {
	TenantID  string            `json:"tenant_id"`
	Seq       int64             `json:"seq"`
	ID        string            `json:"id"`
	Time      time.Time         `json:"time"`
	Actor     string            `json:"actor"`
	Action    string            `json:"action"`
	Target    string            `json:"target"`
	Result    string            `json:"result"`
	IP        string            `json:"ip,omitempty"`
	UserAgent string            `json:"user_agent,omitempty"`
	Details   map[string]string `json:"details,omitempty"`
	Hash      string            `json:"hash"`
}

func toEventJSON(e *gatehouse.AuditEvent) eventJSON {
	return eventJSON{TenantID: e.TenantID, Seq: e.Seq, ID: e.ID, Time: e.Time.UTC(), Actor: e.Actor,
		Action: e.Action, Target: e.Target, Result: e.Result, IP: e.IP, UserAgent: e.UserAgent,
		Details: e.Details, Hash: fmt.Sprintf("%x", e.Hash)}
}

func auditListCommand(fs *flag.FlagSet, c *cli) func(context.Context, []string) error {
	tenant := fs.String("tenant", "", "the tenant's `slug or id`; empty lists the platform's own events")
	action := fs.String("action", "", "only events with this `action`")
	actor := fs.String("actor", "", "only events by this `actor`")
	result := fs.String("result", "", "only `success` or failure events")
	since := fs.Duration("since", 0, "only events of the last `duration` (e.g. 24h)")
	limit := fs.Int("limit", 100, "at most this many `events`, newest chain positions last")
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		if *limit <= 0 || *limit > 10000 {
			return usageError("--limit: must be between 1 and 10000")
		}
		if *result != "" && *result != gatehouse.ResultSuccess && *result != gatehouse.ResultFailure {
			return usageError("--result: must be success or failure")
		}
		a, err := c.app(ctx)
		if err != nil {
			return err
		}
		f := gatehouse.AuditFilter{Action: *action, Actor: *actor, Result: *result}
		if *tenant != "" {
			t, err := c.tenant(ctx, a, *tenant)
			if err != nil {
				return err
			}
			f.TenantID = t.ID
		}
		if *since > 0 {
			f.Since = a.clock().Add(-*since)
		}
		var events []*gatehouse.AuditEvent
		for len(events) < *limit {
			f.Limit = min(500, *limit-len(events))
			page, next, err := a.store.ListAuditEvents(ctx, f)
			if err != nil {
				return err
			}
			events = append(events, page...)
			if next == 0 {
				break
			}
			f.AfterSeq = next
		}
		return printList(c, events, toEventJSON,
			[]string{"SEQ", "TIME", "ACTOR", "ACTION", "TARGET", "RESULT", "DETAILS"},
			func(e *gatehouse.AuditEvent) []string {
				return []string{fmt.Sprint(e.Seq), stamp(e.Time), e.Actor, e.Action, orDash(e.Target), e.Result, orDash(formatDetails(e.Details))}
			})
	}
}

func formatDetails(d map[string]string) string {
	parts := make([]string, 0, len(d))
	for _, k := range slices.Sorted(maps.Keys(d)) {
		parts = append(parts, k+"="+d[k])
	}
	return strings.Join(parts, " ")
}

func auditVerifyCommand(fs *flag.FlagSet, c *cli) func(context.Context, []string) error {
	tenant := fs.String("tenant", "", "verify only this tenant's chain (`slug or id`); default: every chain")
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		a, err := c.app(ctx)
		if err != nil {
			return err
		}
		var ids []string
		if *tenant != "" {
			t, err := c.tenant(ctx, a, *tenant)
			if err != nil {
				return err
			}
			ids = []string{t.ID}
		} else if ids, err = a.store.AuditTenants(ctx); err != nil {
			return err
		}
		reports := make([]audit.Report, 0, len(ids))
		broken := false
		for _, id := range ids {
			r, err := audit.Verify(ctx, a.store, a.Sealer.AuditKey(), id)
			if err != nil {
				return err
			}
			broken = broken || !r.OK
			reports = append(reports, r)
		}
		if c.json {
			if err := printJSON(c.io.out, reports); err != nil {
				return err
			}
		} else {
			tb := newTable(c.io.out, "CHAIN", "EVENTS", "STATUS")
			for _, r := range reports {
				name := r.TenantID
				if name == "" {
					name = "platform"
				}
				status := "ok"
				if !r.OK {
					status = fmt.Sprintf("BROKEN at seq %d: %s", r.AtSeq, r.Problem)
				}
				tb.row(name, fmt.Sprint(r.Events), status)
			}
			if err := tb.flush(); err != nil {
				return err
			}
		}
		if broken {
			// Exit non-zero after the report, so scripts and monitors notice.
			return &gatehouse.Error{Code: gatehouse.ECONFLICT, Message: "the audit log has been tampered with"}
		}
		return nil
	}
}
