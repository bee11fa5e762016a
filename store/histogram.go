package store

import (
	"context"
	"database/sql"
	"time"
)

// HistogramIntervals are the periods EventHistogram can count by, the
// names date_trunc knows them by.
var HistogramIntervals = []string{"day", "week", "month", "year"}

// Bucket is one period of EventHistogram that holds at least one event.
type Bucket struct {
	Start time.Time // in UTC; weeks start on Monday (ISO 8601)
	Count int64
}

// EventHistogram counts the events f selects per interval (one of
// HistogramIntervals) of their occurred_at, in UTC. Empty periods are
// left out; buckets come oldest first.
//
// Months and years come from the per-month map aggregates (with a bbox,
// when the datetime range holds a whole UTC month), or from the per-day
// counts (without a bbox, when it holds a whole UTC day); days and weeks
// from the per-day counts when there is no bbox. The cut periods at the
// range's ends are counted from the events (see aggregateRows). Anything
// else is counted event by event, and refused
// with an EINVALID error naming the parameter responsible when more than
// rawSummaryLimit events would be read.
func (db *DB) EventHistogram(ctx context.Context, f EventFilter, interval string) ([]Bucket, error) {
	var out []Bucket
	err := db.summaryRead(ctx, func(qr queryer) error {
		if f.Region != "" {
			if err := checkRegion(ctx, qr, f.Region); err != nil {
				return err
			}
		}
		t, blocker := histogramSource(f, interval)
		var err error
		if blocker == "" {
			out, err = histogramFromAggregates(ctx, qr, f, t, interval)
		} else {
			out, err = db.histogramFromEvents(ctx, qr, f, interval, blocker)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// histogramSource is the aggregate table that answers a histogram of f
// per interval, or the parameter that keeps the aggregates from
// answering.
func histogramSource(f EventFilter, interval string) (aggregateTable, string) {
	t, blocker := f.aggregateSource()
	switch {
	case blocker != "":
	case interval == "day" || interval == "week":
		if f.BBox != nil {
			return 0, "interval" // no table has both place and days
		}
		t = aggregateDays
	default:
		t = t.withPeriods()
	}
	return t, blocker
}

func histogramFromAggregates(ctx context.Context, qr queryer, f EventFilter, t aggregateTable, interval string) ([]Bucket, error) {
	stmt, args := histogramSQL(f, t, interval)
	r, err := qr.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, wrapErr(err, "count events per "+interval+" from aggregates")
	}
	out, err := scanBuckets(r)
	return out, wrapErr(err, "count events per "+interval+" from aggregates")
}

func (db *DB) histogramFromEvents(ctx context.Context, qr queryer, f EventFilter, interval, blocker string) ([]Bucket, error) {
	guard, err := db.beginRawSummary(ctx, qr, f, blocker, nil)
	if err != nil {
		return nil, err
	}
	var q query
	f.apply(&q)
	unit := q.arg(interval)
	r, err := qr.QueryContext(ctx, `
		SELECT date_trunc(`+unit+`, e.occurred_at AT TIME ZONE 'UTC') AS start, count(*)
		FROM `+f.from(&q)+`
		WHERE `+q.whereSQL()+`
		GROUP BY 1 ORDER BY 1`, q.args...)
	if err != nil {
		return nil, guard.refuse(err, "count events per "+interval)
	}
	out, err := scanBuckets(r)
	return out, guard.refuse(err, "count events per "+interval)
}

// scanBuckets reads (period start, count) rows.
func scanBuckets(rows *sql.Rows) ([]Bucket, error) {
	defer rows.Close()
	var out []Bucket
	for rows.Next() {
		var b Bucket
		if err := rows.Scan(&b.Start, &b.Count); err != nil {
			return nil, err
		}
		b.Start = time.Date(b.Start.Year(), b.Start.Month(), b.Start.Day(), 0, 0, 0, 0, time.UTC)
		out = append(out, b)
	}
	return out, rows.Err()
}

// histogramSQL is the statement of histogramFromAggregates.
func histogramSQL(f EventFilter, t aggregateTable, interval string) (string, []any) {
	var q query
	// date_trunc takes its unit as a value, so even the interval is bound
	// as an argument; the api checks it against HistogramIntervals first.
	rows := aggregateRows(&q, f, t, aggregateGroup{zoom: -1, period: interval})
	return `
		SELECT s.period, sum(s.n)::bigint
		FROM (` + rows + `) s(period, n)
		GROUP BY s.period HAVING sum(s.n) > 0 ORDER BY s.period`, q.args
}
