package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
)

// Database kinds returned by Config.DatabaseKind.
const (
	DatabaseSQLite   = "sqlite"
	DatabasePostgres = "postgres"
)

// Log levels and formats accepted by LogLevel and LogFormat.
const (
	LogFormatJSON = "json"
	LogFormatText = "text"
)

// Bounds on MaxBodyBytes: a SAML response or a large admin request fits in
// the lower one, and the upper one keeps a single request from pinning a
// lot of memory.
const (
	minBodyBytes = 1 << 10
	maxBodyBytes = 64 << 20
)

// Config is the configuration of one Gatehouse process. Build it with Load,
// or start from Default in tests; call Validate before use when it was not
// made by Load.
type Config struct {
	// Issuer is the platform issuer: the public https URL (scheme and host,
	// no path) that relying parties see as `iss`. Tenant issuers are derived
	// from it. GATEHOUSE_ISSUER.
	Issuer string
	// Addr is the listen address, host:port. GATEHOUSE_ADDR.
	Addr string
	// DataDir holds the SQLite database and the development master key by
	// default. GATEHOUSE_DATA_DIR.
	DataDir string
	// Database selects the store: a postgres:// or postgresql:// URL for
	// PostgreSQL, "sqlite:PATH" or a plain path for SQLite, or empty for
	// the SQLite file DataDir/gatehouse.db. It may hold a password: print
	// RedactedDatabase, never this field. GATEHOUSE_DATABASE.
	Database string
	// MasterKey is the base64 encoding of the 32-byte key that seals
	// private keys and connector secrets. GATEHOUSE_MASTER_KEY.
	MasterKey Secret
	// MasterKeyFile names a file holding MasterKey instead.
	// GATEHOUSE_MASTER_KEY_FILE.
	MasterKeyFile string
	// LogLevel is debug, info, warn or error. GATEHOUSE_LOG_LEVEL.
	LogLevel string
	// LogFormat is json or text. GATEHOUSE_LOG_FORMAT.
	LogFormat string
	// TrustedProxies are the networks whose forwarded headers
	// (Forwarded, X-Forwarded-*) are believed. GATEHOUSE_TRUSTED_PROXIES.
	TrustedProxies []netip.Prefix
	// ShutdownTimeout bounds how long a graceful shutdown waits for
	// requests in flight. GATEHOUSE_SHUTDOWN_TIMEOUT.
	ShutdownTimeout time.Duration
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout are the
	// HTTP server's timeouts (GATEHOUSE_READ_HEADER_TIMEOUT, ...).
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// SweepInterval is how often expired codes, requests, sessions and
	// tokens are deleted. GATEHOUSE_SWEEP_INTERVAL.
	SweepInterval time.Duration
	// MaxBodyBytes limits the size of a request body.
	// GATEHOUSE_MAX_BODY_BYTES.
	MaxBodyBytes int64
	// TLSCertFile and TLSKeyFile, both or neither, make the server speak
	// TLS itself. GATEHOUSE_TLS_CERT_FILE, GATEHOUSE_TLS_KEY_FILE.
	TLSCertFile string
	TLSKeyFile  string
	// AccessTokenAlg signs the JWT access tokens: ES256 (the default, the
	// cheapest signature to make and to check), RS256 or EdDSA.
	// GATEHOUSE_ACCESS_TOKEN_ALG.
	AccessTokenAlg string
	// DebugAddr, when set, serves Go's profiler (net/http/pprof) on this
	// loopback host:port, apart from the public listener. Profiles show
	// memory contents, secrets included, so any address that is not
	// loopback is refused. Empty (the default) serves nothing.
	// GATEHOUSE_DEBUG_ADDR.
	DebugAddr string
}

// Default returns the configuration used when nothing is set: a
// development setup on the loopback interface with SQLite in
// ./gatehouse-data.
func Default() *Config {
	return &Config{
		Issuer:            "http://127.0.0.1:8080",
		Addr:              "127.0.0.1:8080",
		DataDir:           "./gatehouse-data",
		LogLevel:          "info",
		LogFormat:         LogFormatJSON,
		ShutdownTimeout:   15 * time.Second,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		SweepInterval:     time.Minute,
		MaxBodyBytes:      1 << 20,
		AccessTokenAlg:    gatehouse.AlgES256,
	}
}

