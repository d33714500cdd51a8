package dashboard

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/web"
)

// dayLayout is how the audit filters' days are written (an HTML date
// input's value).
const dayLayout = "2006-01-02"

// serveAudit shows the tenant's audit log in chain order, a page at a
// time, filtered by action, actor, result and days (UTC). The actor
// filter takes an audit actor ("user:<id>", "apikey:<id>") or a user's
// username or email.
func (d *Dashboard) serveAudit(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	data := web.DashboardAudit{
		Frame:        s.frame(""),
		Action:       s.link("/audit"),
		Errors:       web.FieldErrors{},
		FilterAction: strings.TrimSpace(q.Get("action")),
		FilterActor:  strings.TrimSpace(q.Get("actor")),
		FilterResult: q.Get("result"),
		FilterSince:  q.Get("since"),
		FilterUntil:  q.Get("until"),
	}
	f := gatehouse.AuditFilter{TenantID: s.tenant.ID, Action: data.FilterAction, Result: data.FilterResult, Limit: pageSize}
	for _, name := range []string{"action", "actor"} {
		switch v := q.Get(name); {
		case len(v) > 200:
			data.Errors.Add(name, "Type at most 200 characters.")
		case !plainText(v):
			// No action or actor is written so, and PostgreSQL refuses
			// to look such text up.
			data.Errors.Add(name, "Type letters, digits and punctuation only.")
		}
	}
	switch f.Result {
	case "", gatehouse.ResultSuccess, gatehouse.ResultFailure:
	default:
		data.Errors.Add("result", "Choose success, failure or any.")
	}
	if v := data.FilterSince; v != "" {
		t, err := time.Parse(dayLayout, v)
		if err != nil {
			data.Errors.Add("since", "Give a day such as 2026-11-05.")
		}
		f.Since = t
	}
	if v := data.FilterUntil; v != "" {
		t, err := time.Parse(dayLayout, v)
		if err != nil {
			data.Errors.Add("until", "Give a day such as 2026-11-05.")
		}
		// The whole of the last day is included.
		f.Until = t.AddDate(0, 0, 1)
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		data.Errors.Add("until", "Give a day on or after the first.")
	}
	if a := data.FilterActor; a != "" && !data.Errors.Has("actor") {
		f.Actor = d.auditActor(r, s, a)
	}
	if after := q.Get("after"); after != "" {
		seq, err := strconv.ParseInt(after, 10, 64)
		if err != nil || seq < 0 {
			d.fail(w, r, s, errBadRequest)
			return
		}
		f.AfterSeq = seq
	}
	if data.Errors.Any() {
		d.render(w, r, http.StatusUnprocessableEntity, s, "Audit log", data)
		return
	}
	events, next, err := d.admin.AuditEvents(r.Context(), s.tenant.ID, f)
	if err != nil {
		d.fail(w, r, s, d.storeError(r, "list audit events", err))
		return
	}
	names := d.actorNames(r, s, events)
	for _, e := range events {
		ev := web.DashboardEvent{Seq: e.Seq, Time: e.Time, Actor: describeActor(e.Actor, names), Action: e.Action,
			Target: describeActor(e.Target, names), Result: e.Result, IP: e.IP}
		for _, k := range slices.Sorted(maps.Keys(e.Details)) {
			ev.Details = append(ev.Details, web.Fact{Term: k, Detail: e.Details[k]})
		}
		data.Events = append(data.Events, ev)
	}
	filters := url.Values{}
	for k, v := range map[string]string{"action": data.FilterAction, "actor": data.FilterActor, "result": data.FilterResult,
		"since": data.FilterSince, "until": data.FilterUntil} {
		if v != "" {
			filters.Set(k, v)
		}
	}
	if f.AfterSeq > 0 {
		data.FirstURL = s.link("/audit")
		if len(filters) > 0 {
			data.FirstURL += "?" + filters.Encode()
		}
	}
	if next > 0 {
		filters.Set("after", strconv.FormatInt(next, 10))
		data.NextURL = s.link("/audit") + "?" + filters.Encode()
	}
	d.render(w, r, http.StatusOK, s, "Audit log", data)
}

// plainText reports whether s is UTF-8 text without control characters.
func plainText(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, unicode.IsControl) < 0
}

// auditActor turns the actor filter into an audit actor: a username or
// email of the tenant becomes "user:<id>"; anything else is taken as it
// is.
func (d *Dashboard) auditActor(r *http.Request, s *session, typed string) string {
	if strings.Contains(typed, ":") {
		return typed
	}
	if u, err := d.admin.User(r.Context(), s.tenant.ID, typed); err == nil {
		return "user:" + u.ID
	}
	return typed
}

// actorNames names the users and apps that events refer to, so the log
// reads "user ana" and "app Acme Blog" rather than ids. A user or app
// that no longer exists keeps its id.
func (d *Dashboard) actorNames(r *http.Request, s *session, events []*gatehouse.AuditEvent) map[string]string {
	names := map[string]string{}
	for _, e := range events {
		for _, ref := range []string{e.Actor, e.Target} {
			if _, seen := names[ref]; seen {
				continue
			}
			names[ref] = ""
			if id, ok := strings.CutPrefix(ref, "user:"); ok && gatehouse.IsUUID(id) {
				if u, err := d.admin.User(r.Context(), s.tenant.ID, id); err == nil {
					names[ref] = "user " + u.Username
				}
			} else if id, ok := strings.CutPrefix(ref, "client:"); ok && id != "" {
				if c, err := d.admin.Client(r.Context(), s.tenant.ID, id); err == nil {
					names[ref] = "app " + c.Name
				}
			}
		}
	}
	return names
}

// describeActor shows an audit actor or target by its name when it has
// one.
func describeActor(ref string, names map[string]string) string {
	if n := names[ref]; n != "" {
		return n
	}
	return ref
}
