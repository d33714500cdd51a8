package gatehouse

import "time"

// Audit results.
const (
	ResultSuccess = "success"
	ResultFailure = "failure"
)

// AuditEvent is one append-only record of a security event. Events of a
// tenant form a chain: each carries the hash of the one before it, so a
// changed, removed or reordered row breaks the chain.
type AuditEvent struct {
	TenantID string // empty for platform events
	// Seq is the event's position in its tenant's chain, from 1.
	Seq  int64
	ID   string
	Time time.Time
	// Actor says who acted: "user:<id>", "apikey:<id>", "client:<client_id>",
	// "cli", "system".
	Actor     string
	Action    string // "client.create", "signin", "token.issue", ...
	Target    string // what was acted on: "client:<id>", "user:<id>", ...
	Result    string // ResultSuccess or ResultFailure
	IP        string
	UserAgent string
	// Details are extra facts (a failure reason, a client_id). Never a
	// secret, token or password.
	Details map[string]string

	PrevHash []byte
	Hash     []byte
}

// AuditFilter selects audit events. Zero fields match everything.
type AuditFilter struct {
	TenantID string // required: chains are per tenant ("" is the platform)
	Since    time.Time
	Until    time.Time
	Actor    string
	Action   string
	Result   string
	// AfterSeq continues a listing after the event with this Seq.
	AfterSeq int64
	// Limit bounds the page; 0 means the store's default.
	Limit int
}
