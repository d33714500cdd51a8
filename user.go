package gatehouse

import (
	"strings"
	"time"
)

// User is an account of one tenant. Its ID is the `sub` claim, stable for
// the life of the account.
type User struct {
	ID       string // UUID
	TenantID string
	// Username and Email are unique within the tenant and stored lower-case;
	// either can be typed at sign-in.
	Username      string
	Email         string // may be empty
	EmailVerified bool
	Name          string
	Picture       string // absolute URL, may be empty
	// PasswordHash is a PHC-format argon2id hash, or empty for an account
	// that signs in only through a connector or has not set a password.
	PasswordHash string
	Status       Status
	// Roles are the user's role names in the tenant ("owner", "admin",
	// "agent", ...), sorted, without duplicates.
	Roles []string

	// FailedSignIns counts consecutive wrong passwords; a success resets it.
	FailedSignIns    int
	LastFailedSignIn time.Time

	CreatedAt time.Time
	UpdatedAt time.Time
	Revision  int64
}

// Well-known roles. A tenant may use any other role name too.
const (
	RoleOwner = "owner"
	RoleAdmin = "admin"
)

// Normalize lower-cases username and email, sorts and de-duplicates roles,
// and defaults the status.
func (u *User) Normalize() {
	u.Username = strings.ToLower(strings.TrimSpace(u.Username))
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	u.Roles = NormalizeRoles(u.Roles)
	if u.Status == "" {
		u.Status = StatusActive
	}
}

// NormalizeRoles returns roles trimmed, lower-cased, sorted and unique.
func NormalizeRoles(roles []string) []string {
	return sortedUnique(roles, strings.ToLower)
}

// HasRole reports whether the user has any of the given roles.
func (u *User) HasRole(roles ...string) bool {
	for _, have := range u.Roles {
		for _, want := range roles {
			if have == want {
				return true
			}
		}
	}
	return false
}

// Validate reports every invalid field (EINVALID).
func (u *User) Validate() error {
	var p Problems
	if u.TenantID == "" {
		p.Add("tenant_id", "is required")
	}
	CheckUsername(&p, "username", u.Username)
	if u.Email != "" && !ValidEmail(u.Email) {
		p.Add("email", "must be an email address such as ana@example.com")
	}
	if u.EmailVerified && u.Email == "" {
		p.Add("email_verified", "needs an email")
	}
	checkText(&p, "name", u.Name, false, 200)
	checkHTTPSURL(&p, "picture", u.Picture)
	switch u.Status {
	case StatusActive, StatusDisabled, StatusInvited:
	default:
		p.Add("status", "must be active, disabled or invited")
	}
	if u.PasswordHash != "" && !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		p.Add("password", "is not stored in a supported form")
	}
	checkStrings(&p, "roles", u.Roles, func(r string) string {
		if !ValidRole(r) {
			return "must be 1-64 lower-case letters, digits, '.', '_' or '-'"
		}
		return ""
	})
	if len(u.Roles) > 50 {
		p.Add("roles", "must have at most 50 roles")
	}
	return p.Err()
}

// CheckUsername validates a username: 1-100 characters, no '@' (so that a
// sign-in name with '@' is always an email), no spaces or control
// characters.
func CheckUsername(p *Problems, field, s string) {
	checkText(p, field, s, true, 100)
	if strings.ContainsAny(s, "@ \t") {
		p.Add(field, "must not contain '@' or spaces")
	}
}

// Password length bounds (NIST SP 800-63B §5.1.1.2: at least 8, accept at
// least 64). The upper bound keeps hashing cost fixed.
const (
	MinPasswordLength = 8
	MaxPasswordLength = 256
)

// CheckPassword returns a problem with a chosen password, or "".
func CheckPassword(pw string) string {
	n := len([]rune(pw))
	switch {
	case n < MinPasswordLength:
		return "must be at least 8 characters"
	case len(pw) > MaxPasswordLength:
		return "must be at most 256 bytes"
	case strings.TrimSpace(pw) == "":
		return "must not be only spaces"
	}
	return ""
}
