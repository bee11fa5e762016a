package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/paulmach/orb"

	"eventmap"
	"eventmap/geo"
	"eventmap/internal/testdb"
	"eventmap/store"
)

// openAggregates is a fresh database with its store handle and a plain
// connection for the checks.
func openAggregates(t *testing.T) (*store.DB, *sql.DB) {
	t.Helper()
	url := testdb.New(t)
	db, err := store.Open(context.Background(), store.Options{URL: url, StatementTimeout: time.Minute, MaxOpenConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	raw, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return db, raw
}

var (
	aggTypes    = []string{"raid", "airstrike", "clash", "arrest", "explosion"}
	aggStatuses = []string{"reported", "confirmed", "disputed"}
	// Towns the random events crowd around, so cells hold several events
	// at every level; one by the antimeridian and one in Mercator's
	// clamped north.
	aggTowns = []orb.Point{{36.29, 33.51}, {36.40, 33.57}, {37.13, 36.20}, {40.14, 35.33}, {44.37, 33.31}, {179.995, -16.5}, {20.0, 86.0}}
)

// randomGeometry is mostly points near a town, with areas, a multi-point
// and a line among them.
func randomGeometry(r *rand.Rand) orb.Geometry {
	c := aggTowns[r.IntN(len(aggTowns))]
	if c[1] > 80 && r.IntN(2) == 0 {
		c = aggTowns[0]
	}
	p := func(spread float64) orb.Point {
		x := c[0] + r.NormFloat64()*spread
		if x > 180 {
			x -= 360
		}
		return orb.Point{math.Round(x*1e6) / 1e6, math.Round(max(-89, min(89, c[1]+r.NormFloat64()*spread))*1e6) / 1e6}
	}
	switch k := r.IntN(20); {
	case k < 16:
		return p(0.05)
	case k < 18:
		q, d := p(0.05), 0.01+r.Float64()*0.3
		if q[0]+d > 180 {
			q[0] = 180 - d
		}
		return orb.Polygon{{{q[0], q[1]}, {q[0] + d, q[1]}, {q[0] + d, q[1] + d}, {q[0], q[1] + d}, {q[0], q[1]}}}
	case k < 19:
		return orb.MultiPoint{p(0.05), p(0.3)}
	default:
		return orb.LineString{p(0.05), p(0.05)}
	}
}

// randomTime falls in 2024-2025, often on a month start or a midnight.
func randomTime(r *rand.Rand) time.Time {
	t := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Int64N(int64(730 * 24 * time.Hour))))
	switch r.IntN(4) {
	case 0:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	case 1:
		return t.Truncate(24 * time.Hour)
	}
	return t.Truncate(time.Second)
}

func randomEvent(r *rand.Rand, i int) *eventmap.Event {
	vis := "public"
	if r.IntN(8) == 0 {
		vis = "restricted"
	}
	return &eventmap.Event{
		Type: aggTypes[r.IntN(len(aggTypes))], Status: aggStatuses[r.IntN(len(aggStatuses))], Visibility: vis,
		Title: fmt.Sprintf("aggregate test %d", i), OccurredAt: randomTime(r), TimePrecision: "exact",
		Geometry: randomGeometry(r), GeoPrecision: "exact", Place: "somewhere", Country: "SYR",
	}
}

// aggregateTables are the tables the migration keeps, with their keys.
var aggregateTables = []struct{ name, keys string }{
	{"event_cells", "z, cx, cy, type, status, restricted"},
	{"event_cell_totals", "z, cx, cy, restricted"},
	{"event_cell_months", "z, cx, cy, month, type, status, restricted"},
	{"event_cell_month_totals", "z, cx, cy, month, restricted"},
}

// liveEvents is every counted event with what the aggregates key it by,
// computed here from the events with the grid's formulas written out (the
// same as ClusterEvents' raw path), not with the migration's functions.
const liveEvents = `
	WITH ev AS (
		SELECT e.type, e.status, e.visibility = 'restricted' AS restricted,
			date_trunc('month', e.occurred_at AT TIME ZONE 'UTC')::date AS month,
			(e.occurred_at AT TIME ZONE 'UTC')::date AS day,
			ST_X(p.p) AS x, ST_Y(p.p) AS y,
			('x' || left(replace(e.id::text, '-', ''), 16))::bit(64)::bigint AS hi,
			('x' || right(replace(e.id::text, '-', ''), 16))::bit(64)::bigint AS lo
		FROM events e CROSS JOIN LATERAL (SELECT ST_PointOnSurface(e.geom) AS p) p
		WHERE e.deleted_at IS NULL
	), lv AS (
		SELECT ev.*, z,
			floor((x + 180) / 360 * (4 * 2 ^ z))::integer AS cx,
			floor((1 - ln(tan(radians(greatest(-85.0511, least(85.0511, y)))) + 1 / cos(radians(greatest(-85.0511, least(85.0511, y))))) / pi()) / 2 * (4 * 2 ^ z))::integer AS cy
		FROM ev CROSS JOIN generate_series(0, 14, 2) z
	)`

