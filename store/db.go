// Package store is the only package that talks to PostgreSQL/PostGIS. All
// SQL lives here, next to the function that runs it; every value is a $n
// argument and every identifier comes from an allow-list.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lib/pq"

	"eventmap"
)

// Options configures the connection pool.
type Options struct {
	URL string
	// StatementTimeout is set on every connection, so no query, whoever
	// runs it, can hold the database longer than this.
	StatementTimeout time.Duration
	// MaxOpenConns keeps the pool below the server's max_connections when
	// several replicas share one database.
	MaxOpenConns int
}

// DB is a handle on the event store.
type DB struct {
	db *sql.DB
	// probe is a pool of its own, of at most two connections, for health
	// checks (Ping, migration state, replica lag): /readyz must tell
	// whether the database answers, not whether the main pool has a free
	// connection, or a replica busy with a burst of requests would be
	// taken out of the load balancer at the worst moment.
	probe *sql.DB
	// counts is how many numberMatched counts ran (CountQueries).
	counts atomic.Int64
	// rawSummaryLimit, when set, replaces the package's rawSummaryLimit
	// (tests of the refusal set it low).
	rawSummaryLimit int
	// matched keeps numberMatched per filter and dataset version, and
	// extents the collection's extents per dataset version: at a million
	// events a count of a crowded box costs several pages, and the extent
	// reads every event stored as an area.
	matched *versionedCache[int64]
	extents *versionedCache[[2]Extent]
}

// CountQueries is how many times an items page counted its matches, for
// metrics and for tests that a walk through next links counts once.
func (db *DB) CountQueries() int64 { return db.counts.Load() }

// Open connects and checks the database answers.
func Open(ctx context.Context, o Options) (*DB, error) {
	cfg, err := pq.NewConfig(o.URL)
	if err != nil {
		return nil, fmt.Errorf("store: invalid database URL: %w", err)
	}
	if cfg.Runtime == nil {
		cfg.Runtime = map[string]string{}
	}
	if o.StatementTimeout > 0 {
		cfg.Runtime["statement_timeout"] = strconv.FormatInt(o.StatementTimeout.Milliseconds(), 10)
	}
	// Timestamps in the JSON that PostgreSQL builds come out in UTC whatever
	// the server's default zone is.
	cfg.Runtime["TimeZone"] = "UTC"
	if cfg.ApplicationName == "" {
		cfg.ApplicationName = "eventmap"
	}
	// A query with arguments goes out as Parse, Bind, Execute and one
	// Sync, in one round trip, instead of lib/pq's default of a Parse and
	// Sync first and the rest after: behind a PgBouncer in transaction
	// pooling mode the server connection can change at each Sync outside a
	// transaction, and the second half then fails with "unnamed prepared
	// statement does not exist" (e2e TestThroughPgBouncer). It saves a
	// round trip everywhere else. The cost: []byte arguments are sent in
	// binary, which is what every one of ours is (bytea: token hashes,
	// idempotency fingerprints and bodies).
	cfg.BinaryParameters = true
	conn, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("store: unable to configure connection: %w", err)
	}
	db := sql.OpenDB(conn)
	if o.MaxOpenConns > 0 {
		db.SetMaxOpenConns(o.MaxOpenConns)
		db.SetMaxIdleConns(o.MaxOpenConns)
	}
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: unable to reach database: %w", err)
	}
	if err := checkPoolFits(pingCtx, db, o.MaxOpenConns); err != nil {
		db.Close()
		return nil, err
	}
	probe := sql.OpenDB(conn)
	probe.SetMaxOpenConns(2)
	probe.SetMaxIdleConns(1)
	probe.SetConnMaxIdleTime(5 * time.Minute)
	return &DB{db: db, probe: probe, matched: newVersionedCache[int64](4096), extents: newVersionedCache[[2]Extent](16)}, nil
}

