package gatehouse_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
)

// fields returns the offending field names of an EINVALID error.
func fields(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var e *gatehouse.Error
	if !errors.As(err, &e) || e.Code != gatehouse.EINVALID {
		t.Fatalf("got %v (%T), want an EINVALID *gatehouse.Error", err, err)
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestErrorCode(t *testing.T) {
	t.Parallel()
	wrapped := fmt.Errorf("load: %w", gatehouse.Errorf(gatehouse.ENOTFOUND, "client not found"))
	tests := []struct {
		name     string
		err      error
		wantCode string
		wantMsg  string
	}{
		{"nil", nil, "", ""},
		{"domain error", gatehouse.Errorf(gatehouse.ECONFLICT, "slug taken"), gatehouse.ECONFLICT, "slug taken"},
		{"wrapped", wrapped, gatehouse.ENOTFOUND, "client not found"},
		{"foreign error hides details", errors.New("pq: password=hunter2"), gatehouse.EINTERNAL, "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := gatehouse.ErrorCode(tt.err); got != tt.wantCode {
				t.Errorf("ErrorCode = %q, want %q", got, tt.wantCode)
			}
			if got := gatehouse.ErrorMessage(tt.err); got != tt.wantMsg {
				t.Errorf("ErrorMessage = %q, want %q", got, tt.wantMsg)
			}
		})
	}
}

func TestProblems(t *testing.T) {
	t.Parallel()
	var p gatehouse.Problems
	if p.Err() != nil {
		t.Fatal("empty Problems should give a nil error")
	}
	p.Add("name", "is required")
	var inner gatehouse.Problems
	inner.Add("logo_uri", "must use https")
	p.Merge("branding", inner.Err())
	err := p.Err()
	if got, want := fields(t, err), []string{"name", "branding.logo_uri"}; !slices.Equal(got, want) {
		t.Errorf("fields = %v, want %v", got, want)
	}
	if got, want := err.Error(), "name: is required; branding.logo_uri: must use https"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestCheckRedirectURI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		uri    string
		wantOK bool
	}{
		{"https://app.example.com/callback", true},
		{"https://app.example.com/cb?tenant=1", true},
		{"http://127.0.0.1:8765/callback", true},
		{"http://[::1]/callback", true},
		{"http://localhost:3000/cb", true},
		{"com.example.app:/oauth2redirect", true},
		{"http://app.example.com/callback", false},
		{"https://app.example.com/cb#frag", false},
		{"/relative/callback", false},
		{"", false},
		{"javascript:alert(1)", false},
		{"myapp:/callback", false}, // private-use schemes must be reverse-DNS
		{"https:///nohost", false},
		{"https://app.example.com/a b", false},
		{"https://bl\x88g.example/cb", false}, // not UTF-8
		{"https://app.example.com/cb\x00", false},
		{"https://bücher.example/cb", true},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			msg := gatehouse.CheckRedirectURI(tt.uri)
			if (msg == "") != tt.wantOK {
				t.Errorf("CheckRedirectURI(%q) = %q, want ok=%v", tt.uri, msg, tt.wantOK)
			}
		})
	}
}

func validClient() *gatehouse.Client {
	c := &gatehouse.Client{
		TenantID:     "t1",
		Name:         "WordPress",
		RedirectURIs: []string{"https://blog.example.com/wp-admin/admin-ajax.php?action=openid-connect-authorize"},
	}
	c.ApplyDefaults()
	return c
}

