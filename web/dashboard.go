package web

import (
	"strings"
	"time"
)

// The tenant dashboard's pages. Their templates are named dashboard-*.html
// and are parsed with dashboardFrame, which adds to the base layout the
// dashboard's stylesheet and script, its navigation, and the pieces the
// pages share (copyable fields). Because of that script, a dashboard page
// is sent with a Content-Security-Policy that admits scripts carrying the
// response's nonce; every other page runs no script at all.

// Templates of the dashboard.
const (
	dashboardPrefix = "dashboard-"
	// dashboardFrame is parsed with every dashboard page and is not a page
	// itself.
	dashboardFrame = "dashboard-frame.html"

	pageDashClients        = "dashboard-clients"
	pageDashClientForm     = "dashboard-client-form"
	pageDashClient         = "dashboard-client"
	pageDashCredentialForm = "dashboard-credential-form"
	pageDashOnce           = "dashboard-once"
	pageDashConfirm        = "dashboard-confirm"
	pageDashUsers          = "dashboard-users"
	pageDashUserForm       = "dashboard-user-form"
	pageDashUserEdit       = "dashboard-user-edit"
	pageDashUser           = "dashboard-user"
	pageDashAPIKeys        = "dashboard-apikeys"
	pageDashAPIKeyForm     = "dashboard-apikey-form"
	pageDashAudit          = "dashboard-audit"
	pageDashBranding       = "dashboard-branding"
	pageDashError          = "dashboard-error"
)

// isDashboard reports whether a template (by file or page name) belongs
// to the dashboard.
func isDashboard(name string) bool { return strings.HasPrefix(name, dashboardPrefix) }

// pageCSP is the Content-Security-Policy of a page: CSP, and for the
// dashboard's pages also its script, by the response's nonce.
func pageCSP(d PageData, nonce string) string {
	if isDashboard(d.template()) {
		return CSP(nonce) + "; script-src 'nonce-" + nonce + "'"
	}
	return CSP(nonce)
}

// Dashboard sections, for DashboardFrame.Section.
const (
	SectionClients  = "clients"
	SectionUsers    = "users"
	SectionAPIKeys  = "apikeys"
	SectionAudit    = "audit"
	SectionBranding = "branding"
)

// DashboardFrame is what every dashboard page shows around its own
// content: whose dashboard it is, who is signed in, the sections, and the
// outcome of the last action.
type DashboardFrame struct {
	// Base is the path the section links start with
	// ("/t/acme/dashboard"); empty hides the navigation (a page for
	// someone who may not use the dashboard).
	Base string
	// Section is the current one (SectionClients, ...).
	Section      string
	Organization string
	// UserName says who is signed in.
	UserName string
	// AccountURL is the user's own account page; SignOutAction ends the
	// session (a POST).
	AccountURL    string
	SignOutAction string
	// Notice confirms the last action, announced politely.
	Notice string
}

// Fact is one term and its description in a list of facts.
type Fact struct {
	Term   string
	Detail string
}

// CopyField is a read-only value to copy into another program (a setup
// field, a secret): a read-only text area that wraps a long value, to
// select and copy without script, with a copy button when the script
// runs.
type CopyField struct {
	// ID is the input's id, unique on the page.
	ID    string
	Label string
	Value string
	// Hint explains where the value goes.
	Hint string
	// Mono values (identifiers, secrets) are shown in a monospace font,
	// where 0 and O differ.
	Mono bool
}

// FieldErrors holds the problems of a form by the name of the form field
// they belong to; "" holds those of the form as a whole.
type FieldErrors map[string][]string

// Add records a problem with a field.
func (e FieldErrors) Add(field, msg string) { e[field] = append(e[field], msg) }

// Any reports whether there is a problem.
func (e FieldErrors) Any() bool { return len(e) > 0 }

// Has reports whether a field has a problem.
func (e FieldErrors) Has(field string) bool { return len(e[field]) > 0 }

// For returns the problems of a field, for the template that shows them
// next to it.
func (e FieldErrors) For(field string) FieldProblems {
	return FieldProblems{ID: ErrorID(field), Messages: e[field]}
}

// ErrorID is the id of the element that lists a field's problems, which
// the field names in aria-describedby.
func ErrorID(field string) string { return strings.ReplaceAll(field, "_", "-") + "-error" }

// FieldProblems are the problems of one form field.
type FieldProblems struct {
	ID       string
	Messages []string
}

// Choice is one checkbox or radio button of a form.
type Choice struct {
	Value       string
	Label       string
	Description string
	Checked     bool
	// Planned choices are shown disabled, marked as planned.
	Planned bool
}

// Slug is the value in a form fit for an element id: letters, digits and
// hyphens.
func (c Choice) Slug() string {
	s := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, c.Value)
	return strings.Trim(s, "-")
}

// DashboardClients lists a tenant's OAuth clients (its apps).
type DashboardClients struct {
	Frame   DashboardFrame
	Clients []DashboardClientRow
	NewURL  string
	// NextURL is the next page of the list, when there is one.
	NextURL string
}

func (DashboardClients) template() string { return pageDashClients }

