package config_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/config"
)

// env returns a getenv over a fixed map, so tests never read the real
// environment.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// writeFile writes content to a fresh file in a temporary directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// problems splits a joined error into its messages.
func problems(err error) []string {
	if err == nil {
		return nil
	}
	var out []string
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		out = append(out, e.Error())
	}
	walk(err)
	return out
}

// testKey is a valid base64 master key.
var testKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, err := config.Load(nil, env(nil))
	if err != nil {
		t.Fatalf("Load with nothing set: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Issuer", c.Issuer, "http://127.0.0.1:8080"},
		{"Addr", c.Addr, "127.0.0.1:8080"},
		{"DataDir", c.DataDir, "./gatehouse-data"},
		{"DatabaseKind", c.DatabaseKind(), config.DatabaseSQLite},
		{"DatabaseSource", c.DatabaseSource(), filepath.Join("gatehouse-data", "gatehouse.db")},
		{"DevMasterKeyPath", c.DevMasterKeyPath(), filepath.Join("gatehouse-data", "master.key")},
		{"LogLevel", c.LogLevel, "info"},
		{"LogFormat", c.LogFormat, "json"},
		{"ShutdownTimeout", c.ShutdownTimeout, 15 * time.Second},
		{"ReadHeaderTimeout", c.ReadHeaderTimeout, 10 * time.Second},
		{"MaxBodyBytes", c.MaxBodyBytes, int64(1 << 20)},
		{"TLS", c.TLS(), false},
		{"AccessTokenAlg", c.AccessTokenAlg, "ES256"},
		{"DebugAddr", c.DebugAddr, ""},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s: got %v, want %v", ck.name, ck.got, ck.want)
		}
	}
}

func TestLoadPrecedence(t *testing.T) {
	t.Parallel()
	file := writeFile(t, "gatehouse.json", `{
		"issuer": "https://file.example.com",
		"addr": ":9001",
		"log_level": "debug",
		"log_format": "text",
		"max_body_bytes": 2048,
		"trusted_proxies": ["10.0.0.0/8", "192.168.1.1"]
	}`)
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantIssuer string
		wantAddr   string
		wantLevel  string
	}{
		{
			name:       "file over defaults",
			args:       []string{"--config", file},
			wantIssuer: "https://file.example.com", wantAddr: ":9001", wantLevel: "debug",
		},
		{
			name:       "file named by the environment",
			env:        map[string]string{config.EnvConfig: file},
			wantIssuer: "https://file.example.com", wantAddr: ":9001", wantLevel: "debug",
		},
		{
			name:       "environment over file",
			args:       []string{"--config", file},
			env:        map[string]string{"GATEHOUSE_ISSUER": "https://env.example.com", "GATEHOUSE_LOG_LEVEL": "WARN"},
			wantIssuer: "https://env.example.com", wantAddr: ":9001", wantLevel: "warn",
		},
		{
			name:       "flags over environment, whatever their position",
			args:       []string{"--issuer", "https://flag.example.com/", "--config", file},
			env:        map[string]string{"GATEHOUSE_ISSUER": "https://env.example.com", "GATEHOUSE_ADDR": ":9002"},
			wantIssuer: "https://flag.example.com", wantAddr: ":9002", wantLevel: "debug",
		},
		{
			name:       "an empty variable counts as unset",
			args:       []string{"--config", file},
			env:        map[string]string{"GATEHOUSE_ISSUER": ""},
			wantIssuer: "https://file.example.com", wantAddr: ":9001", wantLevel: "debug",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Load(tt.args, env(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if c.Issuer != tt.wantIssuer {
				t.Errorf("Issuer: got %q, want %q", c.Issuer, tt.wantIssuer)
			}
			if c.Addr != tt.wantAddr {
				t.Errorf("Addr: got %q, want %q", c.Addr, tt.wantAddr)
			}
			if c.LogLevel != tt.wantLevel {
				t.Errorf("LogLevel: got %q, want %q", c.LogLevel, tt.wantLevel)
			}
			if c.MaxBodyBytes != 2048 {
				t.Errorf("MaxBodyBytes: got %d, want 2048 from the file", c.MaxBodyBytes)
			}
			wantProxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.1/32")}
			if !slices.Equal(c.TrustedProxies, wantProxies) {
				t.Errorf("TrustedProxies: got %v, want %v", c.TrustedProxies, wantProxies)
			}
		})
	}
}