// checkAggregates compares every aggregate row with a live GROUP BY of the
// events: counts, coordinate sums and id XORs exactly; boxes exactly when
// exact, else only that they hold the events' box (removals leave them
// loose). No row may count zero events.
func checkAggregates(t *testing.T, raw *sql.DB, exact bool) {
	t.Helper()
	ctx := context.Background()
	box := "c.west <= l.west AND c.south <= l.south AND c.east >= l.east AND c.north >= l.north"
	if exact {
		box = "c.west = l.west AND c.south = l.south AND c.east = l.east AND c.north = l.north"
	}
	for _, tb := range aggregateTables {
		var bad int
		var sample sql.NullString
		err := raw.QueryRowContext(ctx, liveEvents+`, live AS (
				SELECT `+tb.keys+`, count(*) AS n, sum(round(x * 1e8)::bigint) AS x_sum, sum(round(y * 1e8)::bigint) AS y_sum,
					min(x) AS west, min(y) AS south, max(x) AS east, max(y) AS north, bit_xor(hi) AS hi, bit_xor(lo) AS lo
				FROM lv GROUP BY `+tb.keys+`)
			SELECT count(*), min(row(l.*)::text || ' / ' || row(c.*)::text)
			FROM live l FULL JOIN `+tb.name+` c USING (`+tb.keys+`)
			WHERE c.n IS DISTINCT FROM l.n OR c.x_sum IS DISTINCT FROM l.x_sum OR c.y_sum IS DISTINCT FROM l.y_sum
				OR c.id_xor_hi IS DISTINCT FROM l.hi OR c.id_xor_lo IS DISTINCT FROM l.lo OR NOT (`+box+`)`).Scan(&bad, &sample)
		if err != nil {
			t.Fatalf("%s: %v", tb.name, err)
		}
		if bad > 0 {
			t.Errorf("%s: %d rows differ from the events, e.g. live / stored: %s", tb.name, bad, sample.String)
		}
	}
	var bad int
	if err := raw.QueryRowContext(ctx, liveEvents+`, live AS (
			SELECT day, type, status, restricted, count(*) AS n FROM ev GROUP BY 1, 2, 3, 4)
		SELECT count(*) FROM live l FULL JOIN event_days d USING (day, type, status, restricted)
		WHERE d.n IS DISTINCT FROM l.n`).Scan(&bad); err != nil {
		t.Fatal(err)
	}
	if bad > 0 {
		t.Errorf("event_days: %d rows differ from the events", bad)
	}
}

// aggEditor edits events through the store's own write functions,
// remembering each event so an update can change one thing at a time.
type aggEditor struct {
	t      *testing.T
	db     *store.DB
	mu     sync.Mutex
	events map[string]*eventmap.Event
	live   []string
}

func (a *aggEditor) rev() eventmap.Revision {
	return eventmap.Revision{Editor: "aggregate test", Reason: "random write"}
}

func (a *aggEditor) create(ev *eventmap.Event) error {
	return a.db.InTx(context.Background(), func(tx *store.Tx) error {
		w, err := tx.CreateEvent(context.Background(), ev, a.rev())
		if err != nil {
			return err
		}
		a.mu.Lock()
		c := *ev
		c.ID = w.ID
		a.events[w.ID] = &c
		a.live = append(a.live, w.ID)
		a.mu.Unlock()
		return nil
	})
}

// update changes one or several counted facts of event id, or only its
// title (which the aggregates must ignore).
func (a *aggEditor) update(r *rand.Rand, id string) error {
	a.mu.Lock()
	ev := *a.events[id]
	a.mu.Unlock()
	switch r.IntN(6) {
	case 0:
		ev.Geometry = randomGeometry(r)
	case 1:
		// A move of a few metres: the same cell at coarse levels.
		if p, ok := ev.Geometry.(orb.Point); ok {
			ev.Geometry = orb.Point{p[0] + 0.00002, p[1]}
		}
	case 2:
		ev.Type, ev.Status = aggTypes[r.IntN(len(aggTypes))], aggStatuses[r.IntN(len(aggStatuses))]
	case 3:
		ev.OccurredAt = randomTime(r)
	case 4:
		ev.Visibility = map[string]string{"public": "restricted", "restricted": "public"}[ev.Visibility]
	case 5:
		ev.Title += " (edited)"
	}
	return a.db.InTx(context.Background(), func(tx *store.Tx) error {
		v, _, err := tx.EventVersion(context.Background(), id)
		if err != nil {
			return err
		}
		if _, err := tx.UpdateEvent(context.Background(), &ev, v, a.rev()); err != nil {
			return err
		}
		a.mu.Lock()
		a.events[id] = &ev
		a.mu.Unlock()
		return nil
	})
}

func (a *aggEditor) remove(id string) error {
	return a.db.InTx(context.Background(), func(tx *store.Tx) error {
		v, _, err := tx.EventVersion(context.Background(), id)
		if err != nil {
			return err
		}
		if _, err := tx.DeleteEvent(context.Background(), id, v, a.rev()); err != nil {
			return err
		}
		a.mu.Lock()
		a.live = slices.DeleteFunc(a.live, func(s string) bool { return s == id })
		a.mu.Unlock()
		return nil
	})
}

func (a *aggEditor) pick(r *rand.Rand) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.live[r.IntN(len(a.live))]
}

// importEvents imports rows through store.Import, the set-based path of
// files and the bulk API.
func importEvents(t *testing.T, db *store.DB, evs []*eventmap.Event, exclusive bool) eventmap.ImportResult {
	t.Helper()
	i := 0
	res, err := db.Import(context.Background(), func() (eventmap.Row, error) {
		if i == len(evs) {
			return eventmap.Row{}, io.EOF
		}
		i++
		return eventmap.Row{Line: i, Event: evs[i-1]}, nil
	}, store.ImportOptions{Editor: "aggregate test", Reason: "import", Exclusive: exclusive})
	if err != nil || !res.Committed {
		t.Fatalf("import: %v %+v", err, res)
	}
	return res
}

