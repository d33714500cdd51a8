package storetest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// ClientSecret is the secret of every credential MustClient creates: the
// store keeps only its SHA-256, so tests that authenticate a client need
// the value from here.
const ClientSecret = "gth_cs_storetest-client-secret-not-for-production"

// MustTenant creates an active tenant with slug (and a name derived from
// it) and fails the test on error.
func MustTenant(tb testing.TB, s gatehouse.Store, slug string) *gatehouse.Tenant {
	tb.Helper()
	t := &gatehouse.Tenant{Slug: slug, Name: "Tenant " + slug, Status: gatehouse.StatusActive}
	must(tb, "create tenant "+slug, s.CreateTenant(tb.Context(), t))
	return t
}

// MustUser creates an active user of the tenant with username, the email
// username@example.com and no roles, and fails the test on error.
func MustUser(tb testing.TB, s gatehouse.Store, tenantID, username string) *gatehouse.User {
	tb.Helper()
	u := &gatehouse.User{TenantID: tenantID, Username: username, Email: username + "@example.com",
		Name: username, Status: gatehouse.StatusActive}
	must(tb, "create user "+username, s.CreateUser(tb.Context(), u))
	return u
}

// MustClient creates a confidential client of the tenant with the default
// settings, one redirect URI (https://app.example.com/callback) and one
// credential, a fresh client_id with the secret ClientSecret, and fails the
// test on error.
func MustClient(tb testing.TB, s gatehouse.Store, tenantID string) *gatehouse.Client {
	tb.Helper()
	c := &gatehouse.Client{TenantID: tenantID, Name: "App", RedirectURIs: []string{"https://app.example.com/callback"}}
	c.ApplyDefaults()
	c.Credentials = []gatehouse.ClientCredential{{
		ClientID:   gatehouse.PrefixClientID + secret.Token(12),
		Name:       gatehouse.ClientCredentialDefaultName,
		SecretHash: secret.Hash(ClientSecret),
		SecretHint: ClientSecret[len(ClientSecret)-4:],
	}}
	must(tb, "create client", s.CreateClient(tb.Context(), c))
	return c
}

