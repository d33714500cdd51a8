package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// Environment variable names. Error messages name settings by these.
const (
	EnvConfig = "GATEHOUSE_CONFIG"

	envIssuer            = "GATEHOUSE_ISSUER"
	envAddr              = "GATEHOUSE_ADDR"
	envDataDir           = "GATEHOUSE_DATA_DIR"
	envDatabase          = "GATEHOUSE_DATABASE"
	envMasterKey         = "GATEHOUSE_MASTER_KEY"
	envMasterKeyFile     = "GATEHOUSE_MASTER_KEY_FILE"
	envLogLevel          = "GATEHOUSE_LOG_LEVEL"
	envLogFormat         = "GATEHOUSE_LOG_FORMAT"
	envTrustedProxies    = "GATEHOUSE_TRUSTED_PROXIES"
	envShutdownTimeout   = "GATEHOUSE_SHUTDOWN_TIMEOUT"
	envSweepInterval     = "GATEHOUSE_SWEEP_INTERVAL"
	envReadHeaderTimeout = "GATEHOUSE_READ_HEADER_TIMEOUT"
	envReadTimeout       = "GATEHOUSE_READ_TIMEOUT"
	envWriteTimeout      = "GATEHOUSE_WRITE_TIMEOUT"
	envIdleTimeout       = "GATEHOUSE_IDLE_TIMEOUT"
	envMaxBodyBytes      = "GATEHOUSE_MAX_BODY_BYTES"
	envTLSCertFile       = "GATEHOUSE_TLS_CERT_FILE"
	envTLSKeyFile        = "GATEHOUSE_TLS_KEY_FILE"
	envAccessTokenAlg    = "GATEHOUSE_ACCESS_TOKEN_ALG"
	envDebugAddr         = "GATEHOUSE_DEBUG_ADDR"
)

// maxConfigFileSize bounds the configuration file; a real one is a few
// hundred bytes.
const maxConfigFileSize = 1 << 20

// setting describes one configuration setting in all its sources.
type setting struct {
	// key names the setting in the JSON file; the flag is the same name
	// with hyphens.
	key string
	env string
	// noFlag keeps a secret off the command line, where other users of the
	// machine can read it in the process list.
	noFlag bool
	usage  string
	// set parses a value into c. Its error message must not repeat a
	// secret value.
	set func(c *Config, v string) error
	// show formats the current value for printing, with secrets hidden.
	show func(c *Config) string
}

func (s setting) flagName() string { return strings.ReplaceAll(s.key, "_", "-") }