// The aggregates equal a live count of the events after every kind of
// write: single creates, moves, type and status changes, time changes,
// visibility flips, title-only edits and soft deletes through the store's
// write functions; imports, re-imports and exclusive imports through
// store.Import; plain INSERT and DELETE statements; concurrent writers with
// an import running. A rebuild then gives exactly the same counts, with
// tight boxes.
func TestAggregatesFollowEveryWrite(t *testing.T) {
	t.Parallel()
	db, raw := openAggregates(t)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(13, 4))
	a := &aggEditor{t: t, db: db, events: map[string]*eventmap.Event{}}

	for i := range 150 {
		if err := a.create(randomEvent(r, i)); err != nil {
			t.Fatal(err)
		}
	}
	checkAggregates(t, raw, true)

	for range 150 {
		if err := a.update(r, a.pick(r)); err != nil {
			t.Fatal(err)
		}
	}
	for range 30 {
		if err := a.remove(a.pick(r)); err != nil {
			t.Fatal(err)
		}
	}
	checkAggregates(t, raw, false)

	// An import of new events, then a re-import of the same file with a
	// third of them moved or retyped and a few new ones: the second
	// import inserts and updates in two statements of one transaction.
	var file []*eventmap.Event
	for i := range 300 {
		ev := randomEvent(r, 1000+i)
		ev.ExternalID = fmt.Sprintf("AGG%d", i)
		file = append(file, ev)
	}
	importEvents(t, db, file, false)
	checkAggregates(t, raw, false)
	for i, ev := range file {
		c := *ev
		switch i % 3 {
		case 0:
			c.Geometry = randomGeometry(r)
		case 1:
			c.Type, c.Visibility = aggTypes[(i/3)%len(aggTypes)], "public"
		}
		file[i] = &c
	}
	for i := range 20 {
		ev := randomEvent(r, 2000+i)
		ev.ExternalID = fmt.Sprintf("AGGNEW%d", i)
		file = append(file, ev)
	}
	res := importEvents(t, db, file, false)
	if res.Created != 20 || res.Updated == 0 {
		t.Fatalf("re-import: %+v", res)
	}
	checkAggregates(t, raw, false)

	// Exclusive mode sets the foreign keys aside; the triggers stay.
	var more []*eventmap.Event
	for i := range 100 {
		ev := randomEvent(r, 3000+i)
		ev.ExternalID = fmt.Sprintf("AGGX%d", i)
		more = append(more, ev)
	}
	more = append(more, file[:50]...)
	importEvents(t, db, more, true)
	checkAggregates(t, raw, false)

	// Plain statements: a bulk INSERT and a hard DELETE (events without
	// revisions can go).
	if _, err := raw.ExecContext(ctx, `
		INSERT INTO events (type, title, occurred_at, time_precision, geom, geo_precision, country, status, visibility)
		SELECT (ARRAY['raid', 'clash'])[1 + i % 2], 'plain ' || i, timestamptz '2025-03-01' + i * interval '7 hours', 'exact',
			ST_SetSRID(ST_MakePoint(36.3 + (i % 13) * 0.001, 33.5 + (i % 7) * 0.001), 4326), 'exact', 'SYR',
			'reported', (ARRAY['public', 'restricted'])[1 + i % 5 / 4]
		FROM generate_series(1, 200) i`); err != nil {
		t.Fatal(err)
	}
	checkAggregates(t, raw, false)
	if _, err := raw.ExecContext(ctx, `DELETE FROM events WHERE title LIKE 'plain %' AND (right(title, 1))::int % 3 = 0`); err != nil {
		t.Fatal(err)
	}
	checkAggregates(t, raw, false)

	// Concurrent writers, each write its own transaction, while an import
	// runs: no update lost, no deadlock.
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 99))
			for i := range 25 {
				var err error
				switch i % 3 {
				case 0:
					err = a.create(randomEvent(r, 5000+100*w+i))
				case 1:
					err = a.update(r, a.pick(r))
				case 2:
					err = a.remove(a.pick(r))
				}
				if err != nil && !errors.Is(err, context.Canceled) {
					var e *eventmap.Error
					// Two writers may pick the same event: a lost race
					// on its version is the API's 412, not a failure.
					if errors.As(err, &e) && (e.Code == eventmap.ESTALE || e.Code == eventmap.ENOTFOUND) {
						continue
					}
					errs <- err
				}
			}
		}()
	}
	var batch []*eventmap.Event
	for i := range 200 {
		ev := randomEvent(r, 6000+i)
		ev.ExternalID = fmt.Sprintf("AGGC%d", i)
		batch = append(batch, ev)
	}
	importEvents(t, db, batch, false)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent write: %v", err)
	}
	checkAggregates(t, raw, false)

	if err := db.RebuildAggregates(ctx); err != nil {
		t.Fatal(err)
	}
	checkAggregates(t, raw, true)

	// TRUNCATE empties them with the events.
	if _, err := raw.ExecContext(ctx, `TRUNCATE events CASCADE`); err != nil {
		t.Fatal(err)
	}
	checkAggregates(t, raw, true)
}

