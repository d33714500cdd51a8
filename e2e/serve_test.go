package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeWithNoConfiguration is the README's first command: with nothing
// configured, serve creates its data directory, a development master key
// (0600, with a warning) and the database, and serves.
func TestServeWithNoConfiguration(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	addr := freeAddr(t)
	// Only the listen address and the matching issuer are set, because the
	// default port may be taken on a shared machine; everything else is the
	// default.
	p := e.with("GATEHOUSE_ISSUER=http://" + addr).serve(addr)

	info, err := os.Stat(filepath.Join(e.dir, "gatehouse-data", "master.key"))
	if err != nil {
		t.Fatalf("development master key: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("master.key mode = %v, want 0600", perm)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "gatehouse-data", "gatehouse.db")); err != nil {
		t.Errorf("SQLite database: %v", err)
	}
	if len(logLines(p.logs.String(), "development key")) == 0 {
		t.Errorf("no warning about the development master key in the log:\n%s", p.logs)
	}

	for _, tt := range []struct {
		path, want string
	}{
		{"/healthz", ""},
		{"/readyz", ""},
		{"/metrics", "gatehouse_http_requests_total"},
		{"/metrics", "process_resident_memory_bytes"},
		{"/.well-known/openid-configuration", `"issuer":"` + p.URL + `"`},
		{"/.well-known/oauth-authorization-server", `"issuer":"` + p.URL + `"`},
		{"/oauth/jwks.json", `"keys"`},
	} {
		code, body := get(t, p.URL+tt.path)
		if code != 200 || !strings.Contains(body, tt.want) {
			t.Errorf("GET %s = %d, body %.200q; want 200 containing %q", tt.path, code, body, tt.want)
		}
	}
	if err := p.stop(t); err != nil {
		t.Errorf("graceful shutdown: %v\n%s", err, p.logs)
	}
}

// TestRestartKeepsKeys checks that signing keys persist: a second start
// publishes the same key ids, unsealed with the same master key.
func TestRestartKeepsKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	addr := freeAddr(t)
	e = e.with("GATEHOUSE_ISSUER=http://"+addr, "GATEHOUSE_MASTER_KEY="+masterKey(t))
	kids := func() []string {
		p := e.serve(addr)
		_, body := get(t, p.URL+"/oauth/jwks.json")
		var jwks struct{ Keys []struct{ Kid string } }
		if err := json.Unmarshal([]byte(body), &jwks); err != nil {
			t.Fatalf("JWKS: %v", err)
		}
		if err := p.stop(t); err != nil {
			t.Fatalf("stop: %v", err)
		}
		var out []string
		for _, k := range jwks.Keys {
			out = append(out, k.Kid)
		}
		return out
	}
	first, second := kids(), kids()
	if len(first) == 0 || strings.Join(first, ",") != strings.Join(second, ",") {
		t.Errorf("JWKS kids changed across a restart:\n first  %v\n second %v", first, second)
	}
	// A different master key cannot unseal them, and says so.
	_, stderr, err := e.with("GATEHOUSE_MASTER_KEY="+masterKey(t)).run("", "keys", "list")
	if err == nil || !strings.Contains(stderr, "master key") {
		t.Errorf("keys list with the wrong master key: err %v, stderr %q; want a failure naming the master key", err, stderr)
	}
}

func TestServeRefusesBadConfiguration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  []string
		want []string // every problem is named at once
	}{
		{"plain http on a public host", []string{"GATEHOUSE_ISSUER=http://login.example.com"}, []string{"GATEHOUSE_ISSUER"}},
		{"several problems", []string{"GATEHOUSE_ISSUER=ftp://x", "GATEHOUSE_LOG_LEVEL=loud", "GATEHOUSE_MASTER_KEY=short"},
			[]string{"GATEHOUSE_ISSUER", "GATEHOUSE_LOG_LEVEL", "GATEHOUSE_MASTER_KEY"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t).with(tt.env...)
			_, stderr, err := e.run("", "serve")
			if err == nil {
				t.Fatal("serve started; want a refusal")
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not name %s", stderr, w)
				}
			}
			if _, err := os.Stat(filepath.Join(e.dir, "gatehouse-data")); err == nil {
				t.Error("a refused start created the data directory")
			}
		})
	}
}