// settings lists every setting, in the order String prints them.
var settings = []setting{
	str("issuer", envIssuer, "the platform issuer: the public https URL relying parties see as iss",
		func(c *Config) *string { return &c.Issuer }),
	str("addr", envAddr, "the address to listen on, host:port",
		func(c *Config) *string { return &c.Addr }),
	str("data_dir", envDataDir, "the directory for the SQLite database and the development master key",
		func(c *Config) *string { return &c.DataDir }),
	{
		key: "database", env: envDatabase,
		usage: "a postgres:// URL, sqlite:PATH or a file path (default: DATA_DIR/gatehouse.db)",
		set:   func(c *Config, v string) error { c.Database = v; return nil },
		show:  func(c *Config) string { return c.RedactedDatabase() },
	},
	{
		key: "master_key", env: envMasterKey, noFlag: true,
		usage: "the master key: base64 of 32 random bytes (openssl rand -base64 32)",
		set:   func(c *Config, v string) error { c.MasterKey = Secret(v); return nil },
		show:  func(c *Config) string { return c.MasterKey.String() },
	},
	str("master_key_file", envMasterKeyFile,
		"a file holding the base64 master key (or set "+envMasterKey+"; default: a development key in DATA_DIR/master.key)",
		func(c *Config) *string { return &c.MasterKeyFile }),
	str("log_level", envLogLevel, "debug, info, warn or error",
		func(c *Config) *string { return &c.LogLevel }),
	str("log_format", envLogFormat, "json or text",
		func(c *Config) *string { return &c.LogFormat }),
	{
		key: "trusted_proxies", env: envTrustedProxies,
		usage: "comma-separated networks (CIDR) of reverse proxies whose forwarded headers are believed",
		set: func(c *Config, v string) error {
			p, err := parsePrefixes(v)
			if err != nil {
				return err
			}
			c.TrustedProxies = p
			return nil
		},
		show: func(c *Config) string {
			parts := make([]string, len(c.TrustedProxies))
			for i, p := range c.TrustedProxies {
				parts[i] = p.String()
			}
			return strings.Join(parts, ",")
		},
	},
	duration("shutdown_timeout", envShutdownTimeout, "how long a graceful shutdown waits for requests in flight",
		func(c *Config) *time.Duration { return &c.ShutdownTimeout }),
	duration("read_header_timeout", envReadHeaderTimeout, "how long a client may take to send request headers",
		func(c *Config) *time.Duration { return &c.ReadHeaderTimeout }),
	duration("read_timeout", envReadTimeout, "how long a client may take to send a whole request",
		func(c *Config) *time.Duration { return &c.ReadTimeout }),
	duration("write_timeout", envWriteTimeout, "how long writing a response may take",
		func(c *Config) *time.Duration { return &c.WriteTimeout }),
	duration("idle_timeout", envIdleTimeout, "how long an idle keep-alive connection stays open",
		func(c *Config) *time.Duration { return &c.IdleTimeout }),
	duration("sweep_interval", envSweepInterval, "how often expired codes, sessions and tokens are deleted",
		func(c *Config) *time.Duration { return &c.SweepInterval }),
	{
		key: "max_body_bytes", env: envMaxBodyBytes, usage: "the largest request body accepted, in bytes",
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return fmt.Errorf("%q is not a whole number of bytes", v)
			}
			c.MaxBodyBytes = n
			return nil
		},
		show: func(c *Config) string { return strconv.FormatInt(c.MaxBodyBytes, 10) },
	},
	str("tls_cert_file", envTLSCertFile, "a PEM certificate chain, to serve TLS directly (with tls-key-file)",
		func(c *Config) *string { return &c.TLSCertFile }),
	str("tls_key_file", envTLSKeyFile, "the PEM private key of tls-cert-file",
		func(c *Config) *string { return &c.TLSKeyFile }),
	str("access_token_alg", envAccessTokenAlg, "the signature algorithm of access tokens: ES256, RS256 or EdDSA",
		func(c *Config) *string { return &c.AccessTokenAlg }),
	str("debug_addr", envDebugAddr, "a loopback host:port to serve the Go profiler (net/http/pprof) on; empty: off",
		func(c *Config) *string { return &c.DebugAddr }),
}

func str(key, env, usage string, field func(*Config) *string) setting {
	return setting{
		key: key, env: env, usage: usage,
		set:  func(c *Config, v string) error { *field(c) = v; return nil },
		show: func(c *Config) string { return *field(c) },
	}
}

func duration(key, env, usage string, field func(*Config) *time.Duration) setting {
	return setting{
		key: key, env: env, usage: usage,
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%q is not a duration such as 30s or 2m", v)
			}
			*field(c) = d
			return nil
		},
		show: func(c *Config) string { return field(c).String() },
	}
}

// parsePrefixes parses comma-separated networks; a bare address stands for
// itself alone (/32 or /128). Every bad item is named.
func parsePrefixes(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	var bad []string
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(item); err == nil {
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		bad = append(bad, strconv.Quote(item))
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%s: not a network such as 10.0.0.0/8 or an address", strings.Join(bad, ", "))
	}
	return out, nil
}