// fillRandom inserts n random events with plain SQL (the triggers count
// them) in one statement, around the test towns.
func fillRandom(t *testing.T, raw *sql.DB, n int, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	var geoms, types, statuses, vis []string
	var times []time.Time
	for i := range n {
		ev := randomEvent(r, i)
		g, err := wkt(ev.Geometry)
		if err != nil {
			t.Fatal(err)
		}
		geoms, types, statuses, vis = append(geoms, g), append(types, ev.Type), append(statuses, ev.Status), append(vis, ev.Visibility)
		times = append(times, ev.OccurredAt)
	}
	if _, err := raw.ExecContext(context.Background(), `
		INSERT INTO events (type, title, occurred_at, time_precision, geom, geo_precision, country, status, visibility)
		SELECT ty, 'random ' || o, at, 'exact', ST_GeomFromText(g, 4326), 'exact', 'SYR', st, vi
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) WITH ORDINALITY u(g, ty, st, vi, at, o)`,
		pq.Array(geoms), pq.Array(types), pq.Array(statuses), pq.Array(vis), pq.Array(times)); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(context.Background(), `ANALYZE`); err != nil {
		t.Fatal(err)
	}
}

func wkt(g orb.Geometry) (string, error) {
	pt := func(p orb.Point) string { return fmt.Sprintf("%g %g", p[0], p[1]) }
	switch g := g.(type) {
	case orb.Point:
		return "POINT(" + pt(g) + ")", nil
	case orb.MultiPoint:
		return "MULTIPOINT(" + pt(g[0]) + ", " + pt(g[1]) + ")", nil
	case orb.LineString:
		return "LINESTRING(" + pt(g[0]) + ", " + pt(g[1]) + ")", nil
	case orb.Polygon:
		var ps []string
		for _, p := range g[0] {
			ps = append(ps, pt(p))
		}
		return "POLYGON((" + strings.Join(ps, ", ") + "))", nil
	}
	return "", fmt.Errorf("no WKT for %T", g)
}

// randomFilter is a filter of what the aggregates answer: a box of any
// size (some across the antimeridian, some past Mercator's limit, some
// under one cell of level 14), types, statuses, visibility and a time
// range: month-aligned, without a box day-aligned, or of any instants
// (see randomCut), which the aggregates answer when it holds a whole
// month (a whole day without a box; see answerable).
func randomFilter(r *rand.Rand) store.EventFilter {
	var f store.EventFilter
	if r.IntN(8) > 0 {
		c := aggTowns[r.IntN(len(aggTowns))]
		size := math.Pow(10, -3.5+r.Float64()*5) // 0.0003° to 30°
		w, e := c[0]-size*r.Float64(), c[0]+size*r.Float64()
		s, n := max(-90, c[1]-size*r.Float64()), min(90, c[1]+size*r.Float64())
		if w < -180 {
			w += 360
		}
		if e > 180 {
			e -= 360
		}
		f.BBox = &geo.BBox{West: w, South: s, East: e, North: n}
	}
	if r.IntN(3) == 0 {
		f.Types = []string{aggTypes[r.IntN(len(aggTypes))], aggTypes[r.IntN(len(aggTypes))]}
	}
	if r.IntN(3) == 0 {
		f.Statuses = []string{aggStatuses[r.IntN(len(aggStatuses))]}
	}
	f.IncludeRestricted = r.IntN(2) == 0
	switch r.IntN(5) {
	case 3, 4:
		f.Interval = randomCut(r)
	case 1:
		m := time.Date(2024, time.Month(1+r.IntN(24)), 1, 0, 0, 0, 0, time.UTC)
		f.Interval = geo.Interval{Start: m, End: m.AddDate(0, 1+r.IntN(8), 0)}
		if r.IntN(4) == 0 {
			f.Interval.Start = time.Time{}
		}
	case 2:
		if f.BBox == nil {
			d := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(700))
			f.Interval = geo.Interval{Start: d, End: d.AddDate(0, 0, 1+r.IntN(60))}
		}
	}
	return f
}

// randomCut is a time range of any instants: cutting months at both ends
// or at one, open at one end, inside one month or one day, across a
// month's start with no whole month in it; its ends are often the
// instants of events (randomTime), so events sit right on them.
func randomCut(r *rand.Rand) geo.Interval {
	for {
		iv := geo.Interval{Start: randomTime(r)}
		switch r.IntN(6) {
		case 0: // within a month or two
			iv.End = iv.Start.Add(time.Duration(r.Int64N(int64(60 * 24 * time.Hour))))
		case 1: // within a day or two
			iv.End = iv.Start.Add(time.Duration(r.Int64N(int64(48 * time.Hour))))
		case 2: // open at the end
			iv.End = time.Time{}
		case 3: // open at the start
			iv.Start, iv.End = time.Time{}, randomTime(r)
		case 4: // across one month's start, cut at both sides
			m := time.Date(2024, time.Month(2+r.IntN(22)), 1, 0, 0, 0, 0, time.UTC)
			iv.Start = m.Add(-time.Duration(1 + r.Int64N(int64(20*24*time.Hour))))
			iv.End = m.Add(time.Duration(1 + r.Int64N(int64(20*24*time.Hour))))
		default:
			iv.End = randomTime(r)
		}
		if iv.Start.IsZero() || iv.End.IsZero() || iv.Start.Before(iv.End) {
			return iv
		}
	}
}

