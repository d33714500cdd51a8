package admin

import (
	"slices"
	"strconv"

	"github.com/gatehouse-id/gatehouse"
)

// IfMatch holds the revisions a conditional change accepts: the entity
// tags of an If-Match header, which are revisions in quotes. A nil IfMatch
// makes the change unconditional (the CLI's); an empty non-nil one
// matches nothing.
type IfMatch []int64

// matches reports whether a row at revision rev may be changed.
func (m IfMatch) matches(rev int64) bool { return m == nil || slices.Contains(m, rev) }

// conditional reports whether the change was made on a condition.
func (m IfMatch) conditional() bool { return m != nil }

// ETag returns the entity tag of a row at revision rev: the revision as a
// strong, quoted tag.
func ETag(rev int64) string { return `"` + strconv.FormatInt(rev, 10) + `"` }

// staleError is the error of a change whose If-Match no longer names the
// row's revision.
func staleError(what string, current int64) error {
	return gatehouse.Errorf(errPrecondition,
		"the %s has changed since it was read (its ETag is now %s); read it again and reapply the change", what, ETag(current))
}

// errStaleRace is the error of a conditional change that lost a race with
// another change made after its If-Match was checked.
func errStaleRace(what string) error {
	return gatehouse.Errorf(errPrecondition,
		"the %s was changed by another request at the same time; read it again and reapply the change", what)
}