// DashboardClientRow is one client in the list.
type DashboardClientRow struct {
	URL        string
	Name       string
	Type       string
	ClientID   string
	FirstParty bool
	Created    time.Time
}

// DashboardClientForm registers a client, or changes one (Edit). Its
// fields keep what was typed when it comes back with Errors.
type DashboardClientForm struct {
	Frame     DashboardFrame
	Action    string
	CancelURL string
	// Edit is a change of a registered client, whose type is fixed.
	Edit   bool
	Hidden []Field
	Errors FieldErrors

	Name        string
	Description string
	// Type is "confidential" or "public".
	Type string
	// The lists, one item per line.
	RedirectURIs   string
	PostLogoutURIs string
	AllowedOrigins string
	// Scopes are the available scopes and the planned groups (disabled).
	Scopes     []Choice
	FirstParty bool
	IDTokenAlg string
	Algorithms []string
}

func (DashboardClientForm) template() string { return pageDashClientForm }

// DashboardClient is one client's page: the values to paste into the
// app's settings, its credentials, and what can be done with it.
type DashboardClient struct {
	Frame DashboardFrame
	Name  string
	// Description may be empty.
	Description string
	Type        string
	Public      bool
	FirstParty  bool
	// Setup are the values an OIDC plugin asks for.
	Setup []CopyField
	// Settings are the client's other registered values.
	Settings    []Fact
	Credentials []DashboardCredential
	Created     time.Time
	Updated     time.Time

	EditURL string
	// NewCredentialURL is the form that adds a credential.
	NewCredentialURL string
	// RotateAction, DeleteAction and the credentials' DeleteAction are
	// posts that first ask for confirmation; Hidden goes with each.
	RotateAction string
	DeleteAction string
	Hidden       []Field
	// Logos are the upload forms of the app's logos; Errors holds the
	// problems of an upload, by the logo's Field.
	Logos  []DashboardLogo
	Errors FieldErrors
}

func (DashboardClient) template() string { return pageDashClient }

// DashboardLogo is the upload form of one of a client's logos: a file
// posted as multipart/form-data in the field "image", with Hidden.
type DashboardLogo struct {
	// Field names the logo's problems in the page's Errors ("logo",
	// "logo_dark"); InputID is its file input's id.
	Field   string
	InputID string
	Label   string
	// URI is the current logo, shown as a preview; empty for none.
	URI string
	// Dark previews it on a dark background.
	Dark   bool
	Action string
	// DeleteAction removes an uploaded logo, after confirmation; empty
	// when the logo was not uploaded here.
	DeleteAction string
	Hidden       []Field
}

// DashboardCredential is one client_id (and secret) of a client.
type DashboardCredential struct {
	ClientID string
	Name     string
	// SecretHint is the end of the secret; empty for a public client.
	SecretHint string
	Created    time.Time
	// Expires is zero for a credential that does not expire.
	Expires  time.Time
	Expired  bool
	LastUsed time.Time
	// ExpiryURL is the form that changes when it stops working; empty
	// once it has expired.
	ExpiryURL string
	// KeepAction clears a scheduled expiry; empty when there is none.
	KeepAction string
	// DeleteAction removes it; empty when it is the only one.
	DeleteAction string
}

// DashboardCredentialForm adds a credential to a client (ClientID
// empty: a name and an expiry), or changes when one stops working.
type DashboardCredentialForm struct {
	Frame     DashboardFrame
	Action    string
	CancelURL string
	Hidden    []Field
	Errors    FieldErrors

	// App is the client's name.
	App string
	// ClientID is the credential whose expiry changes; empty to add one.
	ClientID string
	// Secret says that a new credential comes with a secret (the client
	// is confidential).
	Secret bool
	Name   string
	// Expires is "never", "at" (ExpiresAt) or, for a credential that
	// exists, "now". ExpiresAt is a time as YYYY-MM-DDTHH:MM, in UTC.
	Expires   string
	ExpiresAt string
}

func (DashboardCredentialForm) template() string { return pageDashCredentialForm }

// DashboardOnce shows values that exist only now and are never shown
// again (a new client's secret, an API key, a set-password link), with
// what else is needed to use them.
type DashboardOnce struct {
	Frame DashboardFrame
	// Lead says what was done and what to do with the values.
	Lead   string
	Values []CopyField
	// Setup, when set, are the setup fields of a client.
	Setup     []CopyField
	Facts     []Fact
	DoneURL   string
	DoneLabel string
}

func (DashboardOnce) template() string { return pageDashOnce }

// DashboardConfirm asks before a change that cannot be undone or that
// stops something working.
type DashboardConfirm struct {
	Frame DashboardFrame
	// Lead says what will happen.
	Lead  string
	Facts []Fact
	// Action is where the confirming post goes, with Hidden.
	Action string
	Hidden []Field
	// Options, when set, are radio buttons named OptionsName under
	// OptionsLegend (the grace period of a secret rotation).
	OptionsLegend string
	OptionsName   string
	Options       []Choice
	// Confirm labels the button; Danger styles it as destructive.
	Confirm   string
	Danger    bool
	CancelURL string
}