// answerable says whether the aggregates answer f's time range: it holds
// a whole UTC month, or without a box a whole UTC day (computed here from
// the calendar, not with the store's code).
func answerable(f store.EventFilter) bool {
	iv := f.Interval
	if iv.Start.IsZero() || iv.End.IsZero() {
		return true
	}
	s, e := iv.Start.UTC(), iv.End.UTC()
	if f.BBox == nil {
		first := time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, time.UTC)
		if first.Before(s) {
			first = first.AddDate(0, 0, 1)
		}
		return !first.AddDate(0, 0, 1).After(e)
	}
	first := time.Date(s.Year(), s.Month(), 1, 0, 0, 0, 0, time.UTC)
	if first.Before(s) {
		first = first.AddDate(0, 1, 0)
	}
	return !first.AddDate(0, 1, 0).After(e)
}

// liveCount counts the events f selects, written out here.
func liveCount(t *testing.T, raw *sql.DB, f store.EventFilter) int64 {
	t.Helper()
	where := []string{"e.deleted_at IS NULL"}
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if !f.IncludeRestricted {
		where = append(where, "e.visibility = 'public'")
	}
	if f.BBox != nil {
		var ors []string
		for _, b := range f.BBox.Bounds() {
			ors = append(ors, fmt.Sprintf("ST_Intersects(e.geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))",
				arg(b.Min[0]), arg(b.Min[1]), arg(b.Max[0]), arg(b.Max[1])))
		}
		where = append(where, "("+strings.Join(ors, " OR ")+")")
	}
	if len(f.Types) > 0 {
		where = append(where, "e.type = ANY("+arg(pq.Array(f.Types))+")")
	}
	if len(f.Statuses) > 0 {
		where = append(where, "e.status = ANY("+arg(pq.Array(f.Statuses))+")")
	}
	if !f.Interval.Start.IsZero() {
		where = append(where, "e.occurred_at >= "+arg(f.Interval.Start))
	}
	if !f.Interval.End.IsZero() {
		where = append(where, "e.occurred_at < "+arg(f.Interval.End))
	}
	var n int64
	if err := raw.QueryRow(`SELECT count(*) FROM events e WHERE `+strings.Join(where, " AND "), args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The count from the aggregates equals count(*) for random filters they
// answer, ranges that cut months at their ends among them, and declines
// the filters they do not, the ranges with no whole month (no whole day
// without a box).
func TestCountFromAggregatesIsExact(t *testing.T) {
	t.Parallel()
	db, raw := openAggregates(t)
	fillRandom(t, raw, 3000, 1)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(2, 3))
	declined := 0
	for i := range 400 {
		f := randomFilter(r)
		n, ok, err := db.CountFromAggregates(ctx, f)
		if err != nil || ok != answerable(f) {
			t.Fatalf("filter %d %+v: ok %v, want %v; %v", i, f, ok, answerable(f), err)
		}
		if !ok {
			declined++
			continue
		}
		if want := liveCount(t, raw, f); n != want {
			t.Errorf("filter %d (bbox %v, types %v, statuses %v, restricted %v, %v): %d from the aggregates, %d events",
				i, f.BBox, f.Types, f.Statuses, f.IncludeRestricted, f.Interval, n, want)
		}
	}
	if declined == 0 || declined > 100 {
		t.Errorf("%d of 400 random filters declined; the mix of ranges is off", declined)
	}
	whole, ok, err := db.CountFromAggregates(ctx, store.EventFilter{IncludeRestricted: true})
	if err != nil || !ok || whole != 3000 {
		t.Errorf("the whole collection: %d, %v, %v; want 3000", whole, ok, err)
	}
	box := &geo.BBox{West: 36, South: 33, East: 37, North: 34}
	for _, f := range []store.EventFilter{
		{Text: "random"}, {Actor: "someone"}, {Countries: []string{"SYR"}}, {Region: "badiya"},
		{AsOf: time.Now()}, {UpdatedSince: time.Now()},
		// No whole month in the box's range, no whole day in the other.
		{BBox: box, Interval: geo.Interval{Start: time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 4, 30, 0, 0, 0, 0, time.UTC)}},
		{Interval: geo.Interval{Start: time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC), End: time.Date(2024, 3, 6, 23, 0, 0, 0, time.UTC)}},
	} {
		if _, ok, err := db.CountFromAggregates(ctx, f); ok || err != nil {
			t.Errorf("%+v: answered from the aggregates (ok %v, %v)", f, ok, err)
		}
	}
}

// liveCell is a cell of a cluster answer computed here from the events.
type liveCell struct {
	gx, gy                           int
	n                                int64
	lon, lat, west, south, east, nth float64
	id                               string
}

