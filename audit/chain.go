package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"io"
	"slices"

	"github.com/gatehouse-id/gatehouse"
)

// chainDomain starts every hashed encoding, so a hash of this format can
// never be confused with another use of the key or a later format.
const chainDomain = "gatehouse audit chain v1"

// chainHash returns the HMAC-SHA256 under key of an unambiguous encoding
// of every field of ev, PrevHash included and Hash excluded. Strings and
// byte fields are length-prefixed, integers fixed-width, the time is UTC
// microseconds (the precision the stores keep), and details are sorted by
// key, so two different events never encode alike.
func chainHash(key []byte, ev *gatehouse.AuditEvent) []byte {
	return chainHashWith(hmac.New(sha256.New, key), ev)
}

// chainHashWith is chainHash with an HMAC made once with the key and
// reused: Reset brings it back to the keyed state without hashing the
// key again. h is used by one goroutine at a time.
func chainHashWith(h hash.Hash, ev *gatehouse.AuditEvent) []byte {
	h.Reset()
	e := encoder{h: h}
	e.str(chainDomain)
	e.str(ev.TenantID)
	e.u64(uint64(ev.Seq))
	e.str(ev.ID)
	e.u64(uint64(ev.Time.UTC().UnixMicro()))
	e.str(ev.Actor)
	e.str(ev.Action)
	e.str(ev.Target)
	e.str(ev.Result)
	e.str(ev.IP)
	e.str(ev.UserAgent)
	names := make([]string, 0, len(ev.Details))
	for k := range ev.Details {
		names = append(names, k)
	}
	slices.Sort(names)
	e.u64(uint64(len(names)))
	for _, k := range names {
		e.str(k)
		e.str(ev.Details[k])
	}
	e.bytes(ev.PrevHash)
	return e.h.Sum(nil)
}

type encoder struct {
	h   hash.Hash
	buf [8]byte
}

func (e *encoder) u64(v uint64) {
	binary.BigEndian.PutUint64(e.buf[:], v)
	e.h.Write(e.buf[:])
}

func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	io.WriteString(e.h, s)
}

func (e *encoder) bytes(b []byte) {
	e.u64(uint64(len(b)))
	e.h.Write(b)
}
