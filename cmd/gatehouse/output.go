package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// printJSON writes v as indented JSON, the --json output of every command.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes aligned columns for people.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cols ...string) { fmt.Fprintln(t.tw, strings.Join(cols, "\t")) }

func (t *table) flush() error { return t.tw.Flush() }

// printList writes the items of a list command: with --json an array
// (never null) of each item's document, otherwise a table of header with
// one row per item.
func printList[T, D any](c *cli, items []T, doc func(T) D, header []string, row func(T) []string) error {
	if c.json {
		out := make([]D, 0, len(items))
		for _, it := range items {
			out = append(out, doc(it))
		}
		return printJSON(c.io.out, out)
	}
	tb := newTable(c.io.out, header...)
	for _, it := range items {
		tb.row(row(it)...)
	}
	return tb.flush()
}

// printRevoked confirms that the key id was revoked.
func printRevoked(c *cli, id string) error {
	if c.json {
		return printJSON(c.io.out, map[string]string{"id": id, "status": "revoked"})
	}
	fmt.Fprintln(c.io.out, "Revoked", id)
	return nil
}

// stamp formats a time for tables; zero is "-".
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// jsonTime formats a time for JSON output; zero is omitted by the caller.
func jsonTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// orDash shows an empty value as "-".
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// stringList collects a repeatable flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// splitList splits a comma- or space-separated flag value.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}
