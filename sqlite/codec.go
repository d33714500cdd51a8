package sqlite

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
)

// Rows keep times as unix microseconds in UTC, NULL for the zero time.

// micros is the column value of t.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// timeCol scans a micros column into a time.Time.
type timeCol struct{ p *time.Time }

func (c timeCol) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*c.p = time.Time{}
	case int64:
		*c.p = time.UnixMicro(x).UTC()
	default:
		return fmt.Errorf("timestamp column holds %T", v)
	}
	return nil
}

// jsonArg stores v as JSON text.
type jsonArg struct{ v any }

func (j jsonArg) Value() (driver.Value, error) {
	b, err := json.Marshal(j.v)
	if err != nil {
		return nil, fmt.Errorf("encode column: %w", err)
	}
	return string(b), nil
}

// jsonCol scans JSON text into p; NULL leaves p as it is.
type jsonCol struct{ p any }

func (c jsonCol) Scan(v any) error {
	var b []byte
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		return fmt.Errorf("JSON column holds %T", v)
	}
	if err := json.Unmarshal(b, c.p); err != nil {
		return fmt.Errorf("decode column: %w", err)
	}
	return nil
}

// strCol scans a nullable text column; NULL is "".
type strCol struct{ p *string }

func (c strCol) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*c.p = ""
	case string:
		*c.p = x
	case []byte:
		*c.p = string(x)
	default:
		return fmt.Errorf("text column holds %T", v)
	}
	return nil
}

// bytesCol scans a nullable blob or text column into a fresh slice; NULL
// is nil.
type bytesCol struct{ p *[]byte }

func (c bytesCol) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*c.p = nil
	case []byte:
		*c.p = append([]byte(nil), x...)
	case string:
		*c.p = []byte(x)
	default:
		return fmt.Errorf("blob column holds %T", v)
	}
	return nil
}

// nullable stores "" as NULL, for optional references whose foreign key
// must not apply when they are unset.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// Lists page by the rows' seq: the cursor is the seq of the last item
// returned, as decimal text.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// page returns the seq to continue after and the page size for opt.
func page(opt gatehouse.ListOptions) (after int64, limit int, err error) {
	limit = opt.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	limit = min(limit, maxLimit)
	if opt.Cursor != "" {
		after, err = strconv.ParseInt(opt.Cursor, 10, 64)
		if err != nil || after < 0 {
			return 0, 0, gatehouse.Errorf(gatehouse.EINVALID, "invalid cursor")
		}
	}
	return after, limit, nil
}

// cursorAfter trims a page fetched with limit+1 rows and returns the cursor
// of the next page, "" when there is none.
func cursorAfter[T any](items []T, seqs []int64, limit int) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	return items[:limit], strconv.FormatInt(seqs[limit-1], 10)
}

// placeholders returns "?, ?, ..." for n arguments.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
