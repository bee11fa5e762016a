// Package config is the one place settings are read: flags first, then
// environment variables, then defaults. Every subcommand gets the same
// typed, validated Config.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config holds every setting of the service.
type Config struct {
	Addr               string // listen address
	PublicURL          string // base URL for links when behind a proxy; empty: from the request
	DatabaseURL        string // PostgreSQL connection URL
	DatabaseReadURL    string // a hot standby of DatabaseURL for anonymous reads; empty: none
	DatabaseMigrateURL string // a direct (unpooled) URL of DatabaseURL's database for migrations; empty: DatabaseURL
	// DatabaseFrom says where DatabaseURL came from when no setting gave
	// it: the local cluster of this checkout (see localDatabase).
	DatabaseFrom      string
	MetricsAddr       string        // listen address of /metrics; empty: no metrics listener
	ExpensiveRequests int           // expensive requests one process runs at once; more are shed with 503
	DBMaxConns        int           // connection pool size per process
	StatementTimeout  time.Duration // server-side limit on every query
	RequestTimeout    time.Duration // limit on a whole read request
	DefaultLimit      int           // items per page when the client gives no limit
	MaxLimit          int           // larger limits are clamped to this (OGC API rule)
	CountLimit        int           // numberMatched is given up to this many matches; 0: never counted
	MaxBodyBytes      int64         // request body cap
	MaxImportBytes    int64         // body cap of POST /collections/events/import
	IdempotencyTTL    time.Duration // how long an Idempotency-Key replays its first response
	CORSOrigins       []string      // origins whose pages may read cross-origin; "*" for any
	CORSWriteOrigins  []string      // origins whose pages may write cross-origin; none by default
	RateLimit         float64       // requests per second per client (0: no limit)
	RateBurst         int           // requests a client may send at once above the rate
	TrustProxy        bool          // take the client address from X-Forwarded-For (only behind a proxy you run)
	ReadHeaderTimeout time.Duration // slow clients are cut off after this while sending headers
	TileURL           string        // raster basemap template for the map; empty: offline outline only
	TileAttribution   string
	LogLevel          slog.Level
	LogFormat         string // json or text
}

// setting describes one configuration value: its flag, its environment
// variable, default and help. The table below is also what README's
// configuration section lists.
type setting struct {
	flag, env, def, help string
	set                  func(c *Config, v string) error
}

