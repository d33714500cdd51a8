package web

import "time"

// The pages, by template name. Each PageData type renders one of them.
const (
	pageSignIn       = "signin"
	pageOrganization = "organization"
	pageConsent      = "consent"
	pageDenied       = "denied"
	pageError        = "error"
	pageLogout       = "logout"
	pageSignedOut    = "signedout"
	pageAccount      = "account"

	pageNewCredential     = "credential-new"
	pageCredentialCreated = "credential-created"
	pageRevokeCredential  = "credential-revoke"

	pageSetPassword = "password-set"
	pagePasswordSet = "password-done"
)

// allPages must each have a template; New fails otherwise.
var allPages = []string{
	pageSignIn, pageOrganization, pageConsent, pageDenied, pageError, pageLogout, pageSignedOut, pageAccount,
	pageNewCredential, pageCredentialCreated, pageRevokeCredential,
	pageSetPassword, pagePasswordSet,
	pageDashClients, pageDashClientForm, pageDashClient, pageDashCredentialForm, pageDashOnce, pageDashConfirm,
	pageDashUsers, pageDashUserForm, pageDashUserEdit, pageDashUser, pageDashAPIKeys, pageDashAPIKeyForm,
	pageDashAudit, pageDashBranding, pageDashError,
}

// Field is a hidden form field a page carries back to the server.
type Field struct {
	Name  string
	Value string
}

// SignIn is the sign-in form: username or email, and password.
type SignIn struct {
	// Action is where the form posts.
	Action string
	// Hidden fields carry the flow (the authorization request, the
	// organization).
	Hidden []Field
	// Username pre-fills the first field (login_hint, or what was typed).
	Username string
	// Error is shown above the form and announced to screen readers.
	Error string
	// ClientName, when set, says which application the user is signing in
	// to.
	ClientName string
	// OtherOrganizationURL, when set, links to choosing another
	// organization.
	OtherOrganizationURL string
}

func (SignIn) template() string { return pageSignIn }

// Organization asks which organization to sign in to, on the platform's
// own pages, where the tenant is not known from the address.
type Organization struct {
	// Action is where the form goes (with GET).
	Action string
	// Name is the name of the slug field.
	Name  string
	Slug  string
	Error string
	// Hidden fields carry where the user was going (an app's Connect
	// link).
	Hidden []Field
}

func (Organization) template() string { return pageOrganization }

// ScopeLine is one permission in plain language.
type ScopeLine struct {
	Name        string
	Description string
}

// Consent asks the user to allow an application.
type Consent struct {
	Action            string
	Hidden            []Field
	ClientName        string
	ClientLogoURI     string
	ClientLogoDarkURI string
	// UserName says who is signed in; SwitchURL signs in as someone else.
	UserName  string
	SwitchURL string
	Scopes    []ScopeLine
	// AccountURL is where access can be removed later.
	AccountURL string
}

func (Consent) template() string { return pageConsent }

// Denied tells a signed-in user that their account cannot use an
// application, and lets them go back to it (which then learns the access
// was denied) or sign in with another account.
type Denied struct {
	Message    string
	ClientName string
	Action     string
	Hidden     []Field
	// SwitchURL signs in with another account; empty hides the link.
	SwitchURL string
}

func (Denied) template() string { return pageDenied }

// ErrorPage explains a request that cannot go on, in a fixed, safe text.
type ErrorPage struct {
	Message string
	// HomeURL, when set, is offered as a way out.
	HomeURL string
}

func (ErrorPage) template() string { return pageError }

// LogoutConfirm asks before ending a session, when the request to do so
// could have come from anyone.
type LogoutConfirm struct {
	Action string
	Hidden []Field
	// ClientName is the application that asked, when known.
	ClientName string
	UserName   string
	// CancelURL is where "stay signed in" goes.
	CancelURL string
}

func (LogoutConfirm) template() string { return pageLogout }

// SignedOut confirms the end of a session.
type SignedOut struct {
	// ClientName is the application that asked, when known.
	ClientName string
	// AccountURL signs in again.
	AccountURL string
}

func (SignedOut) template() string { return pageSignedOut }

// Account is a user's own page: sessions, authorized applications and
// JWT credentials.
type Account struct {
	Name     string
	Username string
	Email    string
	// Notice confirms the last action, announced politely.
	Notice      string
	Sessions    []AccountSession
	Apps        []AccountApp
	Credentials []AccountCredential

	RevokeSessionAction     string
	RevokeAppAction         string
	SignOutAction           string
	SignOutEverywhereAction string
	// NewCredentialURL opens the form that creates a JWT credential;
	// RevokeCredentialAction is where a credential's revoke button posts.
	NewCredentialURL       string
	RevokeCredentialAction string
}

func (Account) template() string { return pageAccount }

// AccountSession is one browser session of the user.
type AccountSession struct {
	ID       string
	Current  bool
	SignedIn time.Time
	LastSeen time.Time
	IP       string
	Device   string
}

// AccountApp is one application the user authorized.
type AccountApp struct {
	// Client is the value the revoke form posts back.
	Client string
	Name   string
	Scopes []ScopeLine
	Since  time.Time
}

// SetPassword is the form behind a set-password link: an invited user
// chooses a first password, or a user an admin reset chooses a new one.
type SetPassword struct {
	Action string
	// Hidden fields carry the link's token, never in the form's URL.
	Hidden []Field
	// Username is shown, and offered to password managers.
	Username string
	// Invite says the account is new, for the wording.
	Invite bool
	Error  string
}

func (SetPassword) template() string { return pageSetPassword }

// PasswordSet confirms a password was set.
type PasswordSet struct {
	// SignInURL is where the user signs in with it.
	SignInURL string
}

func (PasswordSet) template() string { return pagePasswordSet }
