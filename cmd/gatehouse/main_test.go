package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// env is a CLI environment over a fresh SQLite database.
type env struct {
	t    *testing.T
	dir  string
	vars map[string]string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	return &env{t: t, dir: dir, vars: map[string]string{
		"GATEHOUSE_DATA_DIR":  dir,
		"GATEHOUSE_LOG_LEVEL": "error",
	}}
}

// result is what one CLI run printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

func (e *env) run(stdin string, args ...string) result {
	e.t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, stdio{in: strings.NewReader(stdin), out: &out, err: &errb},
		func(k string) string { return e.vars[k] })
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// ok runs a command that must succeed.
func (e *env) ok(stdin string, args ...string) string {
	e.t.Helper()
	r := e.run(stdin, args...)
	if r.code != 0 {
		e.t.Fatalf("gatehouse %s: exit %d, stderr %q", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// okJSON runs a command with --json and decodes its output into v.
func (e *env) okJSON(v any, stdin string, args ...string) {
	e.t.Helper()
	out := e.ok(stdin, append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		e.t.Fatalf("gatehouse %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// db opens the SQLite file directly, to check what was (not) written.
func (e *env) db() *sql.DB {
	e.t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(e.dir, "gatehouse.db"))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	return db
}

func (e *env) count(table string) int {
	e.t.Helper()
	var n int
	if err := e.db().QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		e.t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func TestSetupFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	var tenant struct{ ID, Slug string }
	e.okJSON(&tenant, "", "tenant", "create", "--slug", "acme", "--name", "Acme Inc")
	if tenant.Slug != "acme" || tenant.ID == "" {
		t.Fatalf("tenant = %+v", tenant)
	}

	var user struct {
		ID          string
		Username    string
		Roles       []string
		HasPassword bool `json:"has_password"`
	}
	e.okJSON(&user, "correct horse battery\n", "user", "create", "--tenant", "acme", "--username", "Ana",
		"--email", "ana@example.com", "--roles", "admin,agent", "--password-stdin")
	if user.Username != "ana" || !user.HasPassword || strings.Join(user.Roles, ",") != "admin,agent" {
		t.Fatalf("user = %+v", user)
	}

	// Passwords are stored as argon2id, never in the clear.
	var hash string
	if err := e.db().QueryRow("SELECT password_hash FROM users WHERE id = ?", user.ID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$") || strings.Contains(hash, "correct horse") {
		t.Errorf("stored password hash = %q, want an argon2id hash", hash)
	}

	e.okJSON(&user, "", "user", "set-roles", "--tenant", tenant.ID, "--user", "ana@example.com", "--roles", "viewer")
	if strings.Join(user.Roles, ",") != "viewer" {
		t.Errorf("roles after set-roles = %v, want [viewer]", user.Roles)
	}

	var client struct {
		ID          string
		Type        string
		Credentials []struct {
			ClientID string `json:"client_id"`
			Secret   string
		}
	}
	e.okJSON(&client, "", "client", "create", "--tenant", "acme", "--name", "Blog",
		"--redirect-uri", "https://blog.example.com/callback", "--redirect-uri", "http://127.0.0.1:9999/cb",
		"--scopes", "openid profile email offline_access")
	if len(client.Credentials) != 1 || !strings.HasPrefix(client.Credentials[0].Secret, "gth_cs_") {
		t.Fatalf("client credentials = %+v, want one with a gth_cs_ secret", client.Credentials)
	}
	secret := client.Credentials[0].Secret
	clientID := client.Credentials[0].ClientID

	// The secret is shown once: never by show or list, never in the database.
	for _, args := range [][]string{
		{"client", "show", "--tenant", "acme", clientID},
		{"client", "show", "--tenant", "acme", clientID, "--json"},
		{"client", "list", "--tenant", "acme", "--json"},
	} {
		if out := e.ok("", args...); strings.Contains(out, secret) {
			t.Errorf("gatehouse %s printed the secret", strings.Join(args, " "))
		}
	}
	show := e.ok("", "client", "show", "--tenant", "acme", client.ID)
	for _, want := range []string{"http://127.0.0.1:8080/.well-known/openid-configuration", "/oauth/authorize", "/oauth/token", "/oauth/userinfo", "/oauth/jwks.json"} {
		if !strings.Contains(show, want) {
			t.Errorf("client show lacks %q:\n%s", want, show)
		}
	}

	var rotated struct {
		Credentials []struct {
			ClientID string `json:"client_id"`
			Secret   string
			Expires  *string
		}
	}
	e.okJSON(&rotated, "", "client", "rotate-secret", "--tenant", "acme", "--grace", "24h", clientID)
	if len(rotated.Credentials) != 2 {
		t.Fatalf("after rotation, %d credentials, want 2", len(rotated.Credentials))
	}
	newSecrets := 0
	for _, c := range rotated.Credentials {
		switch {
		case c.Secret != "":
			newSecrets++
		case c.ClientID == clientID && c.Expires == nil:
			t.Error("the old credential has no expiry after rotation")
		}
	}
	if newSecrets != 1 {
		t.Errorf("rotation showed %d secrets, want exactly the new one", newSecrets)
	}

	var keyList []struct{ Kid, Purpose, Alg, State string }
	e.okJSON(&keyList, "", "keys", "list")
	active := map[string]string{}
	for _, k := range keyList {
		if k.Purpose == "oauth" && k.State == "active" {
			active[k.Alg] = k.Kid
		}
	}
	if len(active) != 3 {
		t.Fatalf("active oauth keys = %v, want RS256, ES256 and EdDSA", active)
	}
	e.okJSON(&keyList, "", "keys", "rotate")
	for _, k := range keyList {
		if k.Purpose == "oauth" && k.State == "retired" && active[k.Alg] != k.Kid {
			t.Errorf("retired %s key %s was not the active one", k.Alg, k.Kid)
		}
	}

	var events []struct{ Action, Actor string }
	e.okJSON(&events, "", "audit", "list", "--tenant", "acme")
	var actions []string
	for _, ev := range events {
		actions = append(actions, ev.Action)
		if ev.Actor != "cli" {
			t.Errorf("event %s actor = %q, want cli", ev.Action, ev.Actor)
		}
	}
	want := "tenant.create user.create user.roles.set client.create client.secret.rotate"
	if got := strings.Join(actions, " "); got != want {
		t.Errorf("audit actions = %q, want %q", got, want)
	}
	if r := e.run("", "audit", "verify"); r.code != 0 || strings.Contains(r.stdout, "BROKEN") {
		t.Errorf("audit verify on an untouched log: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestAuditVerifyDetectsTampering(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tamper []string // statements run with the tenant id as their argument
	}{
		{"changed", []string{"UPDATE audit_events SET actor = 'someone-else' WHERE seq = 2 AND tenant_id = ?"}},
		{"deleted", []string{"DELETE FROM audit_events WHERE seq = 2 AND tenant_id = ?"}},
		{"reordered", []string{
			"UPDATE audit_events SET seq = -2 WHERE seq = 2 AND tenant_id = ?",
			"UPDATE audit_events SET seq = 2 WHERE seq = 3 AND tenant_id = ?",
			"UPDATE audit_events SET seq = 3 WHERE seq = -2 AND tenant_id = ?",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.ok("", "tenant", "create", "--slug", "acme", "--name", "Acme")
			for _, u := range []string{"ana", "bo", "cy"} {
				e.ok("", "user", "create", "--tenant", "acme", "--username", u)
			}
			var tenantID string
			if err := e.db().QueryRow("SELECT id FROM tenants WHERE slug = 'acme'").Scan(&tenantID); err != nil {
				t.Fatal(err)
			}
			db := e.db()
			for _, stmt := range tt.tamper {
				if _, err := db.Exec(stmt, tenantID); err != nil {
					t.Fatalf("tamper: %v", err)
				}
			}
			r := e.run("", "audit", "verify")
			if r.code == 0 || !strings.Contains(r.stdout, "BROKEN") {
				t.Errorf("audit verify after a %s event: exit %d, stdout %q; want a BROKEN report and a non-zero exit", tt.name, r.code, r.stdout)
			}
		})
	}
}

func TestBadInputWritesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.ok("", "tenant", "create", "--slug", "acme", "--name", "Acme")
	tests := []struct {
		name      string
		stdin     string
		args      []string
		table     string
		wantField string
	}{
		{"tenant with a bad slug", "", []string{"tenant", "create", "--slug", "Not A Slug!", "--name", "X"}, "tenants", "slug"},
		{"duplicate tenant", "", []string{"tenant", "create", "--slug", "acme", "--name", "Again"}, "tenants", "slug"},
		{"user with a short password", "short\n", []string{"user", "create", "--tenant", "acme", "--username", "ana", "--password-stdin"}, "users", "password"},
		{"user with a bad email", "", []string{"user", "create", "--tenant", "acme", "--username", "ana", "--email", "not-an-email"}, "users", "email"},
		{"user in an unknown tenant", "", []string{"user", "create", "--tenant", "nope", "--username", "ana"}, "users", "tenant"},
		{"client with an http redirect", "", []string{"client", "create", "--tenant", "acme", "--name", "X", "--redirect-uri", "http://example.com/cb"}, "clients", "config.redirect_uris[0]"},
		{"client with a planned scope", "", []string{"client", "create", "--tenant", "acme", "--name", "X", "--redirect-uri", "https://x.example.com/cb", "--scopes", "openid contacts.read"}, "clients", "contacts.read"},
		{"client without a name", "", []string{"client", "create", "--tenant", "acme", "--redirect-uri", "https://x.example.com/cb"}, "clients", "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.count(tt.table)
			r := e.run(tt.stdin, tt.args...)
			if r.code == 0 {
				t.Fatalf("exit 0, want non-zero; stdout %q", r.stdout)
			}
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tt.wantField) {
				t.Errorf("stderr = %q, want one line naming %q", r.stderr, tt.wantField)
			}
			if after := e.count(tt.table); after != before {
				t.Errorf("%s rows: %d before, %d after a refused command", tt.table, before, after)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if r := e.run("", "frobnicate"); r.code != exitUsage || !strings.Contains(r.stderr, "unknown command") {
		t.Errorf("unknown command: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := e.run("", "help"); r.code != 0 || !strings.Contains(r.stdout, "client rotate-secret") {
		t.Errorf("help: exit %d, stdout %q", r.code, r.stdout)
	}
	if r := e.run("", "tenant", "create", "--no-such-flag"); r.code != exitUsage {
		t.Errorf("unknown flag: exit %d, want %d", r.code, exitUsage)
	}
	e.vars["GATEHOUSE_ISSUER"] = "http://login.example.com"
	if r := e.run("", "tenant", "list"); r.code == 0 || !strings.Contains(r.stderr, "GATEHOUSE_ISSUER") {
		t.Errorf("plain-http public issuer: exit %d, stderr %q; want a refusal naming GATEHOUSE_ISSUER", r.code, r.stderr)
	}
}

// TestNoSecretsInTheClear reads the database file itself: neither a client
// secret nor a private key may be found in it in a usable form.
func TestNoSecretsInTheClear(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.ok("", "tenant", "create", "--slug", "acme", "--name", "Acme")
	e.ok("correct horse battery\n", "user", "create", "--tenant", "acme", "--username", "ana", "--password-stdin")
	var client struct {
		Credentials []struct{ Secret string }
	}
	e.okJSON(&client, "", "client", "create", "--tenant", "acme", "--name", "Blog", "--redirect-uri", "https://blog.example.com/cb")
	secret := client.Credentials[0].Secret
	e.ok("", "keys", "list")

	rows, err := e.db().Query("SELECT id, sealed_private_key FROM signing_keys")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var kid string
		var sealed []byte
		if err := rows.Scan(&kid, &sealed); err != nil {
			t.Fatal(err)
		}
		n++
		if _, err := x509.ParsePKCS8PrivateKey(sealed); err == nil {
			t.Errorf("key %s: the stored private key parses as PKCS #8: it is not sealed", kid)
		}
	}
	if n == 0 {
		t.Fatal("no signing keys stored")
	}
	// The whole file, WAL included, holds neither the secret, the password
	// nor any PEM block.
	var raw []byte
	for _, name := range []string{"gatehouse.db", "gatehouse.db-wal"} {
		b, err := os.ReadFile(filepath.Join(e.dir, name))
		if err == nil {
			raw = append(raw, b...)
		}
	}
	for _, needle := range []string{secret, "correct horse battery", "PRIVATE KEY"} {
		if bytes.Contains(raw, []byte(needle)) {
			t.Errorf("the database file contains %.12q...", needle)
		}
	}
}
