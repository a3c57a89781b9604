package main

import (
	"net"
	"os"
	"strings"
	"testing"

	"lobbyline/syncer/centre/centredb"
)

// configCases are config files; their texts double as fuzz seeds. want is
// "" for a valid config, else a part of the error that names the key.
// TLS files are paths relative to this package's directory, where tests
// run.
var configCases = []struct {
	name, text, want string
}{
	{"empty is the defaults", "", ""},
	{"every key", `listen = ":9000"
store = "/var/lib/lobbyline-central/central.db"
max_in_flight = 8
tls_cert = "config.go"
tls_key = "main.go"
`, ""},
	{"postgres", `store = "postgres://lobbyline:secret@db.example/lobbyline?sslmode=verify-full"`, ""},
	{"sqlite prefix", `store = "sqlite:central.db"`, ""},
	{"unknown key", `lisen = ":9000"`, "unknown key lisen"},
	{"unknown table", "[tls]\ncert = \"a\"\n", "unknown key tls"},
	{"listen without port", `listen = "127.0.0.1"`, "listen"},
	{"listen port too big", `listen = "127.0.0.1:99999"`, "listen"},
	{"listen named port", `listen = "localhost:http"`, "listen"},
	{"listen empty", `listen = ""`, "listen"},
	{"max_in_flight zero", `max_in_flight = 0`, "max_in_flight"},
	{"max_in_flight huge", `max_in_flight = 1000000`, "max_in_flight"},
	{"max_in_flight text", `max_in_flight = "many"`, "max_in_flight"},
	{"cert without key", `tls_cert = "config.go"`, "tls_cert and tls_key"},
	{"key without cert", `tls_key = "config.go"`, "tls_cert and tls_key"},
	{"cert missing", "tls_cert = \"missing.pem\"\ntls_key = \"main.go\"\n", `tls_cert "missing.pem": no such file`},
	{"key missing", "tls_cert = \"main.go\"\ntls_key = \"missing.key\"\n", `tls_key "missing.key": no such file`},
	{"cert is a directory", "tls_cert = \".\"\ntls_key = \"main.go\"\n", "tls_cert"},
	{"other scheme", `store = "mysql://db/lobbyline"`, "store must be a SQLite file path or a postgres:// URL"},
	{"bad postgres url", `store = "postgres://u:p@db:port/x"`, "store is not a valid postgres:// URL"},
	{"purge at", `purge_at = "02:30"`, ""},
	{"purge off", `purge_at = "off"`, ""},
	{"purge at noon-ish", `purge_at = "3pm"`, "purge_at"},
	{"store with space", `store = " central.db"`, "store has space"},
	{"syntax", "listen = \n", "line 1"},
	{"admin on loopback", `admin_listen = "127.0.0.1:8471"`, ""},
	{"admin on localhost", `admin_listen = "localhost:8471"`, ""},
	{"admin on ipv6 loopback", `admin_listen = "[::1]:8471"`, ""},
	{"admin on the network with tls", "admin_listen = \":8471\"\ntls_cert = \"config.go\"\ntls_key = \"main.go\"\n", ""},
	{"admin on the network without tls", `admin_listen = ":8471"`, `admin_listen ":8471" is not a loopback address`},
	{"admin on a lan address without tls", `admin_listen = "10.0.0.5:8471"`, "not a loopback address"},
	{"admin without port", `admin_listen = "127.0.0.1"`, "admin_listen"},
	{"metrics token", `metrics_token = "q3Jz0c1bW9fQm2n5Yt8Lx4Vr7Pk6Hs2Ge1Da0Fc9Ub8="`, ""},
	{"metrics token too short", `metrics_token = "secret"`, "metrics_token must be at least 32"},
	{"metrics token with a space", `metrics_token = "q3Jz0c1bW9fQm2n5Yt8Lx4Vr7Pk6Hs2 Ge1Da0Fc9Ub8="`, "metrics_token must be printable"},
	{"admin on the api's address", "listen = \"127.0.0.1:9000\"\nadmin_listen = \"127.0.0.1:9000\"\n", "must differ from listen"},
}

func TestParseConfig(t *testing.T) {
	for _, tc := range configCases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig(tc.text)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want error containing %q, got %v (config %+v)", tc.want, err, c)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("error repeats a password: %v", err)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c, err := ParseConfig("")
	if err != nil || c != DefaultConfig() || c.Listen != "127.0.0.1:8470" || c.MaxInFlight != 64 || c.Store != "" {
		t.Fatalf("empty config: %+v, %v", c, err)
	}
	// The documented sample says the same as DefaultConfig.
	sample, err := os.ReadFile("default.toml")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := ParseConfig(string(sample)); err != nil || c != DefaultConfig() {
		t.Fatalf("default.toml: %+v, %v; DefaultConfig: %+v", c, err, DefaultConfig())
	}
}

func TestBadPasswordURLIsNotRepeated(t *testing.T) {
	_, err := ParseConfig(`store = "postgres://u:s3cret@db:port/x"`)
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("got %v", err)
	}
	if got := redact("postgres://u:s3cret@db/x?password=other&sslmode=disable"); strings.Contains(got, "s3cret") || strings.Contains(got, "other") {
		t.Fatalf("redact: %s", got)
	}
}

func FuzzParseConfig(f *testing.F) {
	for _, tc := range configCases {
		f.Add(tc.text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := ParseConfig(text)
		if err != nil {
			return
		}
		// Whatever parses must be something serve can use.
		if err := c.Validate(); err != nil {
			t.Fatalf("parsed but invalid: %v", err)
		}
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			t.Fatalf("listen %q: %v", c.Listen, err)
		}
		if c.MaxInFlight < 1 || (c.TLSCert == "") != (c.TLSKey == "") {
			t.Fatalf("accepted %+v", c)
		}
		if c.Store != "" && !centredb.IsPostgres(c.Store) && strings.Contains(c.Store, "://") {
			t.Fatalf("accepted store %q", c.Store)
		}
	})
}