func TestIssuer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		issuer  string
		want    string // the normalized issuer when valid
		wantErr string // a fragment of the message when invalid
	}{
		{name: "https", issuer: "https://login.example.com", want: "https://login.example.com"},
		{name: "https with port", issuer: "https://login.example.com:8443", want: "https://login.example.com:8443"},
		{name: "one trailing slash is stripped", issuer: "https://login.example.com/", want: "https://login.example.com"},
		{name: "http on 127.0.0.1", issuer: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080"},
		{name: "http on another loopback address", issuer: "http://127.10.0.3", want: "http://127.10.0.3"},
		{name: "http on ::1", issuer: "http://[::1]:8080", want: "http://[::1]:8080"},
		{name: "http on localhost", issuer: "http://localhost:8080", want: "http://localhost:8080"},
		{name: "http elsewhere", issuer: "http://login.example.com", wantErr: "travel in the clear"},
		{name: "http on a private address", issuer: "http://10.0.0.5:8080", wantErr: "Use an https issuer"},
		{name: "two trailing slashes", issuer: "https://login.example.com//", wantErr: "must not have a path"},
		{name: "path", issuer: "https://example.com/auth", wantErr: "must not have a path"},
		{name: "query", issuer: "https://login.example.com?x=1", wantErr: "must not have a query"},
		{name: "fragment", issuer: "https://login.example.com#top", wantErr: "must not have a fragment"},
		{name: "user info", issuer: "https://me:pw@login.example.com", wantErr: "user name or password"},
		{name: "other scheme", issuer: "ftp://login.example.com", wantErr: "must use https"},
		{name: "relative", issuer: "login.example.com", wantErr: "absolute URL"},
		{name: "bad port", issuer: "https://login.example.com:99999", wantErr: "invalid port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Load([]string{"--issuer", tt.issuer}, env(nil))
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("Load(%q): got no error, want one containing %q", tt.issuer, tt.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "GATEHOUSE_ISSUER: ") || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Load(%q): got %q, want GATEHOUSE_ISSUER: ...%s...", tt.issuer, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load(%q): %v", tt.issuer, err)
			}
			if c.Issuer != tt.want {
				t.Errorf("Issuer: got %q, want %q", c.Issuer, tt.want)
			}
		})
	}
}

// TestValidateReportsEveryProblem checks that one Validate names every bad
// setting, not just the first.
func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	c := config.Default()
	c.Issuer = "http://login.example.com"
	c.Addr = "no-port"
	c.DataDir = ""
	c.Database = "sqlite:"
	c.MasterKey = "c2hvcnQ="
	c.MasterKeyFile = ""
	c.LogLevel = "verbose"
	c.LogFormat = "xml"
	c.ShutdownTimeout = 0
	c.IdleTimeout = -time.Second
	c.SweepInterval = 0
	c.MaxBodyBytes = 10
	c.TLSCertFile = "cert.pem"
	got := problems(c.Validate())
	want := []string{
		"GATEHOUSE_ISSUER: ",
		"GATEHOUSE_ADDR: ",
		"GATEHOUSE_DATA_DIR: ",
		"GATEHOUSE_DATABASE: ",
		"GATEHOUSE_MASTER_KEY: ",
		"GATEHOUSE_LOG_LEVEL: ",
		"GATEHOUSE_LOG_FORMAT: ",
		"GATEHOUSE_SHUTDOWN_TIMEOUT: ",
		"GATEHOUSE_IDLE_TIMEOUT: ",
		"GATEHOUSE_SWEEP_INTERVAL: ",
		"GATEHOUSE_MAX_BODY_BYTES: ",
		"GATEHOUSE_TLS_CERT_FILE: ",
	}
	if len(got) != len(want) {
		t.Errorf("got %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, w) }) {
			t.Errorf("no problem reported for %s; got:\n%s", strings.TrimSuffix(w, ": "), strings.Join(got, "\n"))
		}
	}
}

