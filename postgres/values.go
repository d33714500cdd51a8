package postgres

import (
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// normTime returns t as the store keeps it: UTC, truncated to the
// microsecond precision of timestamptz. The zero time stays zero.
func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.Truncate(time.Microsecond).UTC()
}

// normTimes normalizes times in place, so that a value the store was given
// compares equal to the one it later reads back.
func normTimes(ts ...*time.Time) {
	for _, t := range ts {
		*t = normTime(*t)
	}
}

// ts is the parameter for a time column: NULL for the zero time.
func ts(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: normTime(t), Valid: true}
}

// scanTime is a scan target for a timestamptz column: it stores UTC, and
// the zero time for NULL.
type scanTime time.Time

// ScanTimestamptz implements pgtype.TimestamptzScanner.
func (p *scanTime) ScanTimestamptz(v pgtype.Timestamptz) error {
	if !v.Valid || v.InfinityModifier != pgtype.Finite {
		*p = scanTime{}
		return nil
	}
	*p = scanTime(v.Time.UTC())
	return nil
}

// tm returns the scan target for a time field.
func tm(t *time.Time) *scanTime { return (*scanTime)(t) }

// list is the parameter for a text[] column, which is never NULL.
func list(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// nilEmpty turns empty lists read back from text[] columns into nil, the
// form the domain uses for "none".
func nilEmpty(lists ...*[]string) {
	for _, l := range lists {
		if len(*l) == 0 {
			*l = nil
		}
	}
}

// bytesOrNil is the parameter for a nullable bytea column.
func bytesOrNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// textOrNil is the parameter for a nullable reference: NULL for "".
func textOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// nullText is a scan target that reads NULL as "".
type nullText string

// ScanText implements pgtype.TextScanner.
func (p *nullText) ScanText(v pgtype.Text) error {
	*p = nullText(v.String)
	return nil
}

func txt(s *string) *nullText { return (*nullText)(s) }

// fillID gives a row without an id a new UUID.
func fillID(id *string) {
	if *id == "" {
		*id = secret.NewID()
	}
}

// Page sizes of lists (store.go in the root package).
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// page reads ListOptions: the number of rows to return and the seq after
// which the page starts. A cursor is the seq of the last row of the
// previous page, in decimal; anything else is EINVALID.
func page(opt gatehouse.ListOptions) (limit int, after int64, err error) {
	limit = opt.Limit
	if limit <= 0 {
		limit = defaultPageSize
	}
	limit = min(limit, maxPageSize)
	if opt.Cursor != "" {
		after, err = strconv.ParseInt(opt.Cursor, 10, 64)
		if err != nil || after < 0 {
			return 0, 0, gatehouse.Errorf(gatehouse.EINVALID, "the page cursor is not valid")
		}
	}
	return limit, after, nil
}

// nextCursor returns the cursor after a page read with limit+1 rows: the
// seq of the page's last row when there are more, "" otherwise.
func nextCursor(got, limit int, lastSeq int64) string {
	if got <= limit {
		return ""
	}
	return strconv.FormatInt(lastSeq, 10)
}
