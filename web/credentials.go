package web

import "time"

// The pages of a user's JWT credentials: the account page lists them
// (Account.Credentials), and these create, show and revoke one.

// CredentialApp is an application a JWT credential names: its client ID
// and, when it is a registered app of the user's organization, its name.
type CredentialApp struct {
	ClientID string
	// Name is "" when no app of the organization has that client ID
	// (any more).
	Name string
}

// AccountCredential is one of the user's JWT credentials on the account
// page.
type AccountCredential struct {
	// ID is the value the revoke form posts back.
	ID   string
	Name string
	// AnyApp means any app of the organization may use it; otherwise
	// only Apps.
	AnyApp  bool
	Apps    []CredentialApp
	Created time.Time
	Expires time.Time
	// LastUsed is zero when no app has used it yet.
	LastUsed time.Time
	Expired  bool
}

// NewCredential is the form that creates a JWT credential. Its fields
// keep what was typed when the form comes back with Errors.
type NewCredential struct {
	// Action is where the form posts; CancelURL goes back to the account.
	Action    string
	CancelURL string
	// OrganizationName names the user's organization ("any app of ...").
	OrganizationName string
	// ConnectApp, when set, is the app whose Connect button led here: the
	// form opens restricted to it.
	ConnectApp string
	// Notice explains a problem with the link that led here (an app that
	// is not registered), without stopping the form.
	Notice string
	// Errors lists what must be fixed before the credential is created.
	Errors []string

	Name string
	// Expires is the chosen lifetime: "30", "90" or "365" days, or "date"
	// for ExpiresOn (YYYY-MM-DD, UTC), between MinDate and MaxDate.
	Expires   string
	ExpiresOn string
	MinDate   string
	MaxDate   string
	// Audience is "clients" (only the apps named in ClientIDs) or "any".
	Audience  string
	ClientIDs string
	// Apps are the registered apps among ClientIDs, shown by name.
	Apps []CredentialApp
}

func (NewCredential) template() string { return pageNewCredential }

// CredentialCreated shows a new JWT credential's value, the only time it
// is ever shown, in a read-only field that works without scripts.
type CredentialCreated struct {
	Name  string
	Value string
	// Expires is when the credential stops working.
	Expires          time.Time
	AnyApp           bool
	Apps             []CredentialApp
	OrganizationName string
	// TokenEndpoint and GrantType tell the app's developer where and how
	// to exchange it.
	TokenEndpoint string
	GrantType     string
	AccountURL    string
}

func (CredentialCreated) template() string { return pageCredentialCreated }

// RevokeCredential asks before revoking a JWT credential.
type RevokeCredential struct {
	Action   string
	Hidden   []Field
	Name     string
	AnyApp   bool
	Apps     []CredentialApp
	Expires  time.Time
	LastUsed time.Time
	// CancelURL keeps the credential.
	CancelURL string
}

func (RevokeCredential) template() string { return pageRevokeCredential }