// TestLoadReportsParseAndValidationProblemsTogether checks that values that
// do not parse and values that parse but are invalid come out of one Load.
func TestLoadReportsParseAndValidationProblemsTogether(t *testing.T) {
	t.Parallel()
	_, err := config.Load([]string{"--read-timeout", "soon", "--log-format", "yaml"}, env(map[string]string{
		"GATEHOUSE_TRUSTED_PROXIES": "10.0.0.0/8,not-a-network,300.1.1.1",
		"GATEHOUSE_MAX_BODY_BYTES":  "lots",
		"GATEHOUSE_ISSUER":          "https://example.com/path",
	}))
	got := problems(err)
	want := []string{
		`GATEHOUSE_READ_TIMEOUT: "soon" is not a duration such as 30s or 2m (from --read-timeout)`,
		`GATEHOUSE_TRUSTED_PROXIES: "not-a-network", "300.1.1.1": not a network such as 10.0.0.0/8 or an address (from the environment)`,
		`GATEHOUSE_MAX_BODY_BYTES: "lots" is not a whole number of bytes (from the environment)`,
		`GATEHOUSE_LOG_FORMAT: must be json or text, got "yaml"`,
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("missing problem %q; got:\n%s", w, strings.Join(got, "\n"))
		}
	}
	if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, "GATEHOUSE_ISSUER: must not have a path") }) {
		t.Errorf("missing the issuer problem; got:\n%s", strings.Join(got, "\n"))
	}
	if len(got) != len(want)+1 {
		t.Errorf("got %d problems, want %d:\n%s", len(got), len(want)+1, strings.Join(got, "\n"))
	}
}

func TestValidateSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		modify  func(c *config.Config)
		wantErr string // "" when valid
	}{
		{"defaults", func(c *config.Config) {}, ""},
		{"listen on every interface", func(c *config.Config) { c.Addr = ":8080" }, ""},
		{"listen on an IPv6 address", func(c *config.Config) { c.Addr = "[::1]:8080" }, ""},
		{"address without a port", func(c *config.Config) { c.Addr = "127.0.0.1" }, "GATEHOUSE_ADDR: must be host:port"},
		{"address with a bad port", func(c *config.Config) { c.Addr = ":http-ish" }, "GATEHOUSE_ADDR: has an invalid port"},
		{"every log level", func(c *config.Config) { c.LogLevel = "error" }, ""},
		{"text logs", func(c *config.Config) { c.LogFormat = "text" }, ""},
		{"log level", func(c *config.Config) { c.LogLevel = "trace" }, `GATEHOUSE_LOG_LEVEL: must be debug, info, warn or error, got "trace"`},
		{"TLS with both files", func(c *config.Config) { c.TLSCertFile, c.TLSKeyFile = "c.pem", "k.pem" }, ""},
		{"TLS key without certificate", func(c *config.Config) { c.TLSKeyFile = "k.pem" }, "GATEHOUSE_TLS_CERT_FILE: set both"},
		{"valid master key", func(c *config.Config) { c.MasterKey = config.Secret(testKey) }, ""},
		{"master key not base64", func(c *config.Config) { c.MasterKey = "!!!" }, "GATEHOUSE_MASTER_KEY: master key must be base64"},
		{"master key and key file", func(c *config.Config) { c.MasterKey, c.MasterKeyFile = config.Secret(testKey), "k" }, "GATEHOUSE_MASTER_KEY: set either"},
		{"read header timeout zero", func(c *config.Config) { c.ReadHeaderTimeout = 0 }, "GATEHOUSE_READ_HEADER_TIMEOUT: must be a positive duration"},
		{"write timeout negative", func(c *config.Config) { c.WriteTimeout = -1 }, "GATEHOUSE_WRITE_TIMEOUT: must be a positive duration"},
		{"body limit too large", func(c *config.Config) { c.MaxBodyBytes = 1 << 30 }, "GATEHOUSE_MAX_BODY_BYTES: must be between"},
		{"issuer with trailing slash", func(c *config.Config) { c.Issuer = "https://login.example.com/" }, "GATEHOUSE_ISSUER: must not end with a slash"},
		{"issuer missing", func(c *config.Config) { c.Issuer = "" }, "GATEHOUSE_ISSUER: is required"},
		{"RS256 access tokens", func(c *config.Config) { c.AccessTokenAlg = "RS256" }, ""},
		{"EdDSA access tokens", func(c *config.Config) { c.AccessTokenAlg = "EdDSA" }, ""},
		{"HMAC access tokens", func(c *config.Config) { c.AccessTokenAlg = "HS256" }, `GATEHOUSE_ACCESS_TOKEN_ALG: must be one of RS256, ES256, EdDSA, got "HS256"`},
		{"no access token algorithm", func(c *config.Config) { c.AccessTokenAlg = "" }, "GATEHOUSE_ACCESS_TOKEN_ALG: must be one of"},
		{"profiler on loopback", func(c *config.Config) { c.DebugAddr = "127.0.0.1:6060" }, ""},
		{"profiler on every interface", func(c *config.Config) { c.DebugAddr = ":6060" }, "GATEHOUSE_DEBUG_ADDR: must be a loopback address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := config.Default()
			tt.modify(c)
			err := c.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: got %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate: got %v, want an error containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("Validate: the error %q contains the master key", err)
			}
		})
	}
}

// TestDebugAddr holds the profiler to loopback addresses: a profile shows
// memory contents, so it must never be reachable from another machine.
func TestDebugAddr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:6060", true},
		{"127.10.20.30:6060", true},
		{"[::1]:6060", true},
		{"localhost:6060", true},
		{"127.0.0.1:0", true},
		{"[::ffff:127.0.0.1]:6060", true},
		{":6060", false},
		{"0.0.0.0:6060", false},
		{"[::]:6060", false},
		{"10.0.0.1:6060", false},
		{"192.168.1.10:6060", false},
		{"[fe80::1%eth0]:6060", false},
		{"example.com:6060", false},
		{"localhost.example.com:6060", false},
		{"127.0.0.1", false},
		{"127.0.0.1:port", false},
		{"127.0.0.1:70000", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			t.Parallel()
			msg := config.CheckDebugAddr(tt.addr)
			if got := msg == ""; got != tt.ok {
				t.Fatalf("CheckDebugAddr(%q): got %q, want accepted=%v", tt.addr, msg, tt.ok)
			}
			c, err := config.Load(nil, env(map[string]string{"GATEHOUSE_DEBUG_ADDR": tt.addr}))
			if tt.ok {
				if err != nil {
					t.Fatalf("Load: got %v, want nil", err)
				}
				if c.DebugAddr != tt.addr {
					t.Errorf("DebugAddr: got %q, want %q", c.DebugAddr, tt.addr)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "GATEHOUSE_DEBUG_ADDR") {
				t.Fatalf("Load: got %v, want a GATEHOUSE_DEBUG_ADDR error", err)
			}
		})
	}
}