// MustGrant creates a grant of the client to the user (userID "" for a
// client's own grant) ending a day after now, and fails the test on error.
func MustGrant(tb testing.TB, s gatehouse.Store, c *gatehouse.Client, userID string, now time.Time) *gatehouse.Grant {
	tb.Helper()
	g := &gatehouse.Grant{TenantID: c.TenantID, Client: c.ID, UserID: userID,
		Scopes: []string{gatehouse.ScopeOpenID}, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
	must(tb, "create grant", s.CreateGrant(tb.Context(), g))
	return g
}

// MustRefreshToken creates a refresh token of the grant, expiring an hour
// after now, and returns it with the value it is the hash of.
func MustRefreshToken(tb testing.TB, s gatehouse.Store, g *gatehouse.Grant, now time.Time) (*gatehouse.RefreshToken, string) {
	tb.Helper()
	value := secret.Token(32)
	rt := newRefreshToken(g, secret.Hash(value), now)
	must(tb, "create refresh token", s.CreateRefreshToken(tb.Context(), rt))
	return rt, value
}

// Builders of fully populated rows, so that round trips cover every field.

func rnd() string { return strings.ToLower(secret.Token(9)) }

func hash() []byte { return secret.Hash(secret.Token(32)) }

func fullTenant(slug string) *gatehouse.Tenant {
	return &gatehouse.Tenant{
		Slug:   slug,
		Name:   "Tenant " + strings.ToUpper(slug),
		Status: gatehouse.StatusActive,
		Branding: gatehouse.Branding{LogoURI: "https://cdn.example.com/" + slug + ".png",
			LogoDarkURI: "https://cdn.example.com/" + slug + "-dark.png", PrimaryColor: "#1a73e8",
			BackgroundColor: "#fff"},
		Domains: []string{"id." + slug + ".example.com", "login." + slug + ".example.com"},
		Settings: gatehouse.TenantSettings{SSOReturnURL: "https://www." + slug + ".example.com/sso",
			Widget: map[string]string{"color": "blue", "position": "left"}},
	}
}

func fullUser(tenantID, username string) *gatehouse.User {
	return &gatehouse.User{
		TenantID:      tenantID,
		Username:      username,
		Email:         username + "@example.com",
		EmailVerified: true,
		Name:          "User " + username,
		Picture:       "https://cdn.example.com/" + username + ".jpg",
		PasswordHash:  "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNo",
		Status:        gatehouse.StatusActive,
		Roles:         []string{"admin", "agent"},
	}
}

func fullClient(tenantID string) *gatehouse.Client {
	c := &gatehouse.Client{
		TenantID:                tenantID,
		Name:                    "CRM " + rnd(),
		Description:             "The sales team's CRM",
		Type:                    gatehouse.ClientConfidential,
		RedirectURIs:            []string{"https://crm.example.com/cb", "https://crm.example.com/cb2?x=1"},
		PostLogoutRedirectURIs:  []string{"https://crm.example.com/bye"},
		AllowedOrigins:          []string{"https://crm.example.com"},
		Scopes:                  []string{gatehouse.ScopeEmail, gatehouse.ScopeOfflineAccess, gatehouse.ScopeOpenID},
		GrantTypes:              []string{gatehouse.GrantAuthorizationCode, gatehouse.GrantRefreshToken},
		AuthMethod:              gatehouse.AuthMethodSecretPost,
		LogoURI:                 "https://crm.example.com/logo.png",
		LogoDarkURI:             "https://crm.example.com/logo-dark.png",
		IDTokenAlg:              gatehouse.AlgES256,
		AccessTokenTTL:          15 * time.Minute,
		IDTokenTTL:              30 * time.Minute,
		RefreshIdleTTL:          7 * 24 * time.Hour,
		RefreshAbsoluteTTL:      60 * 24 * time.Hour,
		FirstParty:              true,
		AlwaysIssueRefreshToken: true,
		AllowedRoles:            []string{"agent"},
		InteractionEndpoint:     "https://crm.example.com/interaction",
	}
	c.Credentials = []gatehouse.ClientCredential{
		{ClientID: gatehouse.PrefixClientID + rnd(), Name: "default", SecretHash: hash(), SecretHint: "ab12",
			LastUsedAt: t0().Add(-time.Hour)},
		{ClientID: gatehouse.PrefixClientID + rnd(), Name: "rotated", SecretHash: hash(), SecretHint: "cd34",
			ExpiresAt: t0().Add(48 * time.Hour)},
	}
	return c
}

func newAuthRequest(c *gatehouse.Client, now time.Time) *gatehouse.AuthRequest {
	return &gatehouse.AuthRequest{
		TenantID:            c.TenantID,
		Client:              c.ID,
		ClientID:            c.Credentials[0].ClientID,
		RedirectURI:         c.RedirectURIs[0],
		ResponseMode:        "form_post",
		State:               "state-" + rnd(),
		Nonce:               "nonce-" + rnd(),
		Scopes:              []string{gatehouse.ScopeOpenID, gatehouse.ScopeEmail},
		CodeChallenge:       "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		CodeChallengeMethod: "S256",
		Prompt:              []string{"login", "consent"},
		MaxAge:              -1,
		LoginHint:           "ana",
		UILocales:           "pt-BR en",
		ACRValues:           "urn:example:loa:2",
		Issuer:              "https://login.example.com/t/acme",
		IDTokenHintSubject:  "0190d8b2-7a0e-7c4e-9a51-2f6f3c1d9e01",
		CreatedAt:           now,
		ExpiresAt:           now.Add(gatehouse.AuthRequestTTL),
	}
}

func newSession(u *gatehouse.User, created, expires time.Time) *gatehouse.Session {
	return &gatehouse.Session{
		TokenHash:  hash(),
		TenantID:   u.TenantID,
		UserID:     u.ID,
		AuthTime:   created,
		AMR:        []string{"pwd", "otp"},
		ACR:        "urn:example:loa:2",
		IP:         "192.0.2.7",
		UserAgent:  "Mozilla/5.0 (storetest)",
		CreatedAt:  created,
		LastSeenAt: created,
		ExpiresAt:  expires,
	}
}

func newAuthCode(c *gatehouse.Client, u *gatehouse.User, now time.Time) *gatehouse.AuthCode {
	return &gatehouse.AuthCode{
		Hash:                hash(),
		TenantID:            c.TenantID,
		Client:              c.ID,
		ClientID:            c.Credentials[0].ClientID,
		UserID:              u.ID,
		GrantID:             secret.NewID(),
		SessionID:           secret.NewID(),
		RedirectURI:         c.RedirectURIs[0],
		Scopes:              []string{gatehouse.ScopeOpenID, gatehouse.ScopeOfflineAccess},
		Nonce:               "n-" + rnd(),
		CodeChallenge:       "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		CodeChallengeMethod: "S256",
		AuthTime:            now.Add(-time.Minute),
		AMR:                 []string{"pwd"},
		ACR:                 "urn:example:loa:1",
		CreatedAt:           now,
		ExpiresAt:           now.Add(gatehouse.AuthCodeTTL),
	}
}

// grantFor is the grant an issue callback creates for a redeemed code.
func grantFor(c *gatehouse.AuthCode, now time.Time) *gatehouse.Grant {
	return &gatehouse.Grant{ID: c.GrantID, TenantID: c.TenantID, Client: c.Client, UserID: c.UserID,
		Scopes: c.Scopes, SessionID: c.SessionID, CreatedAt: now, ExpiresAt: now.Add(90 * 24 * time.Hour)}
}

func newRefreshToken(g *gatehouse.Grant, h []byte, now time.Time) *gatehouse.RefreshToken {
	return &gatehouse.RefreshToken{
		Hash:      h,
		TenantID:  g.TenantID,
		GrantID:   g.ID,
		Client:    g.Client,
		UserID:    g.UserID,
		Scopes:    g.Scopes,
		SessionID: g.SessionID,
		AuthTime:  now.Add(-time.Minute),
		AMR:       []string{"pwd"},
		ACR:       "urn:example:loa:1",
		CreatedAt: now,
		ExpiresAt: now.Add(time.Hour),
	}
}

// rotated is the token an issue callback creates for old.
func rotated(old *gatehouse.RefreshToken, h []byte, now time.Time) *gatehouse.RefreshToken {
	n := *old
	n.Hash = h
	n.CreatedAt = now
	n.ExpiresAt = now.Add(time.Hour)
	n.RotatedAt = time.Time{}
	n.RevokedAt = time.Time{}
	return &n
}

func newAPIKey(tenantID string, now time.Time) *gatehouse.APIKey {
	return &gatehouse.APIKey{
		TenantID:   tenantID,
		Name:       "backend " + rnd(),
		Prefix:     gatehouse.PrefixAPIKey + "ab12",
		Hash:       hash(),
		Scopes:     []string{gatehouse.APIScopeRuntimeTokensWrite, gatehouse.APIScopeUsersRead},
		CreatedBy:  "user:" + secret.NewID(),
		CreatedAt:  now,
		ExpiresAt:  now.Add(365 * 24 * time.Hour),
		LastUsedAt: now.Add(time.Minute),
	}
}

func newJWTCredential(u *gatehouse.User, now time.Time) *gatehouse.JWTCredential {
	return &gatehouse.JWTCredential{
		TenantID:         u.TenantID,
		UserID:           u.ID,
		Name:             "sync " + rnd(),
		Hash:             hash(),
		AllowedClientIDs: []string{gatehouse.PrefixClientID + "one", gatehouse.PrefixClientID + "two"},
		CreatedAt:        now,
		ExpiresAt:        now.Add(30 * 24 * time.Hour),
	}
}

func newConnector(tenantID string) *gatehouse.Connector {
	return &gatehouse.Connector{
		TenantID:       tenantID,
		Kind:           gatehouse.ConnectorOIDC,
		Name:           "Corporate SSO " + rnd(),
		Active:         true,
		ButtonText:     "Sign in with Corp",
		ButtonImageURI: "https://corp.example.com/button.png",
		Config:         json.RawMessage(`{"issuer": "https://corp.example.com", "scopes": ["openid", "email"]}`),
		SealedSecrets:  []byte{0x01, 0x02, 0x00, 0xff, 0x10},
		Mapping:        gatehouse.ClaimMapping{UserKey: "sub", Username: "preferred_username", Email: "email"},
		ConflictPolicy: gatehouse.ConflictAskUser,
	}
}

func newSigningKey(tenantID string, purpose gatehouse.KeyPurpose, alg string, state gatehouse.KeyState, now time.Time) *gatehouse.SigningKey {
	k := &gatehouse.SigningKey{
		TenantID:         tenantID,
		Purpose:          purpose,
		Algorithm:        alg,
		State:            state,
		PublicKey:        []byte("public-" + rnd()),
		SealedPrivateKey: []byte("sealed-" + rnd()),
		CreatedAt:        now,
	}
	if state == gatehouse.KeyActive {
		k.ActivatedAt = now
	}
	return k
}