func settings() []setting {
	return []setting{
		{"addr", "EVENTMAP_ADDR", "127.0.0.1:8080", "listen address (use :8080 in containers)", func(c *Config, v string) error {
			if _, _, err := net.SplitHostPort(v); err != nil {
				return fmt.Errorf("not host:port: %v", err)
			}
			c.Addr = v
			return nil
		}},
		{"public-url", "EVENTMAP_PUBLIC_URL", "", "external base URL used in links (e.g. https://events.example.org); empty: taken from each request", func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return errors.New("must be an absolute http(s) URL")
			}
			c.PublicURL = strings.TrimRight(v, "/")
			return nil
		}},
		{"database-url", "DATABASE_URL", "", "PostgreSQL URL (or DATABASE_URL_FILE naming a file that holds it)", func(c *Config, v string) error {
			c.DatabaseURL = v
			return nil
		}},
		{"database-read-url", "DATABASE_READ_URL", "", "URL of a streaming replica (hot standby) of the database for anonymous reads; token holders and writes keep the primary (or DATABASE_READ_URL_FILE)", func(c *Config, v string) error {
			c.DatabaseReadURL = v
			return nil
		}},
		{"database-migrate-url", "DATABASE_MIGRATE_URL", "", "URL that migrations use, straight to PostgreSQL, when DATABASE_URL goes through a transaction-pooling PgBouncer (migrations hold a session lock); empty: DATABASE_URL (or DATABASE_MIGRATE_URL_FILE)", func(c *Config, v string) error {
			c.DatabaseMigrateURL = v
			return nil
		}},
		{"db-max-conns", "EVENTMAP_DB_MAX_CONNS", "20", "connection pool size per process; keep replicas × this below max_connections", intSetter(1, 1000, func(c *Config, n int) { c.DBMaxConns = n })},
		{"statement-timeout", "EVENTMAP_STATEMENT_TIMEOUT", "5s", "PostgreSQL statement_timeout on every query", durationSetter(func(c *Config, d time.Duration) { c.StatementTimeout = d })},
		{"request-timeout", "EVENTMAP_REQUEST_TIMEOUT", "30s", "limit on one read request, streaming included", durationSetter(func(c *Config, d time.Duration) { c.RequestTimeout = d })},
		{"default-limit", "EVENTMAP_DEFAULT_LIMIT", "100", "features per page when the client sends no limit", intSetter(1, 1_000_000, func(c *Config, n int) { c.DefaultLimit = n })},
		{"max-limit", "EVENTMAP_MAX_LIMIT", "10000", "largest page; larger limits are clamped", intSetter(1, 1_000_000, func(c *Config, n int) { c.MaxLimit = n })},
		{"count-limit", "EVENTMAP_COUNT_LIMIT", "100000", "items pages say numberMatched when at most this many events match (counting stops here, so it stays cheap); 0 never counts", intSetter(0, 100_000_000, func(c *Config, n int) { c.CountLimit = n })},
		{"max-body-bytes", "EVENTMAP_MAX_BODY_BYTES", "1048576", "largest request body in bytes", intSetter(1, 1<<30, func(c *Config, n int) { c.MaxBodyBytes = int64(n) })},
		{"max-import-bytes", "EVENTMAP_MAX_IMPORT_BYTES", "268435456", "largest file POST /collections/events/import accepts, in bytes (the CLI import has no limit)", int64Setter(1, 1<<40, func(c *Config, n int64) { c.MaxImportBytes = n })},
		{"idempotency-ttl", "EVENTMAP_IDEMPOTENCY_TTL", "24h", "how long a POST's Idempotency-Key replays the first response; after that the key is forgotten", durationSetter(func(c *Config, d time.Duration) { c.IdempotencyTTL = d })},
		{"cors-origins", "EVENTMAP_CORS_ORIGINS", "*", "comma-separated origins whose web pages may read the API (* for any: the data is public)", originsSetter(func(c *Config, o []string) { c.CORSOrigins = o })},
		{"cors-write-origins", "EVENTMAP_CORS_WRITE_ORIGINS", "", "comma-separated origins whose web pages may write (POST/PUT/PATCH/DELETE); empty: writes only from non-browser clients and this server's own pages", originsSetter(func(c *Config, o []string) { c.CORSWriteOrigins = o })},
		{"rate-limit", "EVENTMAP_RATE_LIMIT", "50", "requests per second per client address, per replica (0 turns the limit off); excess gets 429 with Retry-After", func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1e6 {
				return errors.New("must be a number from 0 to 1000000")
			}
			c.RateLimit = f
			return nil
		}},
		{"rate-burst", "EVENTMAP_RATE_BURST", "100", "requests a client may send at once before the rate applies (a map page load is about 15)", intSetter(1, 1_000_000, func(c *Config, n int) { c.RateBurst = n })},
		{"trust-proxy", "EVENTMAP_TRUST_PROXY", "false", "true behind a reverse proxy you run: the client address for rate limits and logs comes from X-Forwarded-For, which clients could otherwise forge", func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return errors.New("must be true or false")
			}
			c.TrustProxy = b
			return nil
		}},
		{"expensive-requests", "EVENTMAP_EXPENSIVE_REQUESTS", "4", "expensive requests (imports, whole-collection downloads, CSV pages, CQL2 filters, text search, as_of lists, clusters and histograms that scan) one process runs at once; more get 503 with Retry-After at once, so cheap reads keep the rest of the pool; below db-max-conns", intSetter(1, 1000, func(c *Config, n int) { c.ExpensiveRequests = n })},
		{"metrics-addr", "EVENTMAP_METRICS_ADDR", "127.0.0.1:9464", "listen address of the Prometheus /metrics endpoint, apart from the API so it is not public; empty turns it off", func(c *Config, v string) error {
			if v != "" {
				if _, _, err := net.SplitHostPort(v); err != nil {
					return fmt.Errorf("not host:port: %v", err)
				}
			}
			c.MetricsAddr = v
			return nil
		}},
		{"read-header-timeout", "EVENTMAP_READ_HEADER_TIMEOUT", "10s", "a client that has not sent its request headers by then is disconnected (slow-loris)", durationSetter(func(c *Config, d time.Duration) { c.ReadHeaderTimeout = d })},
		{"tile-url", "EVENTMAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "raster tile URL template for the map; empty for the bundled offline outline only", func(c *Config, v string) error {
			c.TileURL = v
			return nil
		}},
		{"tile-attribution", "EVENTMAP_TILE_ATTRIBUTION", `&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors`, "attribution shown for the tile layer", func(c *Config, v string) error {
			c.TileAttribution = v
			return nil
		}},
		{"log-level", "EVENTMAP_LOG_LEVEL", "info", "debug, info, warn or error", func(c *Config, v string) error {
			return c.LogLevel.UnmarshalText([]byte(v))
		}},
		{"log-format", "EVENTMAP_LOG_FORMAT", "text", "text or json", func(c *Config, v string) error {
			if v != "text" && v != "json" {
				return errors.New("must be text or json")
			}
			c.LogFormat = v
			return nil
		}},
	}
}