// checkPoolFits refuses a pool larger than the connections the server
// lets ordinary users open: such a pool fails under load with "too many
// clients" instead of queueing requests in Go. (Several replicas must
// together stay below it; that sum is the operator's to keep, see README.)
func checkPoolFits(ctx context.Context, db *sql.DB, pool int) error {
	if pool <= 0 {
		return nil
	}
	var available int
	err := db.QueryRowContext(ctx, `
		SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int`).Scan(&available)
	if err != nil {
		return fmt.Errorf("store: unable to read max_connections: %w", err)
	}
	if pool > available {
		return fmt.Errorf("store: a pool of %d connections (EVENTMAP_DB_MAX_CONNS) exceeds the %d the database allows (max_connections minus superuser_reserved_connections)", pool, available)
	}
	return nil
}

// Close closes every connection in the pool.
func (db *DB) Close() error {
	db.probe.Close()
	return db.db.Close()
}

// Ping reports whether the database answers now, over the probe pool: a
// saturated main pool does not make it fail.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.probe.PingContext(ctx); err != nil {
		return wrapErr(err, "ping database")
	}
	return nil
}

// wrapErr turns driver errors into eventmap errors: a query cancelled by
// statement_timeout becomes ETIMEOUT, a lost connection EUNAVAILABLE, and
// anything else stays internal. The message is for logs only.
func wrapErr(err error, action string) error {
	if err == nil {
		return nil
	}
	var e *eventmap.Error
	if errors.As(err, &e) {
		return err
	}
	code := eventmap.EINTERNAL
	detail := "internal error"
	var pqErr *pq.Error
	switch {
	case errors.As(err, &pqErr) && pqErr.Code == "57014": // query_canceled: statement_timeout
		code, detail = eventmap.ETIMEOUT, "the query took longer than the server allows; narrow it (smaller bbox, shorter time range, lower limit)"
	case errors.As(err, &pqErr) && (unavailableClasses[string(pqErr.Code.Class())] || strings.HasPrefix(string(pqErr.Code), "57P")):
		code, detail = eventmap.EUNAVAILABLE, "the database is unavailable; retry shortly"
	case errors.Is(err, context.DeadlineExceeded):
		code, detail = eventmap.ETIMEOUT, "the request took longer than the server allows"
	case errors.Is(err, context.Canceled):
		code, detail = eventmap.EUNAVAILABLE, "the request was cancelled"
	case isConnRefused(err):
		code, detail = eventmap.EUNAVAILABLE, "the database is unavailable; retry shortly"
	}
	return &eventmap.Error{Code: code, Detail: detail, Err: fmt.Errorf("store: unable to %s: %w", action, err)}
}

// isConnRefused reports errors that mean "no database to talk to": refused
// or reset connections and the driver's bad-connection signal.
func isConnRefused(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, driver.ErrBadConn) ||
		// The server went away in the middle of a reply.
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// unavailableClasses are SQLSTATE classes that mean the database cannot
// serve anyone right now (not that this request is wrong): connection
// exceptions, too many connections, the database or role gone. With 57P*
// (shutdown in progress) they become 503 with Retry-After.
var unavailableClasses = map[string]bool{"08": true, "53": true, "3D": true, "28": true}

// DatasetVersion is how many committed transactions changed what a
// reader sees (migrations/00012_dataset_version.sql): events and
// regions for token holders, their public part for everyone else, so a
// change to restricted events alone leaves the anonymous version as it
// was. Equal versions see equal data: HTTP validators of whole
// collections are made from it.
func (db *DB) DatasetVersion(ctx context.Context, includeRestricted bool) (string, error) {
	return datasetVersion(ctx, db.db, includeRestricted)
}

func datasetVersion(ctx context.Context, qr queryer, includeRestricted bool) (string, error) {
	var all, public int64
	err := qr.QueryRowContext(ctx, `SELECT COALESCE(sum(writes), 0)::bigint, COALESCE(sum(public_writes), 0)::bigint FROM dataset_versions`).Scan(&all, &public)
	if err != nil {
		return "", wrapErr(err, "read the dataset version")
	}
	if includeRestricted {
		return "all:" + strconv.FormatInt(all, 10), nil
	}
	return "public:" + strconv.FormatInt(public, 10), nil
}
