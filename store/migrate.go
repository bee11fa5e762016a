package store

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"eventmap/migrations"
)

// migrationLockID is the PostgreSQL advisory lock that serialises
// migrations: replicas starting together take turns, and the second finds
// nothing left to do.
const migrationLockID = 7_364_061_001

// Migrator applies the embedded migrations.
type Migrator struct {
	p *goose.Provider
	// probe reads the migration state over the probe pool, for /readyz.
	probe  *goose.Provider
	db     *DB
	logger *slog.Logger
}

// NewMigrator prepares the migrations for db. Logs go to logger (nil: none).
func (db *DB) NewMigrator(logger *slog.Logger) (*Migrator, error) {
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(migrationLockID),
		lock.WithLockTimeout(1, 300), // poll every second for up to 5 minutes
	)
	if err != nil {
		return nil, fmt.Errorf("store: unable to create migration lock: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db.db, migrations.FS,
		goose.WithSessionLocker(locker),
		goose.WithSlog(logger),
	)
	if err != nil {
		return nil, fmt.Errorf("store: unable to load migrations: %w", err)
	}
	probe, err := goose.NewProvider(goose.DialectPostgres, db.probe, migrations.FS, goose.WithSlog(logger))
	if err != nil {
		return nil, fmt.Errorf("store: unable to load migrations: %w", err)
	}
	return &Migrator{p: p, probe: probe, db: db, logger: logger}, nil
}

// Up applies every pending migration and returns how many ran. Then it
// brings the stored Features up to date (RefreshServedFeatures): a release
// that adds a property rebuilds them here, before anything is served.
func (m *Migrator) Up(ctx context.Context) (int, error) {
	res, err := m.p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("store: unable to migrate up: %w", err)
	}
	n, err := m.db.RefreshServedFeatures(ctx, func(done int64) {
		m.logger.Info("building served features", "done", done)
	})
	if err != nil {
		return len(res), err
	}
	if n > 0 {
		m.logger.Info("served features built", "events", n)
	}
	return len(res), nil
}

// Down rolls back the newest applied migration.
func (m *Migrator) Down(ctx context.Context) error {
	if _, err := m.p.Down(ctx); err != nil {
		return fmt.Errorf("store: unable to migrate down: %w", err)
	}
	return nil
}

// DownTo rolls back every migration newer than version (0: all of them).
func (m *Migrator) DownTo(ctx context.Context, version int64) error {
	if _, err := m.p.DownTo(ctx, version); err != nil {
		return fmt.Errorf("store: unable to migrate down to %d: %w", version, err)
	}
	return nil
}

// MigrationState is one migration and whether it is applied.
type MigrationState struct {
	Version int64
	Name    string
	Applied bool
}

// Status lists every known migration.
func (m *Migrator) Status(ctx context.Context) ([]MigrationState, error) {
	st, err := m.p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: unable to read migration status: %w", err)
	}
	out := make([]MigrationState, 0, len(st))
	for _, s := range st {
		out = append(out, MigrationState{Version: s.Source.Version, Name: s.Source.Path, Applied: s.State == goose.StateApplied})
	}
	return out, nil
}

// Pending reports whether migrations remain to be applied; /readyz is
// false until they are.
func (m *Migrator) Pending(ctx context.Context) (bool, error) {
	pending, err := m.probe.HasPending(ctx)
	if err != nil {
		return false, wrapErr(err, "check migrations")
	}
	return pending, nil
}