func liveClusters(t *testing.T, raw *sql.DB, f store.EventFilter, zoom int) []liveCell {
	t.Helper()
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	where := []string{"e.deleted_at IS NULL"}
	if !f.IncludeRestricted {
		where = append(where, "e.visibility = 'public'")
	}
	var ors []string
	for _, b := range f.BBox.Bounds() {
		ors = append(ors, fmt.Sprintf("ST_Intersects(e.geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))",
			arg(b.Min[0]), arg(b.Min[1]), arg(b.Max[0]), arg(b.Max[1])))
	}
	where = append(where, "("+strings.Join(ors, " OR ")+")")
	if len(f.Types) > 0 {
		where = append(where, "e.type = ANY("+arg(pq.Array(f.Types))+")")
	}
	if len(f.Statuses) > 0 {
		where = append(where, "e.status = ANY("+arg(pq.Array(f.Statuses))+")")
	}
	if !f.Interval.Start.IsZero() {
		where = append(where, "e.occurred_at >= "+arg(f.Interval.Start))
	}
	if !f.Interval.End.IsZero() {
		where = append(where, "e.occurred_at < "+arg(f.Interval.End))
	}
	side := arg(float64(int(4) << zoom))
	rows, err := raw.Query(`
		SELECT gx, gy, count(*), avg(x), avg(y), min(x), min(y), max(x), max(y), CASE WHEN count(*) = 1 THEN min(id::text) END
		FROM (SELECT e.id, ST_X(p) AS x, ST_Y(p) AS y,
				floor((ST_X(p) + 180) / 360 * `+side+`)::integer AS gx,
				floor((1 - ln(tan(radians(greatest(-85.0511, least(85.0511, ST_Y(p))))) + 1 / cos(radians(greatest(-85.0511, least(85.0511, ST_Y(p)))))) / pi()) / 2 * `+side+`)::integer AS gy
			FROM events e CROSS JOIN LATERAL ST_PointOnSurface(e.geom) p
			WHERE `+strings.Join(where, " AND ")+`) s
		GROUP BY gx, gy ORDER BY gx, gy`, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []liveCell
	for rows.Next() {
		var c liveCell
		var id sql.NullString
		if err := rows.Scan(&c.gx, &c.gy, &c.n, &c.lon, &c.lat, &c.west, &c.south, &c.east, &c.nth, &id); err != nil {
			t.Fatal(err)
		}
		c.id = id.String
		out = append(out, c)
	}
	return out
}

// Clusters and histograms from the aggregates are those counted from the
// events: the same cells in the same order with the same counts, single
// events named, means to 1e-7 degree, the same boxes (no event was ever
// removed here); the same buckets per month, year, day and week.
func TestSummariesFromAggregatesMatchTheEvents(t *testing.T) {
	t.Parallel()
	db, raw := openAggregates(t)
	fillRandom(t, raw, 2000, 5)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(6, 7))
	for i := 0; i < 120; i++ {
		f := randomFilter(r)
		if f.BBox == nil {
			continue
		}
		zoom := r.IntN(store.AggregateMaxZoom + 1)
		// Keep the grid under a few hundred thousand cells.
		if b := f.BBox.Bounds()[0]; (b.Max[0]-b.Min[0])*float64(int(4)<<zoom)/360 > 2000 {
			zoom = max(0, zoom-6)
		}
		if got, want := store.SummaryScans("clusters", f, zoom, ""), !answerable(f); got != want {
			t.Errorf("filter %d (%v): clusters scan %v, want %v", i, f.Interval, got, want)
		}
		cells, matched, err := db.ClusterEvents(ctx, f, zoom)
		if err != nil {
			t.Fatalf("clusters %+v at %d: %v", f, zoom, err)
		}
		want := liveClusters(t, raw, f, zoom)
		if len(cells) != len(want) || matched != sumLive(want) {
			t.Errorf("filter %d at zoom %d: %d cells of %d events, want %d cells of %d", i, zoom, len(cells), matched, len(want), sumLive(want))
			continue
		}
		for k, c := range cells {
			w := want[k]
			if c.Count != w.n || c.ID != w.id || math.Abs(c.Lon-w.lon) > 1e-7 || math.Abs(c.Lat-w.lat) > 1e-7 ||
				c.West != w.west || c.South != w.south || c.East != w.east || c.North != w.nth {
				t.Errorf("filter %d at zoom %d, cell %d: %+v, want %+v", i, zoom, k, c, w)
			}
		}
		for _, interval := range []string{"month", "year"} {
			checkHistogram(t, db, raw, f, interval)
		}
	}
	for _, f := range []store.EventFilter{
		{}, {IncludeRestricted: true, Types: []string{"raid"}},
		{Interval: geo.Interval{Start: time.Date(2024, 5, 3, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 9, 17, 0, 0, 0, 0, time.UTC)}},
	} {
		for _, interval := range store.HistogramIntervals {
			checkHistogram(t, db, raw, f, interval)
		}
	}
}