// Load builds the configuration of a command whose only arguments are
// settings flags: defaults, then the JSON file named by --config or
// GATEHOUSE_CONFIG, then the environment read through getenv (an empty
// value counts as unset), then the flags in args. It validates the result
// and reports every problem at once. With -h or --help it returns an error
// wrapping flag.ErrHelp; PrintUsage describes the settings.
func Load(args []string, getenv func(string) string) (*Config, error) {
	fs := flag.NewFlagSet("gatehouse", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	load := Flags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("flags: %w", err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("flags: unexpected argument %q", fs.Arg(0))
	}
	return load(getenv)
}

// Flags defines the settings flags, and --config, on fs, for a command that
// has flags of its own. Call the returned function after fs.Parse: it loads
// the configuration as Load describes.
func Flags(fs *flag.FlagSet) func(getenv func(string) string) (*Config, error) {
	configFile := fs.String("config", "", "a JSON configuration file (or set "+EnvConfig+")")
	// Flag values are kept as given and applied after the file and the
	// environment, whatever their order on the command line.
	values := map[string]string{}
	for _, s := range settings {
		if s.noFlag {
			continue
		}
		fs.Func(s.flagName(), s.usage+" ["+s.env+"]", func(v string) error {
			values[s.key] = v
			return nil
		})
	}
	return func(getenv func(string) string) (*Config, error) {
		c := Default()
		var errs []error
		path := *configFile
		if path == "" {
			path = getenv(EnvConfig)
		}
		if path != "" {
			errs = append(errs, c.applyFile(path))
		}
		for _, s := range settings {
			if v := getenv(s.env); v != "" {
				errs = append(errs, apply(c, s, v, "from the environment"))
			}
		}
		for _, s := range settings {
			if v, ok := values[s.key]; ok {
				errs = append(errs, apply(c, s, v, "from --"+s.flagName()))
			}
		}
		c.normalize()
		errs = append(errs, c.Validate())
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
		return c, nil
	}
}

func apply(c *Config, s setting, v, source string) error {
	if err := s.set(c, v); err != nil {
		return fmt.Errorf("%s: %w (%s)", s.env, err, source)
	}
	return nil
}

// applyFile reads a JSON object of settings. Values may be strings,
// numbers or booleans; trusted_proxies may also be a list. An unknown key
// is an error, so a misspelled setting is not silently ignored.
func (c *Config) applyFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigFileSize+1))
	if err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	if len(data) > maxConfigFileSize {
		return fmt.Errorf("config file %s: larger than %d bytes", path, maxConfigFileSize)
	}
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return fmt.Errorf("config file %s: not a JSON object: %w", path, err)
	}
	byKey := make(map[string]setting, len(settings))
	for _, s := range settings {
		byKey[s.key] = s
	}
	var errs []error
	// Apply in table order, so the result does not depend on map order.
	for _, s := range settings {
		msg, ok := raw[s.key]
		if !ok {
			continue
		}
		v, err := fileValue(msg)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w (from %s, key %q)", s.env, err, path, s.key))
			continue
		}
		if v == nil {
			continue
		}
		errs = append(errs, apply(c, s, *v, "from "+path))
	}
	for k := range raw {
		if _, ok := byKey[k]; !ok {
			errs = append(errs, fmt.Errorf("config file %s: unknown setting %q", path, k))
		}
	}
	return errors.Join(errs...)
}

// fileValue turns a JSON value into the text a flag or variable would
// hold; nil for null.
func fileValue(msg json.RawMessage) (*string, error) {
	dec := json.NewDecoder(bytes.NewReader(msg))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var s string
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		s = v
	case json.Number:
		s = v.String()
	case bool:
		s = strconv.FormatBool(v)
	case []any:
		parts := make([]string, len(v))
		for i, item := range v {
			str, ok := item.(string)
			if !ok {
				return nil, errors.New("a list must hold strings only")
			}
			parts[i] = str
		}
		s = strings.Join(parts, ",")
	default:
		return nil, errors.New("must be a string, number, boolean or list of strings")
	}
	return &s, nil
}

// PrintUsage writes one line per setting: its flag, environment variable,
// configuration file key and default.
func PrintUsage(w io.Writer) {
	d := Default()
	fmt.Fprintf(w, "  --config FILE\n        %s; a JSON object whose keys are given below\n", EnvConfig)
	for _, s := range settings {
		flagPart := "--" + s.flagName()
		if s.noFlag {
			flagPart = "(no flag: environment or file only)"
		}
		fmt.Fprintf(w, "  %s\n        %s, file key %q", flagPart, s.env, s.key)
		if def := s.show(d); def != "" && s.key != "database" {
			fmt.Fprintf(w, " (default %s)", def)
		}
		if s.usage != "" {
			fmt.Fprintf(w, "\n        %s", s.usage)
		}
		fmt.Fprintln(w)
	}
}