func TestDatabase(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		database     string
		wantKind     string
		wantSource   string
		wantRedacted string
		wantErr      string
	}{
		{
			name: "default", database: "",
			wantKind: "sqlite", wantSource: filepath.Join("data", "gatehouse.db"),
			wantRedacted: "sqlite:" + filepath.Join("data", "gatehouse.db"),
		},
		{
			name: "sqlite prefix", database: "sqlite:/var/lib/gh/db.sqlite",
			wantKind: "sqlite", wantSource: "/var/lib/gh/db.sqlite", wantRedacted: "sqlite:/var/lib/gh/db.sqlite",
		},
		{
			name: "plain path", database: "state/gh.db",
			wantKind: "sqlite", wantSource: "state/gh.db", wantRedacted: "sqlite:state/gh.db",
		},
		{
			name: "postgres URL", database: "postgres://gh:s3cret-pw@db.internal:5432/gh?sslmode=verify-full",
			wantKind: "postgres", wantSource: "postgres://gh:s3cret-pw@db.internal:5432/gh?sslmode=verify-full",
			wantRedacted: "postgres://gh:redacted@db.internal:5432/gh?sslmode=verify-full",
		},
		{
			name: "postgresql URL with password parameter", database: "postgresql://db.internal/gh?user=gh&password=s3cret-pw",
			wantKind: "postgres", wantSource: "postgresql://db.internal/gh?user=gh&password=s3cret-pw",
			wantRedacted: "postgresql://db.internal/gh?password=redacted&user=gh",
		},
		{
			name: "postgres URL in upper case", database: "POSTGRES://gh@db.internal/gh",
			wantKind: "postgres", wantSource: "POSTGRES://gh@db.internal/gh", wantRedacted: "postgres://gh@db.internal/gh",
		},
		{name: "sqlite without path", database: "sqlite:", wantKind: "sqlite", wantErr: "must be followed by a file path"},
		{name: "key=value string", database: "host=db password=s3cret-pw", wantKind: "sqlite", wantErr: "use a postgres:// URL"},
		{name: "other URL scheme", database: "mysql://gh:s3cret-pw@db/gh", wantKind: "sqlite", wantErr: "must be a postgres:// or postgresql:// URL"},
		{name: "unparseable postgres URL", database: "postgres://gh:s3cret-pw@db:port/gh", wantKind: "postgres", wantErr: "not a valid PostgreSQL URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := config.Default()
			c.DataDir = "data"
			c.Database = tt.database
			if got := c.DatabaseKind(); got != tt.wantKind {
				t.Errorf("DatabaseKind: got %q, want %q", got, tt.wantKind)
			}
			err := c.Validate()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Validate: got %v, want an error containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret-pw") {
					t.Errorf("Validate: the error %q contains the password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if got := c.DatabaseSource(); got != tt.wantSource {
				t.Errorf("DatabaseSource: got %q, want %q", got, tt.wantSource)
			}
			if got := c.RedactedDatabase(); got != tt.wantRedacted {
				t.Errorf("RedactedDatabase: got %q, want %q", got, tt.wantRedacted)
			}
		})
	}
}

// TestSecretsNeverPrinted prints a configuration every way a careless
// caller might and checks that neither the master key nor the database
// password appears.
func TestSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	c := config.Default()
	c.MasterKey = config.Secret(testKey)
	c.Database = "postgres://gh:s3cret-pw@db.internal/gh?password=s3cret-pw"
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "config", c, "value", *c, "key", c.MasterKey)
	asJSON, err := json.Marshal(struct{ Key config.Secret }{c.MasterKey})
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"String":     c.String(),
		"%v pointer": fmt.Sprintf("%v", c),
		"%+v value":  fmt.Sprintf("%+v", *c),
		"%#v key":    fmt.Sprintf("%#v", c.MasterKey),
		"%s key":     fmt.Sprintf("%s", c.MasterKey),
		"slog":       logged.String(),
		"json":       string(asJSON),
	}
	for name, out := range outputs {
		if strings.Contains(out, testKey) || strings.Contains(out, "s3cret-pw") {
			t.Errorf("%s leaks a secret: %s", name, out)
		}
	}
	if !strings.Contains(c.String(), "master_key=[hidden]") {
		t.Errorf("String: got %q, want it to show master_key=[hidden]", c.String())
	}
	if !strings.Contains(logged.String(), `"database":"postgres://gh:redacted@db.internal/gh?password=redacted"`) {
		t.Errorf("slog: got %s, want the redacted database", logged.String())
	}
}