// Ranges that cut months, at both ends or one, at midnights or at any
// instant (an event's own among them), open at one end, with and without
// a box: clusters, histograms and counts are those of the events, read
// from the aggregates (no scan) whenever the range holds a whole month
// (without a box, a whole day), and from the events otherwise.
func TestRangesThatCutMonthsMatchTheEvents(t *testing.T) {
	t.Parallel()
	db, raw := openAggregates(t)
	fillRandom(t, raw, 2000, 11)
	ctx := context.Background()
	// An instant some events happened at, to the second.
	var at time.Time
	if err := raw.QueryRow(`SELECT occurred_at FROM events WHERE occurred_at <> date_trunc('day', occurred_at)
		AND occurred_at BETWEEN '2024-03-01' AND '2024-03-31' LIMIT 1`).Scan(&at); err != nil {
		t.Fatal(err)
	}
	day := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, time.UTC) }
	ranges := []struct {
		name  string
		iv    geo.Interval
		month bool // holds a whole month
		day   bool // holds a whole day
	}{
		{"both ends cut at midnights", geo.Interval{Start: day(2024, 7, 17, 0, 0), End: day(2025, 6, 13, 0, 0)}, true, true},
		{"both ends cut at instants", geo.Interval{Start: day(2024, 2, 10, 13, 47), End: day(2024, 9, 3, 5, 1).Add(time.Microsecond)}, true, true},
		{"start cut", geo.Interval{Start: day(2024, 3, 8, 9, 30), End: day(2024, 6, 1, 0, 0)}, true, true},
		{"end cut", geo.Interval{Start: day(2024, 3, 1, 0, 0), End: day(2024, 6, 19, 18, 0)}, true, true},
		{"open end, start cut", geo.Interval{Start: day(2025, 4, 29, 23, 59)}, true, true},
		{"open start, end cut", geo.Interval{End: day(2024, 2, 2, 2, 2)}, true, true},
		{"an event's instant at each end", geo.Interval{Start: at, End: at.AddDate(0, 3, 0)}, true, true},
		{"an event's instant, just after", geo.Interval{Start: at.Add(time.Microsecond), End: at.AddDate(0, 3, 0).Add(time.Microsecond)}, true, true},
		{"inside one month", geo.Interval{Start: day(2024, 5, 3, 6, 0), End: day(2024, 5, 28, 0, 0)}, false, true},
		{"across a month's start", geo.Interval{Start: day(2024, 5, 13, 0, 0), End: day(2024, 6, 20, 0, 0)}, false, true},
		{"inside one day", geo.Interval{Start: day(2024, 5, 3, 6, 0), End: day(2024, 5, 3, 18, 0)}, false, false},
		{"across a midnight", geo.Interval{Start: day(2024, 5, 3, 6, 0), End: day(2024, 5, 4, 18, 0)}, false, false},
	}
	boxes := []*geo.BBox{
		nil,
		{West: 36.0, South: 33.2, East: 36.9, North: 33.9},         // towns' surroundings, cut through
		{West: 179.9, South: -17, East: -179.9, North: -16},        // across the antimeridian
		{West: -180, South: -90, East: 180, North: 90},             // the world
		{West: 36.28, South: 33.50, East: 36.2801, North: 33.5001}, // under one cell
	}
	for _, c := range ranges {
		for _, b := range boxes {
			for _, kinds := range []bool{false, true} {
				f := store.EventFilter{BBox: b, Interval: c.iv, IncludeRestricted: kinds}
				if kinds {
					f.Types, f.Statuses = []string{"raid", "clash"}, []string{"reported", "confirmed"}
				}
				name := fmt.Sprintf("%s, box %v, kinds %v", c.name, b, kinds)
				t.Run(name, func(t *testing.T) {
					aggregates := c.month || (b == nil && c.day)
					n, ok, err := db.CountFromAggregates(ctx, f)
					if err != nil || ok != aggregates {
						t.Fatalf("count from the aggregates: ok %v, want %v; %v", ok, aggregates, err)
					}
					if want := liveCount(t, raw, f); ok && n != want {
						t.Errorf("count %d, want %d", n, want)
					}
					if got := store.SummaryScans("histogram", f, 0, "month"); got != !aggregates {
						t.Errorf("histogram per month scans %v, want %v", got, !aggregates)
					}
					intervals := []string{"month", "year"}
					if b == nil {
						intervals = store.HistogramIntervals
						if got := store.SummaryScans("histogram", f, 0, "week"); got != !c.day {
							t.Errorf("histogram per week scans %v, want %v", got, !c.day)
						}
					}
					for _, interval := range intervals {
						checkHistogram(t, db, raw, f, interval)
					}
					if b == nil {
						return // clusters are of a box
					}
					for _, zoom := range []int{0, 5, 9, 14} {
						if got := store.SummaryScans("clusters", f, zoom, ""); got != !c.month {
							t.Errorf("clusters at zoom %d scan %v, want %v", zoom, got, !c.month)
						}
						if zoom > 5 && b.East-b.West > 10 {
							continue // a grid of millions of cells
						}
						checkClusters(t, db, raw, f, zoom)
					}
				})
			}
		}
	}
}

// checkClusters compares ClusterEvents with the clusters computed here.
func checkClusters(t *testing.T, db *store.DB, raw *sql.DB, f store.EventFilter, zoom int) {
	t.Helper()
	cells, matched, err := db.ClusterEvents(context.Background(), f, zoom)
	if err != nil {
		t.Fatalf("clusters at %d: %v", zoom, err)
	}
	want := liveClusters(t, raw, f, zoom)
	if len(cells) != len(want) || matched != sumLive(want) {
		t.Errorf("zoom %d: %d cells of %d events, want %d cells of %d", zoom, len(cells), matched, len(want), sumLive(want))
		return
	}
	for k, c := range cells {
		w := want[k]
		if c.Count != w.n || c.ID != w.id || math.Abs(c.Lon-w.lon) > 1e-7 || math.Abs(c.Lat-w.lat) > 1e-7 ||
			c.West != w.west || c.South != w.south || c.East != w.east || c.North != w.nth {
			t.Errorf("zoom %d, cell %d: %+v, want %+v", zoom, k, c, w)
		}
	}
}

func sumLive(cells []liveCell) (n int64) {
	for _, c := range cells {
		n += c.n
	}
	return n
}

func checkHistogram(t *testing.T, db *store.DB, raw *sql.DB, f store.EventFilter, interval string) {
	t.Helper()
	got, err := db.EventHistogram(context.Background(), f, interval)
	if err != nil {
		t.Fatalf("histogram %+v per %s: %v", f, interval, err)
	}
	if want := liveHistogram(t, raw, f, interval); !slices.Equal(got, want) {
		t.Errorf("histogram per %s of %+v:\n got %v\nwant %v", interval, f, got, want)
	}
}

