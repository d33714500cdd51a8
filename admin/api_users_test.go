package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

func TestUsers(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	acme := s.MustTenant(t, "acme")
	other := s.MustTenant(t, "other")
	rw := mustKey(t, s, acme.ID, gatehouse.APIScopeUsersRead, gatehouse.APIScopeUsersWrite)
	ro := mustKey(t, s, acme.ID, gatehouse.APIScopeUsersRead)
	otherKey := mustKey(t, s, other.ID, gatehouse.APIScopeUsersRead, gatehouse.APIScopeUsersWrite)
	ctx := context.Background()

	created := call(t, s, "POST", "/api/v1/users", rw, map[string]any{
		"username": "Ana", "email": "Ana@Example.com", "name": "Ana Lima", "password": "correct horse battery",
		"roles": []string{"Admin", "agent"},
	}, nil)
	if created.status != http.StatusCreated {
		t.Fatalf("create: %d %s", created.status, created.raw)
	}
	id := created.str("id")
	if created.str("username") != "ana" || created.str("email") != "ana@example.com" || created.doc["has_password"] != true ||
		created.str("status") != "active" || created.header.Get("ETag") != `"1"` ||
		created.header.Get("Location") != "/api/v1/users/"+id {
		t.Errorf("create: %v %s", created.header, created.raw)
	}
	if strings.Contains(string(created.raw), "argon2") || strings.Contains(string(created.raw), "correct horse") {
		t.Errorf("the answer shows the password or its hash")
	}
	if roles := created.doc["roles"].([]any); len(roles) != 2 || roles[0] != "admin" {
		t.Errorf("roles: %v", roles)
	}
	noPassword := call(t, s, "POST", "/api/v1/users", rw, map[string]any{"username": "bo"}, nil)
	if noPassword.status != http.StatusCreated || noPassword.doc["has_password"] != false {
		t.Errorf("a user without a password: %d %s", noPassword.status, noPassword.raw)
	}
	for _, ref := range []string{id, "ana", "ana@example.com"} {
		if r := call(t, s, "GET", "/api/v1/users/"+url.PathEscape(ref), ro, nil, nil); r.status != 200 || r.str("id") != id {
			t.Errorf("GET by %s: %d %s", ref, r.status, r.raw)
		}
	}
	if r := call(t, s, "GET", "/api/v1/users/"+id, otherKey, nil, nil); r.status != 404 {
		t.Errorf("another tenant's key: %d, want 404", r.status)
	}
	if r := call(t, s, "POST", "/api/v1/users", ro, map[string]any{"username": "x"}, nil); r.status != 403 {
		t.Errorf("a read-only key creating: %d, want 403", r.status)
	}

	validation := []struct {
		name      string
		method    string
		path      string
		body      any
		wantCode  int
		wantField string
	}{
		{"no username", "POST", "/api/v1/users", map[string]any{"email": "x@example.com"}, 422, "username"},
		{"a username with @", "POST", "/api/v1/users", map[string]any{"username": "a@b"}, 422, "username"},
		{"a bad email", "POST", "/api/v1/users", map[string]any{"username": "c", "email": "not-an-email"}, 422, "email"},
		{"a short password", "POST", "/api/v1/users", map[string]any{"username": "c", "password": "short"}, 422, "password"},
		{"an http picture", "POST", "/api/v1/users", map[string]any{"username": "c", "picture": "http://cdn.example.com/a.png"}, 422, "picture"},
		{"a bad role", "POST", "/api/v1/users", map[string]any{"username": "c", "roles": []string{"ok", "not ok"}}, 422, "roles[1]"},
		{"an unknown field", "POST", "/api/v1/users", map[string]any{"username": "c", "is_admin": true}, 422, "is_admin"},
		{"a taken username", "POST", "/api/v1/users", map[string]any{"username": "ANA"}, 409, ""},
		{"a taken email", "POST", "/api/v1/users", map[string]any{"username": "c", "email": "ana@example.com"}, 409, ""},
		{"an invitation with a password", "POST", "/api/v1/users/invite", map[string]any{"username": "c", "password": "long enough!"}, 422, "password"},
		{"status invited", "PATCH", "/api/v1/users/" + id, map[string]any{"status": "invited"}, 422, "status"},
		{"status unknown", "PATCH", "/api/v1/users/" + id, map[string]any{"status": "banned"}, 422, "status"},
		{"email_verified without an email", "PATCH", "/api/v1/users/" + id, map[string]any{"email": "", "email_verified": true}, 422, "email_verified"},
		{"a taken email on change", "PATCH", "/api/v1/users/" + noPassword.str("id"), map[string]any{"email": "ana@example.com"}, 409, ""},
		{"roles missing", "PUT", "/api/v1/users/" + id + "/roles", map[string]any{}, 422, "roles"},
		{"a bad role on change", "PUT", "/api/v1/users/" + id + "/roles", map[string]any{"roles": []string{"a", "B C"}}, 422, "roles[1]"},
		{"a short password on reset", "POST", "/api/v1/users/" + id + "/password", map[string]any{"password": "1234567"}, 422, "password"},
		{"a password of spaces", "POST", "/api/v1/users/" + id + "/password", map[string]any{"password": "          "}, 422, "password"},
		{"a body for the link", "POST", "/api/v1/users/" + id + "/password-link", map[string]any{"email": true}, 422, "email"},
		{"an unknown user", "PATCH", "/api/v1/users/nobody", map[string]any{"name": "x"}, 404, ""},
	}
	for _, tt := range validation {
		t.Run("refused/"+tt.name, func(t *testing.T) {
			r := call(t, s, tt.method, tt.path, rw, tt.body, nil)
			if r.status != tt.wantCode || (tt.wantField != "" && !slices.Contains(r.fields(), tt.wantField)) {
				t.Errorf("got %d fields %v (%s), want %d naming %q", r.status, r.fields(), r.raw, tt.wantCode, tt.wantField)
			}
		})
	}

	// Change some fields; a new email is unverified.
	patched := call(t, s, "PATCH", "/api/v1/users/"+id, rw, map[string]any{"name": "Ana L.", "email": "ana.lima@example.com"},
		http.Header{"If-Match": {`"1"`}})
	if patched.status != 200 || patched.str("name") != "Ana L." || patched.doc["email_verified"] != false || patched.header.Get("ETag") != `"2"` {
		t.Errorf("patch: %d %s", patched.status, patched.raw)
	}
	if r := call(t, s, "PATCH", "/api/v1/users/"+id, rw, map[string]any{"name": "x"}, http.Header{"If-Match": {`"1"`}}); r.status != 412 {
		t.Errorf("patch with a stale ETag: %d, want 412", r.status)
	}
	roles := call(t, s, "PUT", "/api/v1/users/"+id+"/roles", rw, map[string]any{"roles": []string{"owner"}}, http.Header{"If-Match": {`"2"`}})
	if roles.status != 200 || len(roles.doc["roles"].([]any)) != 1 || roles.header.Get("ETag") != `"3"` {
		t.Errorf("set roles: %d %s", roles.status, roles.raw)
	}
	if r := call(t, s, "PUT", "/api/v1/users/"+id+"/roles", rw, map[string]any{"roles": []string{}}, http.Header{"If-Match": {`"2"`}}); r.status != 412 {
		t.Errorf("set roles with a stale ETag: %d, want 412", r.status)
	}

	// Disabling ends the user's sessions and revokes their grants.
	client := s.MustClient(t, acme.ID, nil)
	now := s.Clock.Now()
	sess := &gatehouse.Session{TokenHash: secret.Hash(secret.Token(32)), TenantID: acme.ID, UserID: id, AuthTime: now,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.Store.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	grant := &gatehouse.Grant{TenantID: acme.ID, Client: client.ID, UserID: id, Scopes: []string{"openid"},
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.Store.CreateGrant(ctx, grant); err != nil {
		t.Fatal(err)
	}
	if _, link, err := s.App.Admin.IssuePasswordLink(ctx, gatehousetest.Actor(), acme.ID, id); err != nil || link.Token == "" {
		t.Fatalf("issue a link: %v", err)
	}
	disabled := call(t, s, "PATCH", "/api/v1/users/"+id, rw, map[string]any{"status": "disabled"}, nil)
	if disabled.status != 200 || disabled.str("status") != "disabled" {
		t.Fatalf("disable: %d %s", disabled.status, disabled.raw)
	}
	if ss, err := s.Store.ListSessions(ctx, acme.ID, id, s.Clock.Now()); err != nil || len(ss) != 0 {
		t.Errorf("sessions after disabling: %d, %v; want none", len(ss), err)
	}
	if g, err := s.Store.GetGrant(ctx, acme.ID, grant.ID); err != nil || g.RevokedAt.IsZero() {
		t.Errorf("grant after disabling: %+v, %v; want revoked", g, err)
	}
	if revoked, err := s.Store.AccessTokenRevoked(ctx, "jti", grant.ID); err != nil || !revoked {
		t.Errorf("access tokens of the grant: revoked %v, %v; want revoked", revoked, err)
	}
	if r := call(t, s, "POST", "/api/v1/users/"+id+"/password-link", rw, nil, nil); r.status != http.StatusConflict {
		t.Errorf("a link for a disabled user: %d %s, want 409", r.status, r.raw)
	}
	if r := call(t, s, "PATCH", "/api/v1/users/"+id, rw, map[string]any{"status": "active"}, nil); r.status != 200 || r.str("status") != "active" {
		t.Errorf("enable: %d %s", r.status, r.raw)
	}

	// An admin sets a password: the user's sessions end.
	sess2 := &gatehouse.Session{TokenHash: secret.Hash(secret.Token(32)), TenantID: acme.ID, UserID: id, AuthTime: now,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.Store.CreateSession(ctx, sess2); err != nil {
		t.Fatal(err)
	}
	if r := call(t, s, "POST", "/api/v1/users/"+id+"/password", rw, map[string]any{"password": "a new long password"}, nil); r.status != 200 {
		t.Fatalf("set password: %d %s", r.status, r.raw)
	}
	u, err := s.Store.GetUser(ctx, acme.ID, id)
	if err != nil || s.App.Hasher.Verify(ctx, "a new long password", u.PasswordHash) != nil {
		t.Errorf("the new password does not verify: %v", err)
	}
	if ss, _ := s.Store.ListSessions(ctx, acme.ID, id, s.Clock.Now()); len(ss) != 0 {
		t.Errorf("sessions after a password reset: %d, want none", len(ss))
	}

	// Links: on the tenant's issuer, single use by design, replaced by a
	// newer one.
	link := call(t, s, "POST", "/api/v1/users/"+id+"/password-link", rw, nil, nil)
	if link.status != http.StatusCreated || !strings.HasPrefix(link.str("set_password_url"), s.URL+"/t/acme/password/set?token=") {
		t.Fatalf("link: %d %s", link.status, link.raw)
	}
	exp, _ := time.Parse(time.RFC3339, link.str("expires_at"))
	if want := s.Clock.Now().Add(7 * 24 * time.Hour); !exp.Equal(want) {
		t.Errorf("link expires at %v, want %v (7 days)", exp, want)
	}
	atTenant := call(t, s, "POST", "/t/acme/api/v1/users/"+id+"/password-link", rw, nil, nil)
	if !strings.HasPrefix(atTenant.str("set_password_url"), s.URL+"/t/acme/password/set?token=") {
		t.Errorf("a link asked for at the tenant's issuer: %s", atTenant.raw)
	}
	firstToken := tokenOf(t, link.str("set_password_url"))
	if _, err := s.Store.GetPasswordToken(ctx, secret.Hash(firstToken), s.Clock.Now()); !gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		t.Errorf("the first link still works after a newer one: %v", err)
	}
	if _, err := s.Store.GetPasswordToken(ctx, secret.Hash(tokenOf(t, atTenant.str("set_password_url"))), s.Clock.Now()); err != nil {
		t.Errorf("the newest link: %v", err)
	}

	// An invitation creates an invited user and a link.
	inv := call(t, s, "POST", "/api/v1/users/invite", rw, map[string]any{"username": "cy", "email": "cy@example.com", "roles": []string{"agent"}}, nil)
	if inv.status != http.StatusCreated {
		t.Fatalf("invite: %d %s", inv.status, inv.raw)
	}
	invited := inv.doc["user"].(map[string]any)
	if invited["status"] != "invited" || invited["has_password"] != false || !strings.Contains(inv.str("set_password_url"), "/t/acme/password/set?token=") {
		t.Errorf("invite: %s", inv.raw)
	}

	// Every change is audited, with no password or link in it.
	var actions []string
	for _, ev := range s.MustAuditEvents(t, acme.ID, "") {
		if strings.HasPrefix(ev.Action, "user.") && strings.HasPrefix(ev.Actor, "apikey:") {
			actions = append(actions, ev.Action)
		}
		for _, v := range ev.Details {
			if strings.Contains(v, "long password") || strings.Contains(v, firstToken) || strings.Contains(v, "argon2") {
				t.Errorf("%s: details hold a secret: %v", ev.Action, ev.Details)
			}
		}
	}
	for _, want := range []string{"user.create", "user.update", "user.roles.set", "user.disable", "user.enable", "user.password.set",
		"user.password.link", "user.invite"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit lacks %s: %v", want, actions)
		}
	}
	dis := s.MustAuditEvents(t, acme.ID, "user.disable")
	if len(dis) != 1 || dis[0].Details["sessions_ended"] != "1" || dis[0].Details["grants_revoked"] != "1" {
		t.Errorf("user.disable: %+v", dis)
	}
}

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

func TestUsersPaginationAndConcurrency(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	acme := s.MustTenant(t, "acme")
	key := mustKey(t, s, acme.ID, gatehouse.APIScopeUsersRead, gatehouse.APIScopeUsersWrite)
	var want []string
	for i := range 5 {
		u := s.MustUser(t, acme.ID, "user"+string(rune('a'+i)), "")
		want = append(want, u.ID)
	}
	var got []string
	for cursor := ""; ; {
		r := call(t, s, "GET", "/api/v1/users?limit=2&cursor="+url.QueryEscape(cursor), key, nil, nil)
		for _, it := range r.doc["items"].([]any) {
			got = append(got, it.(map[string]any)["id"].(string))
		}
		if cursor = r.str("next_cursor"); cursor == "" {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages: got %v, want %v", got, want)
	}

	const n = 5
	codes := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			codes[i] = send(t, "PATCH", s.URL+"/api/v1/users/"+want[0], key, map[string]any{"name": "Name " + string(rune('A'+i))},
				http.Header{"If-Match": {`"1"`}}).status
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for _, c := range codes {
		switch c {
		case 200:
			won++
		case 412:
		default:
			t.Errorf("concurrent PATCH: %d, want 200 or 412", c)
		}
	}
	if won != 1 {
		t.Errorf("%d concurrent PATCHes won, want 1: %v", won, codes)
	}
}