func TestLoadMasterKey(t *testing.T) {
	t.Parallel()
	keyFile := writeFile(t, "master.key", testKey+"\n")
	openFile := writeFile(t, "open.key", testKey)
	if err := os.Chmod(openFile, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		modify  func(c *config.Config)
		wantDev bool
		wantKey bool // the key is testKey
		wantErr string
	}{
		{name: "from the setting", modify: func(c *config.Config) { c.MasterKey = config.Secret(testKey) }, wantKey: true},
		{name: "from a file", modify: func(c *config.Config) { c.MasterKeyFile = keyFile }, wantKey: true},
		{name: "development key", modify: func(c *config.Config) {}, wantDev: true},
		{
			name:    "named file missing",
			modify:  func(c *config.Config) { c.MasterKeyFile = filepath.Join(t.TempDir(), "absent.key") },
			wantErr: "GATEHOUSE_MASTER_KEY_FILE: ",
		},
		{name: "file readable by others", modify: func(c *config.Config) { c.MasterKeyFile = openFile }, wantErr: "chmod 600"},
		{name: "bad setting", modify: func(c *config.Config) { c.MasterKey = "c2hvcnQ=" }, wantErr: "GATEHOUSE_MASTER_KEY: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := config.Default()
			c.DataDir = t.TempDir()
			tt.modify(c)
			key, dev, err := c.LoadMasterKey()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("LoadMasterKey: got %v, want an error containing %q", err, tt.wantErr)
				}
				if _, statErr := os.Stat(c.MasterKeyFile); c.MasterKeyFile != "" && statErr == nil && tt.name == "named file missing" {
					t.Errorf("LoadMasterKey created the named key file %s", c.MasterKeyFile)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadMasterKey: %v", err)
			}
			if len(key) != 32 {
				t.Errorf("key: got %d bytes, want 32", len(key))
			}
			if dev != tt.wantDev {
				t.Errorf("development: got %v, want %v", dev, tt.wantDev)
			}
			if tt.wantKey && !bytes.Equal(key, bytes.Repeat([]byte{7}, 32)) {
				t.Errorf("key: got another key than the one configured")
			}
			if tt.wantDev {
				info, err := os.Stat(c.DevMasterKeyPath())
				if err != nil {
					t.Fatalf("development key file: %v", err)
				}
				if perm := info.Mode().Perm(); perm != 0o600 {
					t.Errorf("development key file mode: got %v, want 0600", perm)
				}
				again, dev2, err := c.LoadMasterKey()
				if err != nil || !dev2 || !bytes.Equal(again, key) {
					t.Errorf("second LoadMasterKey: got (%d bytes, %v, %v), want the same development key", len(again), dev2, err)
				}
			}
		})
	}
}

func TestConfigFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		check   func(t *testing.T, c *config.Config)
		wantErr []string
	}{
		{
			name:    "every kind of value",
			content: `{"issuer":"https://login.example.com","max_body_bytes":4096,"shutdown_timeout":"1m","trusted_proxies":"10.1.0.0/16","tls_cert_file":null,"master_key":"` + testKey + `"}`,
			check: func(t *testing.T, c *config.Config) {
				if c.ShutdownTimeout != time.Minute || c.MaxBodyBytes != 4096 || c.MasterKey.Reveal() != testKey {
					t.Errorf("got shutdown %v, body %d, want 1m and 4096 and the key", c.ShutdownTimeout, c.MaxBodyBytes)
				}
				if want := []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}; !slices.Equal(c.TrustedProxies, want) {
					t.Errorf("TrustedProxies: got %v, want %v", c.TrustedProxies, want)
				}
			},
		},
		{
			name:    "unknown and bad keys are all reported",
			content: `{"isuer":"https://x.example.com","addr":{"host":"x"},"trusted_proxies":[1,2],"log_level":"loud"}`,
			wantErr: []string{`unknown setting "isuer"`, "GATEHOUSE_ADDR: must be a string", "GATEHOUSE_TRUSTED_PROXIES: a list must hold strings only", "GATEHOUSE_LOG_LEVEL: must be"},
		},
		{name: "not an object", content: `["issuer"]`, wantErr: []string{"not a JSON object"}},
		{name: "broken JSON", content: `{"issuer": `, wantErr: []string{"not a JSON object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, "config.json", tt.content)
			c, err := config.Load([]string{"--config", path}, env(nil))
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				tt.check(t, c)
				return
			}
			for _, w := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Load: got %v, want an error containing %q", err, w)
				}
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		t.Parallel()
		_, err := config.Load(nil, env(map[string]string{config.EnvConfig: filepath.Join(t.TempDir(), "none.json")}))
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Load: got %v, want an error wrapping os.ErrNotExist", err)
		}
	})
}

func TestFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		wantErr string
		isHelp  bool
	}{
		{name: "help", args: []string{"-h"}, isHelp: true},
		{name: "unknown flag", args: []string{"--colour", "red"}, wantErr: "flag provided but not defined"},
		{name: "no master key flag", args: []string{"--master-key", testKey}, wantErr: "flag provided but not defined"},
		{name: "positional argument", args: []string{"--addr", ":1", "extra"}, wantErr: `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Load(tt.args, env(nil))
			if tt.isHelp {
				if !errors.Is(err, flag.ErrHelp) {
					t.Errorf("Load(%q): got %v, want flag.ErrHelp", tt.args, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Load(%q): got %v, want an error containing %q", tt.args, err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), testKey) {
				t.Errorf("Load: the error %q contains the master key", err)
			}
		})
	}
	t.Run("a command's own flags", func(t *testing.T) {
		t.Parallel()
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		verbose := fs.Bool("verbose", false, "")
		load := config.Flags(fs)
		if err := fs.Parse([]string{"--verbose", "--addr", ":7000"}); err != nil {
			t.Fatal(err)
		}
		c, err := load(env(nil))
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		if !*verbose || c.Addr != ":7000" {
			t.Errorf("got verbose=%v addr=%q, want true and :7000", *verbose, c.Addr)
		}
	})
}

func TestPrintUsage(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	config.PrintUsage(&b)
	for _, want := range []string{"--issuer", "GATEHOUSE_ISSUER", "GATEHOUSE_MASTER_KEY,", "--tls-key-file", "(default 15s)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, b.String())
		}
	}
}

func TestNewLogger(t *testing.T) {
	t.Parallel()
	tests := []struct {
		format, level string
		wantPrefix    string
		wantDebug     bool
	}{
		{"json", "info", `{"time":`, false},
		{"text", "debug", `time=`, true},
	}
	for _, tt := range tests {
		t.Run(tt.format+"/"+tt.level, func(t *testing.T) {
			t.Parallel()
			c := config.Default()
			c.LogFormat, c.LogLevel = tt.format, tt.level
			var b bytes.Buffer
			l := c.NewLogger(&b)
			l.Debug("quiet")
			l.Info("hello")
			if !strings.HasPrefix(b.String(), tt.wantPrefix) {
				t.Errorf("got %q, want it to start with %q", b.String(), tt.wantPrefix)
			}
			if got := strings.Contains(b.String(), "quiet"); got != tt.wantDebug {
				t.Errorf("debug line logged: got %v, want %v", got, tt.wantDebug)
			}
		})
	}
}