func TestClientValidate(t *testing.T) {
	t.Parallel()
	catalog := gatehouse.NewScopeCatalog()
	tests := []struct {
		name   string
		modify func(c *gatehouse.Client)
		want   []string // offending fields, nil for valid
	}{
		{"defaults are valid", func(c *gatehouse.Client) {}, nil},
		{"public client with PKCE defaults", func(c *gatehouse.Client) {
			c.Type, c.AuthMethod = gatehouse.ClientPublic, ""
			c.ApplyDefaults()
		}, nil},
		{"missing name", func(c *gatehouse.Client) { c.Name = "" }, []string{"name"}},
		{"every bad redirect URI is named", func(c *gatehouse.Client) {
			c.RedirectURIs = []string{"https://ok.example.com/cb", "http://evil.example.com/cb", "https://x.example.com/#f"}
		}, []string{"config.redirect_uris[1]", "config.redirect_uris[2]"}},
		{"duplicate redirect URI", func(c *gatehouse.Client) {
			c.RedirectURIs = []string{"https://a.example.com/cb", "https://a.example.com/cb"}
		}, []string{"config.redirect_uris[1]"}},
		{"code grant needs a redirect URI", func(c *gatehouse.Client) { c.RedirectURIs = nil }, []string{"config.redirect_uris"}},
		{"planned scope refused", func(c *gatehouse.Client) { c.Scopes = []string{"openid", "contacts.read"} }, []string{"scopes[1]"}},
		{"unknown scope refused", func(c *gatehouse.Client) { c.Scopes = []string{"openid", "superuser"} }, []string{"scopes[1]"}},
		{"password grant refused", func(c *gatehouse.Client) { c.GrantTypes = []string{"authorization_code", "password"} }, []string{"grant_types[1]"}},
		{"public client cannot use client_credentials", func(c *gatehouse.Client) {
			c.Type, c.AuthMethod = gatehouse.ClientPublic, gatehouse.AuthMethodNone
			c.GrantTypes = []string{"authorization_code", "client_credentials"}
		}, []string{"grant_types[1]"}},
		{"public client with a secret method", func(c *gatehouse.Client) { c.Type = gatehouse.ClientPublic }, []string{"auth_method"}},
		{"confidential client without a secret", func(c *gatehouse.Client) { c.AuthMethod = gatehouse.AuthMethodNone }, []string{"auth_method"}},
		{"bad algorithm", func(c *gatehouse.Client) { c.IDTokenAlg = "HS256" }, []string{"id_token_alg"}},
		{"lifetimes bounded", func(c *gatehouse.Client) {
			c.AccessTokenTTL = time.Second
			c.RefreshAbsoluteTTL = time.Hour
		}, []string{"access_token_ttl", "refresh_token_absolute_ttl"}},
		{"origin with a path", func(c *gatehouse.Client) { c.AllowedOrigins = []string{"https://app.example.com/x"} }, []string{"config.allowed_origins[0]"}},
		{"http logo", func(c *gatehouse.Client) { c.LogoURI = "http://cdn.example.com/logo.png" }, []string{"config.logo_uri"}},
		{"logo not UTF-8", func(c *gatehouse.Client) { c.LogoURI = "https://cdn.example.com/\xff.png" }, []string{"config.logo_uri"}},
		{"origin not UTF-8", func(c *gatehouse.Client) { c.AllowedOrigins = []string{"https://\xffapp.example.com"} }, []string{"config.allowed_origins[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validClient()
			tt.modify(c)
			got := fields(t, c.Validate(catalog))
			if !slices.Equal(got, tt.want) {
				t.Errorf("invalid fields = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestUserValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		user gatehouse.User
		want []string
	}{
		{"valid", gatehouse.User{TenantID: "t", Username: "Ana.Lima", Email: "Ana@Example.com", Roles: []string{"Admin", "admin", "agent"}}, nil},
		{"username with @", gatehouse.User{TenantID: "t", Username: "ana@example.com"}, []string{"username"}},
		{"empty username", gatehouse.User{TenantID: "t"}, []string{"username"}},
		{"bad email and role", gatehouse.User{TenantID: "t", Username: "ana", Email: "Ana <ana@example.com>", Roles: []string{"has space"}}, []string{"email", "roles[0]"}},
		{"verified without email", gatehouse.User{TenantID: "t", Username: "ana", EmailVerified: true}, []string{"email_verified"}},
		{"foreign hash", gatehouse.User{TenantID: "t", Username: "ana", PasswordHash: "$2a$10$abc"}, []string{"password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := tt.user
			u.Normalize()
			if got := fields(t, u.Validate()); !slices.Equal(got, tt.want) {
				t.Errorf("invalid fields = %v, want %v", got, tt.want)
			}
		})
	}
	u := gatehouse.User{TenantID: "t", Username: " Ana.Lima ", Email: "Ana@Example.COM", Roles: []string{"Agent", "admin", "agent"}}
	u.Normalize()
	if u.Username != "ana.lima" || u.Email != "ana@example.com" || !slices.Equal(u.Roles, []string{"admin", "agent"}) || u.Status != gatehouse.StatusActive {
		t.Errorf("Normalize gave %q %q %v %q", u.Username, u.Email, u.Roles, u.Status)
	}
}

func TestTenantValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tenant gatehouse.Tenant
		want   []string
	}{
		{"valid", gatehouse.Tenant{Slug: "Acme", Name: "Acme Inc", Domains: []string{"Login.Acme.com."}}, nil},
		{"bad slug", gatehouse.Tenant{Slug: "-acme", Name: "Acme"}, []string{"slug"}},
		{"no name", gatehouse.Tenant{Slug: "acme"}, []string{"name"}},
		{"domain with port", gatehouse.Tenant{Slug: "acme", Name: "A", Domains: []string{"login.acme.com:443"}}, []string{"domains[0]"}},
		{"bad color", gatehouse.Tenant{Slug: "acme", Name: "A", Branding: gatehouse.Branding{PrimaryColor: "blue"}}, []string{"branding.primary_color"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tn := tt.tenant
			tn.Normalize()
			if got := fields(t, tn.Validate()); !slices.Equal(got, tt.want) {
				t.Errorf("invalid fields = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestScopeCatalog(t *testing.T) {
	t.Parallel()
	c := gatehouse.NewScopeCatalog()
	tests := []struct {
		scope    string
		wantCode string
	}{
		{"openid", ""},
		{"profile", ""},
		{"email", ""},
		{"tenant.read", ""},
		{"roles.read", ""},
		{"offline_access", ""},
		{"contacts.read", gatehouse.ENOTSUPPORTED},
		{"agents.presence.write", gatehouse.ENOTSUPPORTED},
		{"runtime.tokens.write", gatehouse.ENOTSUPPORTED},
		{"reports.read", gatehouse.ENOTSUPPORTED},
		{"oauth.clients.write", gatehouse.ENOTSUPPORTED},
		{"reports.delete", gatehouse.EINVALID},
		{"contacts", gatehouse.EINVALID},
		{"admin", gatehouse.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.scope, func(t *testing.T) {
			if got := gatehouse.ErrorCode(c.Check(tt.scope)); got != tt.wantCode {
				t.Errorf("Check(%q) code = %q, want %q", tt.scope, got, tt.wantCode)
			}
		})
	}
	if got := c.AvailableNames(); !slices.Equal(got, []string{"openid", "profile", "email", "tenant.read", "roles.read", "offline_access"}) {
		t.Errorf("AvailableNames = %v", got)
	}
	for _, s := range c.Available() {
		if s.Planned || strings.Contains(s.Name, "*") {
			t.Errorf("Available() includes %q", s.Name)
		}
	}
	if got := len(c.Planned()); got != 25 {
		t.Errorf("planned groups = %d, want 25", got)
	}
	if got, want := gatehouse.ParseScope("profile  openid profile"), []string{"openid", "profile"}; !slices.Equal(got, want) {
		t.Errorf("ParseScope = %v, want %v", got, want)
	}
}

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	for pw, ok := range map[string]bool{
		"correct horse":          true,
		"short":                  false,
		"        ":               false,
		strings.Repeat("a", 257): false,
		"ünïcödé!":               true,
	} {
		if got := gatehouse.CheckPassword(pw) == ""; got != ok {
			t.Errorf("CheckPassword(%.12q...) ok = %v, want %v", pw, got, ok)
		}
	}
}

func TestRefreshTokenCheckRotation(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	usable := gatehouse.RefreshToken{ExpiresAt: now.Add(time.Hour)}
	tests := []struct {
		name                   string
		change                 func(*gatehouse.RefreshToken)
		grantEnd, grantRevoked time.Time
		want                   string
	}{
		{name: "usable, grant without end", want: ""},
		{name: "usable, grant ends later", grantEnd: now.Add(time.Minute), want: ""},
		{name: "rotated", change: func(r *gatehouse.RefreshToken) { r.RotatedAt = now.Add(-time.Second) },
			want: gatehouse.EUSED},
		{name: "rotated, then expired: still reuse", change: func(r *gatehouse.RefreshToken) {
			r.RotatedAt, r.ExpiresAt = now.Add(-time.Hour), now.Add(-time.Minute)
		}, want: gatehouse.EUSED},
		{name: "rotated and revoked", change: func(r *gatehouse.RefreshToken) {
			r.RotatedAt, r.RevokedAt = now.Add(-time.Hour), now.Add(-time.Minute)
		}, want: gatehouse.ENOTFOUND},
		{name: "revoked", change: func(r *gatehouse.RefreshToken) { r.RevokedAt = now.Add(-time.Second) },
			want: gatehouse.ENOTFOUND},
		{name: "expires now", change: func(r *gatehouse.RefreshToken) { r.ExpiresAt = now }, want: gatehouse.ENOTFOUND},
		{name: "grant revoked", grantRevoked: now.Add(-time.Second), want: gatehouse.ENOTFOUND},
		{name: "grant ends now", grantEnd: now, want: gatehouse.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := usable
			if tt.change != nil {
				tt.change(&rt)
			}
			err := rt.CheckRotation(now, tt.grantEnd, tt.grantRevoked)
			if got := gatehouse.ErrorCode(err); got != tt.want || (tt.want == "") != (err == nil) {
				t.Errorf("CheckRotation: got %v, want code %q", err, tt.want)
			}
		})
	}
}

func TestStorableText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    string
		want bool
	}{
		{"", true},
		{"ana", true},
		{"bücher ✓", true},
		{"ana\x00", false},
		{"\xffana", false},
		{"a\xc3", false}, // cut inside a character
	}
	for _, tt := range tests {
		if got := gatehouse.StorableText(tt.s); got != tt.want {
			t.Errorf("StorableText(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}
