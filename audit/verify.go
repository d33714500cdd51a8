package audit

import (
	"bytes"
	"context"
	"crypto/hmac"
	"fmt"

	"github.com/gatehouse-id/gatehouse"
)

// Report is the outcome of verifying one chain.
type Report struct {
	TenantID string // "" for the platform
	// Events is how many events verified, in order, before the first
	// problem: all of them when OK.
	Events int64
	OK     bool
	// Problem describes the first break, "" when OK.
	Problem string
	// AtSeq is the Seq of the first event that does not verify, 0 when OK.
	AtSeq int64
}

// verifyPage is how many events Verify reads per store call.
const verifyPage = 1000

// Verify walks the chain of tenantID ("" for the platform) from its first
// event and reports the first break: a changed event (its hash does not
// match), a removed one (a gap in Seq), or one removed, inserted or
// reordered in a way that keeps Seq contiguous (its PrevHash is not the
// hash of the event before it). It cannot detect that the newest events
// were cut off; see the package documentation. The error is for a failing
// store only: a broken chain is a Report with OK false.
func Verify(ctx context.Context, store gatehouse.AuditStore, key []byte, tenantID string) (Report, error) {
	rep := Report{TenantID: tenantID}
	var prev []byte
	want := int64(1)
	after := int64(0)
	for {
		events, next, err := store.ListAuditEvents(ctx, gatehouse.AuditFilter{TenantID: tenantID, AfterSeq: after, Limit: verifyPage})
		if err != nil {
			return rep, fmt.Errorf("verify audit chain: %w", err)
		}
		for _, ev := range events {
			if problem := check(key, ev, want, prev); problem != "" {
				rep.Problem, rep.AtSeq = problem, ev.Seq
				return rep, nil
			}
			rep.Events++
			prev = ev.Hash
			want = ev.Seq + 1
		}
		if next == 0 || len(events) == 0 {
			break
		}
		if next <= after {
			return rep, fmt.Errorf("verify audit chain: store paged backwards (after %d, next %d)", after, next)
		}
		after = next
	}
	rep.OK = true
	return rep, nil
}

// check returns what is wrong with ev as the event of Seq want following
// an event whose hash is prev, or "".
func check(key []byte, ev *gatehouse.AuditEvent, want int64, prev []byte) string {
	switch {
	case ev.Seq > want && want == ev.Seq-1:
		return fmt.Sprintf("event %d is missing: it was removed", want)
	case ev.Seq > want:
		return fmt.Sprintf("events %d to %d are missing: they were removed", want, ev.Seq-1)
	case ev.Seq < want:
		return fmt.Sprintf("event %d appears after event %d: the chain was reordered", ev.Seq, want-1)
	}
	if !hmac.Equal(chainHash(key, ev), ev.Hash) {
		return fmt.Sprintf("event %d does not match its hash: it was changed, or moved from another position", ev.Seq)
	}
	if !bytes.Equal(ev.PrevHash, prev) {
		return fmt.Sprintf("event %d does not follow the event before it: an event was removed, inserted or reordered", ev.Seq)
	}
	return ""
}