// Load reads the settings for one subcommand. Flags override environment
// variables, which override defaults. It returns the remaining arguments.
//
// lookupEnv is os.LookupEnv in production: a variable set to "" counts as
// set (EVENTMAP_TILE_URL= turns the tile layer off).
func Load(name string, args []string, lookupEnv func(string) (string, bool), stderr io.Writer) (Config, []string, error) {
	fs := flag.NewFlagSet("eventmap "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	values := map[string]*string{}
	for _, s := range settings() {
		v := s.def
		if env, ok := lookupEnv(s.env); ok {
			v = env
		}
		values[s.flag] = fs.String(s.flag, v, s.help+" [$"+s.env+"]")
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, nil, err
	}
	// URLs carry passwords: each may come from a file (a Docker or
	// Kubernetes secret) when neither its flag nor its variable is set.
	for flagName, env := range map[string]string{"database-url": "DATABASE_URL", "database-read-url": "DATABASE_READ_URL", "database-migrate-url": "DATABASE_MIGRATE_URL"} {
		if *values[flagName] != "" {
			continue
		}
		if path, _ := lookupEnv(env + "_FILE"); path != "" {
			b, err := os.ReadFile(path)
			if err != nil {
				return Config{}, nil, fmt.Errorf("config: %s_FILE: %w", env, err)
			}
			*values[flagName] = strings.TrimSpace(string(b))
		}
	}
	var c Config
	for _, s := range settings() {
		if err := s.set(&c, *values[s.flag]); err != nil {
			return Config{}, nil, fmt.Errorf("config: -%s / %s = %q: %w", s.flag, s.env, *values[s.flag], err)
		}
	}
	if c.DefaultLimit > c.MaxLimit {
		return Config{}, nil, fmt.Errorf("config: default limit %d is above the maximum %d", c.DefaultLimit, c.MaxLimit)
	}
	if c.ExpensiveRequests >= c.DBMaxConns {
		return Config{}, nil, fmt.Errorf("config: EVENTMAP_EXPENSIVE_REQUESTS (%d) must be below EVENTMAP_DB_MAX_CONNS (%d), so cheap reads keep connections of their own", c.ExpensiveRequests, c.DBMaxConns)
	}
	if c.DatabaseURL == "" {
		if url, from, ok := localDatabase(lookupEnv); ok {
			c.DatabaseURL, c.DatabaseFrom = url, from
			fmt.Fprintf(stderr, "eventmap: DATABASE_URL is not set: using the local PostGIS of this checkout (%s), %s\n", from, redact(url))
		} else if from != "" {
			c.DatabaseFrom = from
		}
	}
	return c, fs.Args(), nil
}

// RequireDatabase reports a clear error when no database is configured.
func (c Config) RequireDatabase() error {
	if c.DatabaseURL == "" {
		if c.DatabaseFrom != "" {
			return fmt.Errorf("config: no database: DATABASE_URL is not set and the local PostGIS of this checkout (%s) is not running; start it with `make db` (or `make run`), or set DATABASE_URL", c.DatabaseFrom)
		}
		return errors.New("config: no database: set DATABASE_URL (or DATABASE_URL_FILE, or -database-url); `make run` starts a local PostGIS for you")
	}
	return nil
}

// MigrateURL is the URL migrations run through: DatabaseMigrateURL when
// set (a direct connection past a pooler), else DatabaseURL.
func (c Config) MigrateURL() string {
	if c.DatabaseMigrateURL != "" {
		return c.DatabaseMigrateURL
	}
	return c.DatabaseURL
}

func intSetter(min, max int, set func(*Config, int)) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < min || n > max {
			return fmt.Errorf("must be an integer from %d to %d", min, max)
		}
		set(c, n)
		return nil
	}
}

func int64Setter(min, max int64, set func(*Config, int64)) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < min || n > max {
			return fmt.Errorf("must be an integer from %d to %d", min, max)
		}
		set(c, n)
		return nil
	}
}

// originsSetter reads a comma-separated list of origins: "*" alone, or
// scheme://host[:port] values as browsers send them in Origin.
func originsSetter(set func(*Config, []string)) func(*Config, string) error {
	return func(c *Config, v string) error {
		var out []string
		for _, o := range strings.Split(v, ",") {
			o = strings.TrimSpace(o)
			if o == "" {
				continue
			}
			if o != "*" {
				u, err := url.Parse(o)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
					return fmt.Errorf("%q is not an origin such as https://example.org", o)
				}
			}
			out = append(out, strings.TrimRight(o, "/"))
		}
		set(c, out)
		return nil
	}
}

func durationSetter(set func(*Config, time.Duration)) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return errors.New("must be a positive duration such as 5s or 1m")
		}
		set(c, d)
		return nil
	}
}