func liveHistogram(t *testing.T, raw *sql.DB, f store.EventFilter, interval string) []store.Bucket {
	t.Helper()
	var out []store.Bucket
	rows, err := raw.Query(`
		SELECT date_trunc($1, e.occurred_at AT TIME ZONE 'UTC'), count(*)
		FROM events e WHERE e.deleted_at IS NULL AND ($2 OR e.visibility = 'public')
			AND ($3::float8 IS NULL OR ST_Intersects(e.geom, ST_MakeEnvelope($3, $4, $5, $6, 4326))
				OR ST_Intersects(e.geom, ST_MakeEnvelope($7, $8, $9, $10, 4326)))
			AND (cardinality($11::text[]) = 0 OR e.type = ANY($11)) AND (cardinality($12::text[]) = 0 OR e.status = ANY($12))
			AND ($13::timestamptz IS NULL OR e.occurred_at >= $13) AND ($14::timestamptz IS NULL OR e.occurred_at < $14)
		GROUP BY 1 ORDER BY 1`, bboxArgs(f, interval)...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var b store.Bucket
		if err := rows.Scan(&b.Start, &b.Count); err != nil {
			t.Fatal(err)
		}
		b.Start = time.Date(b.Start.Year(), b.Start.Month(), b.Start.Day(), 0, 0, 0, 0, time.UTC)
		out = append(out, b)
	}
	return out
}

func bboxArgs(f store.EventFilter, interval string) []any {
	args := []any{interval, f.IncludeRestricted}
	var bs []orb.Bound
	if f.BBox != nil {
		bs = f.BBox.Bounds()
	}
	for k := range 2 {
		if k < len(bs) {
			b := bs[k]
			args = append(args, b.Min[0], b.Min[1], b.Max[0], b.Max[1])
		} else if k == 1 && len(bs) == 1 {
			b := bs[0]
			args = append(args, b.Min[0], b.Min[1], b.Max[0], b.Max[1])
		} else {
			args = append(args, nil, nil, nil, nil)
		}
	}
	null := func(tm time.Time) any {
		if tm.IsZero() {
			return nil
		}
		return tm
	}
	return append(args, pq.Array(nonNilStrings(f.Types)), pq.Array(nonNilStrings(f.Statuses)), null(f.Interval.Start), null(f.Interval.End))
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Summaries the aggregates cannot answer are counted from the events when
// few enough match, and refused with a 400 naming the parameter when too
// many do, before reading them.
func TestSummariesTheAggregatesCannotAnswerAreBounded(t *testing.T) {
	t.Parallel()
	db, raw := openAggregates(t)
	fillRandom(t, raw, 600, 9)
	db.SetRawSummaryLimit(100)
	ctx := context.Background()
	all := &geo.BBox{West: -180, South: -90, East: 180, North: 90}
	small := &geo.BBox{West: 36.28, South: 33.50, East: 36.30, North: 33.52}
	for _, c := range []struct {
		name  string
		f     store.EventFilter
		field string // "" when answered
	}{
		{"q over the map", store.EventFilter{BBox: all, Text: "random"}, "q"},
		{"q in a small box", store.EventFilter{BBox: small, Text: "random"}, ""},
		// About 40 events, past the limit of 20 set for it below.
		{"datetime holding no whole month", store.EventFilter{BBox: all, Interval: geo.Interval{
			Start: time.Date(2024, 1, 5, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 2, 25, 0, 0, 0, 0, time.UTC)}}, "datetime"},
		// Its whole months from the aggregates, only its ends event by
		// event: not refused, however many events the range holds.
		{"datetime cutting months around whole ones", store.EventFilter{BBox: all, Interval: geo.Interval{
			Start: time.Date(2024, 1, 5, 0, 0, 0, 0, time.UTC), End: time.Date(2025, 12, 25, 12, 0, 0, 0, time.UTC)}}, ""},
		{"country", store.EventFilter{BBox: all, Countries: []string{"SYR"}}, "country"},
		{"a filter", store.EventFilter{BBox: all, UpdatedSince: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}, "updated_since"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "datetime holding no whole month" {
				db.SetRawSummaryLimit(20)
				defer db.SetRawSummaryLimit(100)
			}
			_, _, err := db.ClusterEvents(ctx, c.f, 5)
			checkRefusal(t, err, c.field)
			_, err = db.EventHistogram(ctx, c.f, "month")
			checkRefusal(t, err, c.field)
		})
	}
	_, err := db.EventHistogram(ctx, store.EventFilter{BBox: all}, "week")
	checkRefusal(t, err, "interval")
	if _, _, err := db.ClusterEvents(ctx, store.EventFilter{BBox: all}, 16); err != nil {
		// Zoom 16 over the map has more than 100 events: refused too.
		checkRefusal(t, err, "zoom")
	} else {
		t.Errorf("zoom 16 over 600 events answered past the limit of 100")
	}
}

func checkRefusal(t *testing.T, err error, field string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Errorf("refused: %v", err)
		}
		return
	}
	var e *eventmap.Error
	if !errors.As(err, &e) || e.Code != eventmap.EINVALID || len(e.Errors) != 1 || e.Errors[0].Field != field ||
		!strings.Contains(e.Errors[0].Rule, "narrow") {
		t.Errorf("got %v, want an EINVALID naming %s and saying how to narrow", err, field)
	}
}