func (DashboardConfirm) template() string { return pageDashConfirm }

// DashboardUsers lists a tenant's users.
type DashboardUsers struct {
	Frame   DashboardFrame
	Users   []DashboardUserRow
	NewURL  string
	NextURL string
}

func (DashboardUsers) template() string { return pageDashUsers }

// DashboardUserRow is one user in the list.
type DashboardUserRow struct {
	URL      string
	Name     string
	Username string
	Email    string
	Roles    []string
	// Status is active, disabled or invited.
	Status string
}

// DashboardUserForm creates a user, with a password or an invitation.
type DashboardUserForm struct {
	Frame     DashboardFrame
	Action    string
	CancelURL string
	Errors    FieldErrors

	Username string
	Email    string
	Name     string
	// Roles, separated by commas or spaces.
	Roles string
	// Invite sends a set-password link instead of setting Password.
	Invite bool
}

func (DashboardUserForm) template() string { return pageDashUserForm }

// DashboardUser is one user's page.
type DashboardUser struct {
	Frame    DashboardFrame
	Name     string
	Username string
	Facts    []Fact
	// Status is active, disabled or invited.
	Status string
	// Self is the signed-in user's own account, which cannot be disabled
	// from here.
	Self   bool
	Errors FieldErrors

	// EditURL is the form that changes the user's name and email.
	EditURL     string
	RolesAction string
	Roles       string
	// StatusAction disables (after confirmation) or enables the user;
	// LinkAction issues a set-password link. Hidden goes with each.
	StatusAction string
	LinkAction   string
	Hidden       []Field
}

func (DashboardUser) template() string { return pageDashUser }

// DashboardUserEdit changes a user's name and email. Its fields keep what
// was typed when it comes back with Errors.
type DashboardUserEdit struct {
	Frame     DashboardFrame
	Action    string
	CancelURL string
	Hidden    []Field
	Errors    FieldErrors

	// Username cannot change; it names the user.
	Username string
	Name     string
	Email    string
}

func (DashboardUserEdit) template() string { return pageDashUserEdit }

// DashboardAPIKeys lists a tenant's server API keys.
type DashboardAPIKeys struct {
	Frame   DashboardFrame
	Keys    []DashboardAPIKey
	NewURL  string
	NextURL string
}

func (DashboardAPIKeys) template() string { return pageDashAPIKeys }

// DashboardAPIKey is one server API key in the list.
type DashboardAPIKey struct {
	Name   string
	Prefix string
	Scopes []string
	// Created, Expires (zero: never), LastUsed (zero: never), Revoked
	// (zero: not revoked).
	Created  time.Time
	Expires  time.Time
	LastUsed time.Time
	Revoked  time.Time
	Expired  bool
	// RevokeAction asks for confirmation, then revokes; empty for a key
	// that no longer works.
	RevokeAction string
	Hidden       []Field
}

// DashboardAPIKeyForm creates a server API key.
type DashboardAPIKeyForm struct {
	Frame     DashboardFrame
	Action    string
	CancelURL string
	Errors    FieldErrors

	Name   string
	Scopes []Choice
	// Expires is "never", or a number of days: "30", "90", "365".
	Expires string
}

func (DashboardAPIKeyForm) template() string { return pageDashAPIKeyForm }

// DashboardAudit shows a page of the tenant's audit log, filtered.
type DashboardAudit struct {
	Frame  DashboardFrame
	Action string
	Errors FieldErrors
	// The filters as typed: Since and Until are YYYY-MM-DD days (UTC),
	// Result is "", "success" or "failure".
	FilterAction string
	FilterActor  string
	FilterResult string
	FilterSince  string
	FilterUntil  string
	Events       []DashboardEvent
	// NextURL is the next page of events, when there is one; FirstURL
	// goes back to the first page of the same filters.
	NextURL  string
	FirstURL string
}

func (DashboardAudit) template() string { return pageDashAudit }

// DashboardEvent is one audit event.
type DashboardEvent struct {
	Seq     int64
	Time    time.Time
	Actor   string
	Action  string
	Target  string
	Result  string
	IP      string
	Details []Fact
}

// DashboardBranding changes how the tenant's hosted pages look.
type DashboardBranding struct {
	Frame  DashboardFrame
	Action string
	Hidden []Field
	Errors FieldErrors

	Name            string
	PrimaryColor    string
	BackgroundColor string
	LogoURI         string
	LogoDarkURI     string

	// DomainsAction saves the custom domains (with Hidden), separately
	// from the rest; Domains holds them one per line, DomainErrors their
	// problems, and DomainIssuers the issuer each registered one serves.
	DomainsAction string
	Domains       string
	DomainErrors  FieldErrors
	DomainIssuers []CopyField
}

func (DashboardBranding) template() string { return pageDashBranding }

// DashboardError explains why a dashboard page cannot be shown: the
// signed-in user may not use the dashboard (Frame.Base empty: no
// navigation, a way to the account page and to sign out), or what was
// asked for does not exist.
type DashboardError struct {
	Frame   DashboardFrame
	Message string
}

func (DashboardError) template() string { return pageDashError }
