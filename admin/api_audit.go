package admin

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse"
)

// The tenant's audit log: /api/v1/audit, in chain order (oldest first),
// and /api/v1/audit/export, every matching event streamed as JSON lines or
// CSV.

func (api *API) registerAudit(r Router) {
	r.HandleAPI("GET /api/v1/audit", api.endpoint(gatehouse.APIScopeAuditRead, api.listAudit))
	r.HandleAPI("GET /api/v1/audit/export", api.endpoint(gatehouse.APIScopeAuditRead, api.exportAudit))
}

// auditFilter reads the filters of the audit endpoints from the query:
// since and until (RFC 3339; since inclusive, until exclusive), actor,
// action and result.
func auditFilter(r *http.Request, tenantID string) (gatehouse.AuditFilter, error) {
	q := r.URL.Query()
	f := gatehouse.AuditFilter{TenantID: tenantID, Actor: q.Get("actor"), Action: q.Get("action"), Result: q.Get("result")}
	var p gatehouse.Problems
	for _, tf := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(tf.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				p.Add(tf.name, "must be a time such as 2026-11-05T09:30:00Z (RFC 3339)")
				continue
			}
			*tf.dst = t
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		p.Add("until", "must be after since")
	}
	if f.Result != "" && f.Result != gatehouse.ResultSuccess && f.Result != gatehouse.ResultFailure {
		p.Add("result", "must be success or failure")
	}
	for _, name := range []string{"actor", "action"} {
		if len(q.Get(name)) > 200 {
			p.Add(name, "must be at most 200 characters")
		}
	}
	return f, p.Err()
}

func (api *API) listAudit(w http.ResponseWriter, r *http.Request, c *Caller) error {
	f, err := auditFilter(r, c.TenantID)
	if err != nil {
		return err
	}
	opt, err := page(r)
	if err != nil {
		return err
	}
	f.Limit = opt.Limit
	if opt.Cursor != "" {
		seq, err := strconv.ParseInt(opt.Cursor, 10, 64)
		if err != nil || seq < 0 {
			return fieldError("cursor", "must be a next_cursor value of an earlier page")
		}
		f.AfterSeq = seq
	}
	events, next, err := api.svc.AuditEvents(r.Context(), c.TenantID, f)
	if err != nil {
		return err
	}
	doc := listDoc[AuditEventDoc]{Items: make([]AuditEventDoc, 0, len(events))}
	for _, e := range events {
		doc.Items = append(doc.Items, NewAuditEventDoc(e))
	}
	if next > 0 {
		doc.NextCursor = strconv.FormatInt(next, 10)
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}

// exportPage is how many events the export reads at a time.
const exportPage = 500

// auditCSVHeader names the columns of the CSV export.
var auditCSVHeader = []string{"seq", "id", "time", "actor", "action", "target", "result", "ip", "user_agent", "details", "hash", "prev_hash"}

// exportAudit streams every event that matches the filters, a page at a
// time, so an export of any size holds one page in memory. Once the first
// line is written the status is sent; a failure after that ends the
// stream early, which a reader sees as a missing last line (JSON lines)
// or a short file, and is logged.
func (api *API) exportAudit(w http.ResponseWriter, r *http.Request, c *Caller) error {
	f, err := auditFilter(r, c.TenantID)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	switch format {
	case "":
		format = "jsonl"
	case "jsonl", "csv":
	default:
		return fieldError("format", "must be jsonl or csv")
	}
	ctx := r.Context()
	f.Limit = exportPage
	events, next, err := api.svc.AuditEvents(ctx, c.TenantID, f)
	if err != nil {
		return err
	}
	h := w.Header()
	name := "audit-" + api.svc.clock().UTC().Format("20060102T150405Z")
	if format == "csv" {
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	} else {
		h.Set("Content-Type", "application/x-ndjson; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="`+name+`.jsonl"`)
	}
	w.WriteHeader(http.StatusOK)
	flush := http.NewResponseController(w).Flush
	var cw *csv.Writer
	enc := json.NewEncoder(w)
	if format == "csv" {
		cw = csv.NewWriter(w)
		cw.Write(auditCSVHeader)
	}
	for {
		for _, e := range events {
			doc := NewAuditEventDoc(e)
			if cw != nil {
				details, _ := json.Marshal(doc.Details)
				err = cw.Write(csvSafe([]string{strconv.FormatInt(doc.Seq, 10), doc.ID, doc.Time.Format(time.RFC3339Nano),
					doc.Actor, doc.Action, doc.Target, doc.Result, doc.IP, doc.UserAgent, string(details), doc.Hash, doc.PrevHash}))
			} else {
				err = enc.Encode(doc)
			}
			if err != nil {
				api.log.WarnContext(ctx, "audit export ended early", "err", err)
				return nil
			}
		}
		if cw != nil {
			cw.Flush()
			if err := cw.Error(); err != nil {
				api.log.WarnContext(ctx, "audit export ended early", "err", err)
				return nil
			}
		}
		flush()
		if next == 0 {
			return nil
		}
		f.AfterSeq = next
		if events, next, err = api.svc.AuditEvents(ctx, c.TenantID, f); err != nil {
			api.log.ErrorContext(ctx, "audit export ended early", "err", err)
			return nil
		}
	}
}

// csvSafe keeps spreadsheet programs from running a cell as a formula:
// a value that starts with =, +, -, @, a tab or a carriage return (an
// attacker can put one in a user agent or a username) gets a leading
// apostrophe.
func csvSafe(row []string) []string {
	for i, v := range row {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			row[i] = "'" + v
		}
	}
	return row
}
