package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"eventmap/config"
	"eventmap/store"
)

const usage = `usage: eventmap <command> [flags]

commands:
  serve          apply pending migrations, then serve the API and the map
  migrate        up | down | status: manage the database schema
  demo-data      load the sample events (idempotent)
  import         import ACLED CSV, GeoJSON or NDJSON files (updates what an earlier import brought)
  export         write the events as ACLED CSV, GeoJSON or NDJSON, streamed
  token          create | list | revoke: API tokens for writing and for restricted events
  aggregates     rebuild: recount the map's clusters and histogram from the events
  healthcheck    exit 0 if the local server answers /healthz (for container health checks)

Run "eventmap <command> -h" for the flags; each flag also has an environment variable.
`

// env is how the program sees its environment; tests pass their own.
type env struct {
	lookupEnv func(string) (string, bool)
	stdout    io.Writer
	stderr    io.Writer
}

func run(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	e := env{lookupEnv: lookupEnv, stdout: stdout, stderr: stderr}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, e, rest)
	case "migrate":
		return migrate(ctx, e, rest)
	case "demo-data":
		return demoData(ctx, e, rest)
	case "import":
		return importCmd(ctx, e, rest)
	case "export":
		return exportCmd(ctx, e, rest)
	case "token":
		return token(ctx, e, rest)
	case "aggregates":
		return aggregates(ctx, e, rest)
	case "healthcheck":
		return healthcheck(ctx, e, rest)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openMigrated is openDB for commands that work on a fresh database
// before the server has ever run: it applies pending migrations first
// (under the same advisory lock serve uses).
func openMigrated(ctx context.Context, cfg config.Config, e env) (*store.DB, error) {
	db, err := openDB(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := migrateUp(ctx, cfg, newLogger(cfg, e.stderr)); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// migrateUp applies pending migrations to db's database, over a small
// pool of its own: without statement_timeout, since creating PostGIS or
// an index on a large table takes longer than any request may; and with
// DATABASE_MIGRATE_URL set, straight to PostgreSQL, since goose's
// advisory lock and the served-features rebuild hold session locks,
// which a transaction-pooling PgBouncer would hand from one server
// connection to another (and leave held).
func migrateUp(ctx context.Context, cfg config.Config, log *slog.Logger) (int, error) {
	db, err := openMigrationDB(ctx, cfg)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	m, err := db.NewMigrator(log)
	if err != nil {
		return 0, err
	}
	return m.Up(ctx)
}

// openMigrationDB opens the pool migrations run over (migrateUp).
func openMigrationDB(ctx context.Context, cfg config.Config) (*store.DB, error) {
	if err := cfg.RequireDatabase(); err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, store.Options{URL: cfg.MigrateURL(), MaxOpenConns: 4})
	if err != nil && cfg.DatabaseMigrateURL != "" {
		return nil, fmt.Errorf("DATABASE_MIGRATE_URL: %w", err)
	}
	return db, err
}

// openDB connects with the configured pool size and statement timeout.
func openDB(ctx context.Context, cfg config.Config) (*store.DB, error) {
	if err := cfg.RequireDatabase(); err != nil {
		return nil, err
	}
	return store.Open(ctx, store.Options{
		URL:              cfg.DatabaseURL,
		StatementTimeout: cfg.StatementTimeout,
		MaxOpenConns:     cfg.DBMaxConns,
	})
}