// Secret is a setting that must never be printed. Its String, GoString,
// LogValue and MarshalJSON all hide the value, so a Config printed with %v
// or logged by accident does not leak it.
type Secret string

const hidden = "[hidden]"

// redacted replaces a password inside a URL; unlike hidden it needs no
// escaping there.
const redacted = "redacted"

// String hides the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return hidden
}

// GoString hides the value from %#v.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// LogValue hides the value from slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON hides the value from encoding/json.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(s.String())), nil }

// Reveal returns the secret value itself.
func (s Secret) Reveal() string { return string(s) }

// normalize applies the forgiving rewrites: surrounding spaces, one
// trailing slash on the issuer, case of enumerations.
func (c *Config) normalize() {
	c.Issuer = strings.TrimSpace(c.Issuer)
	if strings.HasSuffix(c.Issuer, "/") && !strings.HasSuffix(c.Issuer, "//") {
		c.Issuer = strings.TrimSuffix(c.Issuer, "/")
	}
	c.Addr = strings.TrimSpace(c.Addr)
	c.Database = strings.TrimSpace(c.Database)
	c.LogLevel = strings.ToLower(strings.TrimSpace(c.LogLevel))
	c.LogFormat = strings.ToLower(strings.TrimSpace(c.LogFormat))
	c.AccessTokenAlg = strings.TrimSpace(c.AccessTokenAlg)
	c.DebugAddr = strings.TrimSpace(c.DebugAddr)
}

// Validate reports every invalid setting at once, joined with errors.Join.
// Each message starts with the setting's environment variable name
// ("GATEHOUSE_ISSUER: ..."), which names it whatever its source was. It
// reads no files.
func (c *Config) Validate() error {
	var errs []error
	add := func(env, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", env, fmt.Sprintf(format, args...)))
	}
	if msg := checkIssuer(c.Issuer); msg != "" {
		add(envIssuer, "%s", msg)
	}
	if msg := checkAddr(c.Addr); msg != "" {
		add(envAddr, "%s", msg)
	}
	if strings.TrimSpace(c.DataDir) == "" {
		add(envDataDir, "is required")
	}
	if msg := checkDatabase(c.Database); msg != "" {
		add(envDatabase, "%s", msg)
	}
	switch {
	case c.MasterKey != "" && c.MasterKeyFile != "":
		add(envMasterKey, "set either %s or %s, not both", envMasterKey, envMasterKeyFile)
	case c.MasterKey != "":
		// ParseMasterKey's messages never repeat the key.
		if _, err := secret.ParseMasterKey(c.MasterKey.Reveal()); err != nil {
			add(envMasterKey, "%v (generate one with: openssl rand -base64 32)", err)
		}
	}
	if _, ok := logLevels[c.LogLevel]; !ok {
		add(envLogLevel, "must be debug, info, warn or error, got %q", c.LogLevel)
	}
	if c.LogFormat != LogFormatJSON && c.LogFormat != LogFormatText {
		add(envLogFormat, "must be json or text, got %q", c.LogFormat)
	}
	for _, p := range c.TrustedProxies {
		if !p.IsValid() {
			add(envTrustedProxies, "contains an invalid network")
		}
	}
	for _, d := range []struct {
		env string
		v   time.Duration
	}{
		{envShutdownTimeout, c.ShutdownTimeout},
		{envReadHeaderTimeout, c.ReadHeaderTimeout},
		{envReadTimeout, c.ReadTimeout},
		{envWriteTimeout, c.WriteTimeout},
		{envIdleTimeout, c.IdleTimeout},
		{envSweepInterval, c.SweepInterval},
	} {
		if d.v <= 0 {
			add(d.env, "must be a positive duration such as 30s, got %v", d.v)
		}
	}
	if c.MaxBodyBytes < minBodyBytes || c.MaxBodyBytes > maxBodyBytes {
		add(envMaxBodyBytes, "must be between %d and %d bytes, got %d", minBodyBytes, maxBodyBytes, c.MaxBodyBytes)
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		add(envTLSCertFile, "set both %s and %s, or neither", envTLSCertFile, envTLSKeyFile)
	}
	if !slices.Contains(gatehouse.SigningAlgorithms(), c.AccessTokenAlg) {
		add(envAccessTokenAlg, "must be one of %s, got %q", strings.Join(gatehouse.SigningAlgorithms(), ", "), c.AccessTokenAlg)
	}
	if c.DebugAddr != "" {
		if msg := CheckDebugAddr(c.DebugAddr); msg != "" {
			add(envDebugAddr, "%s", msg)
		}
	}
	return errors.Join(errs...)
}

