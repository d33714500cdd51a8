package gatehouse

import "time"

// PasswordTokenTTL is how long a set-password link works: long enough for
// an invitation to wait over a holiday, short enough that a forgotten
// link stops working.
const PasswordTokenTTL = 7 * 24 * time.Hour

// PasswordToken is a single-use link that lets a user choose a password:
// the invitation of a new user, or a reset an admin started. The link
// holds a random value; the store keeps only its SHA-256, and a user has
// at most one token at a time.
type PasswordToken struct {
	Hash     []byte
	TenantID string
	UserID   string
	// CreatedBy is the audit actor who issued it.
	CreatedBy string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Expired reports whether the token is past its expiry at now.
func (t *PasswordToken) Expired(now time.Time) bool { return !now.Before(t.ExpiresAt) }