var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug,
	"info":  slog.LevelInfo,
	"warn":  slog.LevelWarn,
	"error": slog.LevelError,
}

// checkIssuer returns why s cannot be the platform issuer, or "".
func checkIssuer(s string) string {
	if s == "" {
		return "is required, for example https://login.example.com"
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Opaque != "" || u.Host == "" {
		return "must be an absolute URL such as https://login.example.com"
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return "must use https"
	case u.User != nil:
		return "must not contain a user name or password"
	case u.RawQuery != "" || u.ForceQuery:
		return "must not have a query"
	case u.Fragment != "" || strings.Contains(s, "#"):
		return "must not have a fragment"
	case u.Path == "/":
		return "must not end with a slash"
	case u.Path != "":
		// Tenant issuers live at {issuer}/t/{slug}, and RFC 8414 inserts
		// the well-known segment before the path: both are simplest and
		// least surprising at the root of a host.
		return "must not have a path: serve Gatehouse at the root of a host name (https://login.example.com)"
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "has an invalid port"
		}
	}
	if u.Scheme == "http" && !gatehouse.IsLoopbackHost(u.Hostname()) {
		return "plain http is allowed only on a loopback host (127.0.0.1, ::1, localhost): anywhere else, " +
			"tokens, codes and passwords would travel in the clear. Use an https issuer, and terminate TLS " +
			"in a reverse proxy in front of Gatehouse or here with GATEHOUSE_TLS_CERT_FILE and GATEHOUSE_TLS_KEY_FILE"
	}
	return ""
}

// checkAddr returns why s cannot be a listen address, or "".
func checkAddr(s string) string {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "must be host:port, such as 127.0.0.1:8080 or :8080"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "has an invalid port"
	}
	if host != "" && strings.ContainsAny(host, " /") {
		return "has an invalid host"
	}
	return ""
}

// CheckDebugAddr returns why addr cannot be the profiler's listen
// address, or "": it must be host:port with a port, and the host a
// loopback IP address (127.0.0.0/8, ::1) or localhost. An empty host
// would listen on every interface, which is refused like any other
// address that is not loopback.
func CheckDebugAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "must be host:port on a loopback address, such as 127.0.0.1:6060"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "has an invalid port"
	}
	if host == "localhost" {
		return ""
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" || !ip.Unmap().IsLoopback() {
		return "must be a loopback address such as 127.0.0.1:6060: the profiler shows memory contents, secrets included"
	}
	return ""
}

// checkDatabase returns why s cannot select a database, or "". The
// messages never contain s: a connection URL may hold a password.
func checkDatabase(s string) string {
	kind, source := databaseKind(s)
	switch kind {
	case DatabasePostgres:
		u, err := url.Parse(source)
		if err != nil {
			return "is not a valid PostgreSQL URL (postgres://user:password@host:5432/dbname)"
		}
		if u.Fragment != "" {
			return "must not have a fragment"
		}
	default:
		if strings.HasPrefix(s, "sqlite:") && source == "" {
			return `"sqlite:" must be followed by a file path`
		}
		// A key=value connection string would otherwise be taken for a
		// file name.
		if strings.Contains(source, "=") && strings.Contains(source, " ") {
			return "looks like a PostgreSQL key=value string: use a postgres:// URL instead"
		}
		if strings.Contains(source, "://") {
			return "must be a postgres:// or postgresql:// URL, sqlite:PATH or a file path"
		}
	}
	return ""
}

func databaseKind(s string) (kind, source string) {
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		return DatabasePostgres, s
	case strings.HasPrefix(lower, "sqlite:"):
		return DatabaseSQLite, s[len("sqlite:"):]
	default:
		return DatabaseSQLite, s
	}
}

// DatabaseKind returns DatabaseSQLite or DatabasePostgres.
func (c *Config) DatabaseKind() string {
	kind, _ := databaseKind(c.Database)
	return kind
}

// DatabaseSource returns what the store opens: the SQLite file path, or the
// PostgreSQL connection URL. The latter may contain a password: pass it to
// the driver, never to a log or an error message.
func (c *Config) DatabaseSource() string {
	if c.Database == "" {
		return filepath.Join(c.DataDir, "gatehouse.db")
	}
	_, source := databaseKind(c.Database)
	return source
}

// RedactedDatabase returns the database setting in a form safe to print:
// the password of a PostgreSQL URL is replaced, in the user information
// and in password query parameters alike.
func (c *Config) RedactedDatabase() string {
	if c.DatabaseKind() == DatabaseSQLite {
		return "sqlite:" + c.DatabaseSource()
	}
	return RedactDSN(c.Database)
}

// RedactDSN hides the passwords in a PostgreSQL connection URL. A URL that
// does not parse is hidden entirely, since where its password is cannot be
// known.
func RedactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://" + redacted
	}
	q := u.Query()
	changed := false
	for k := range q {
		if strings.Contains(strings.ToLower(k), "password") {
			q.Set(k, redacted)
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), redacted)
	}
	return u.String()
}

// DevMasterKeyPath is where the development master key lives when neither
// MasterKey nor MasterKeyFile is set.
func (c *Config) DevMasterKeyPath() string { return filepath.Join(c.DataDir, "master.key") }

// LoadMasterKey returns the 32-byte master key: from MasterKey, from
// MasterKeyFile (which must exist), or else from the development key file
// DevMasterKeyPath, created on first use. development reports the last
// case, so the caller can warn that sealed data is only as safe as that
// file. Errors never contain the key.
func (c *Config) LoadMasterKey() (key []byte, development bool, err error) {
	switch {
	case c.MasterKey != "":
		key, err := secret.ParseMasterKey(c.MasterKey.Reveal())
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", envMasterKey, err)
		}
		return key, false, nil
	case c.MasterKeyFile != "":
		// An operator who names a file means that key: silently generating
		// a new one would make every sealed value unreadable.
		if _, err := os.Stat(c.MasterKeyFile); errors.Is(err, fs.ErrNotExist) {
			return nil, false, fmt.Errorf("%s: %s does not exist", envMasterKeyFile, c.MasterKeyFile)
		}
		key, _, err := secret.LoadOrCreateKeyFile(c.MasterKeyFile)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", envMasterKeyFile, err)
		}
		return key, false, nil
	default:
		key, _, err := secret.LoadOrCreateKeyFile(c.DevMasterKeyPath())
		if err != nil {
			return nil, false, fmt.Errorf("development master key: %w", err)
		}
		return key, true, nil
	}
}

// SlogLevel returns LogLevel as a slog.Level (info when invalid).
func (c *Config) SlogLevel() slog.Level {
	if l, ok := logLevels[c.LogLevel]; ok {
		return l
	}
	return slog.LevelInfo
}

// NewLogger returns a logger writing to w in LogFormat at LogLevel.
func (c *Config) NewLogger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.SlogLevel()}
	if c.LogFormat == LogFormatText {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// TLS reports whether the server should speak TLS itself.
func (c *Config) TLS() bool { return c.TLSCertFile != "" && c.TLSKeyFile != "" }

// String prints every setting as key=value, with the master key and any
// database password hidden.
func (c Config) String() string {
	var b strings.Builder
	for i, s := range settings {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s.key)
		b.WriteByte('=')
		b.WriteString(s.show(&c))
	}
	return b.String()
}

// LogValue logs every setting as a group, with secrets hidden.
func (c Config) LogValue() slog.Value {
	attrs := make([]slog.Attr, len(settings))
	for i, s := range settings {
		attrs[i] = slog.String(s.key, s.show(&c))
	}
	return slog.GroupValue(attrs...)
}
