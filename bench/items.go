package bench

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"eventmap/store"
)

// The items page in the densest box, as users get it (default settings),
// against the simplest statement that returns what they asked for: the
// table's columns as a FeatureCollection (store.ColumnItemsSQL), run by
// pgbench. Besides them: the same FeatureCollection with eventmap's
// properties built per row (store.BaselineItemsSQL), eventmap with
// counting off (EVENTMAP_COUNT_LIMIT=0), which prices numberMatched, and
// eventmap with the box moved a little every request: eventmap keeps a
// count per filter and version of the data, so the same box asked again
// is counted once, and the moved box shows what a count costs every time.

// itemSides are the five sides of an items comparison, in the order they
// take turns.
var itemSides = []string{"eventmap", "eventmap-moving", "eventmap-nocount", "columns", "baseline"}

// movedBox is b moved by up to a hundredth of its size in each direction,
// a different box (and count) every call.
func movedBox(b box, r *rand.Rand) box {
	dx, dy := (b[2]-b[0])/100*(2*r.Float64()-1), (b[3]-b[1])/100*(2*r.Float64()-1)
	return box{b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy}
}

// itemsRun is one page size in one database.
type itemsRun struct {
	limit int
	sides map[string]*loadStats
	// bytes of one answer of each SQL side (the box is fixed, so every
	// answer is the same); eventmap's sides count theirs as they go.
	sqlBytes map[string]int64
	scripts  map[string]string
}

func (r itemsRun) bytesPerSecond(side string) float64 {
	st := r.sides[side]
	if b, ok := r.sqlBytes[side]; ok {
		return st.rps() * float64(b)
	}
	return float64(st.bytes) / st.seconds
}

func (r itemsRun) bytesPerPage(side string) float64 {
	if b, ok := r.sqlBytes[side]; ok {
		return float64(b)
	}
	return r.sides[side].bytesPer()
}

// pgOptions gives pgbench's sessions the settings eventmap sets for every
// page (SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit =
// off), without eventmap's round trips for them.
const pgOptions = "-c jit=off -c max_parallel_workers_per_gather=0"

// boxScript is a pgbench script running stmt for bbox b and page size
// limit, bound as parameters ($1-$5) as lib/pq binds them.
func boxScript(stmt string, b box, limit int) string {
	for i, v := range []string{":w", ":s", ":e", ":n", ":lim"} {
		stmt = strings.ReplaceAll(stmt, "$"+strconv.Itoa(i+1), v)
	}
	return fmt.Sprintf("\\set w %.4f\n\\set s %.4f\n\\set e %.4f\n\\set n %.4f\n\\set lim %d\n%s;\n",
		b[0], b[1], b[2], b[3], limit, strings.Join(strings.Fields(stmt), " "))
}

// sqlAnswerBytes runs stmt once with the pgbench sessions' settings and
// returns the size of its one text value.
func sqlAnswerBytes(ctx context.Context, dbURL, stmt string, b box, limit int) (int64, error) {
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off`); err != nil {
		return 0, err
	}
	var text string
	if err := tx.QueryRowContext(ctx, stmt, b[0], b[1], b[2], b[3], limit).Scan(&text); err != nil {
		return 0, err
	}
	return int64(len(text)), nil
}

// measureItems compares the four sides at one page size, in alternating
// turns of d/alternateRounds each.
func measureItems(ctx context.Context, o *Options, dbURL string, sc scene, srv, nocount *server, limit int) (itemsRun, error) {
	r := itemsRun{limit: limit, sqlBytes: map[string]int64{}, scripts: map[string]string{}}
	u := func(base string) func() string {
		s := fmt.Sprintf("%s/collections/events/items?bbox=%s&limit=%d", base, sc.dense.param(), limit)
		return func() string { return s }
	}
	for side, stmt := range map[string]string{"columns": store.ColumnItemsSQL(), "baseline": store.BaselineItemsSQL()} {
		n, err := sqlAnswerBytes(ctx, dbURL, stmt, sc.dense, limit)
		if err != nil {
			return r, fmt.Errorf("%s statement: %w", side, err)
		}
		r.sqlBytes[side] = n
		r.scripts[side] = boxScript(stmt, sc.dense, limit)
	}
	warm(ctx, u(srv.base), 5)
	warm(ctx, u(nocount.base), 5)
	runs := map[string]func(time.Duration) (*loadStats, error){
		"eventmap": func(d time.Duration) (*loadStats, error) {
			return closedLoop(ctx, o.Clients, d, false, u(srv.base))
		},
		"eventmap-moving": func(d time.Duration) (*loadStats, error) {
			var mu sync.Mutex
			rnd := rand.New(rand.NewPCG(o.Seed, 2))
			return closedLoop(ctx, o.Clients, d, false, func() string {
				mu.Lock()
				b := movedBox(sc.dense, rnd)
				mu.Unlock()
				// Six decimals: param's four would repeat boxes.
				return fmt.Sprintf("%s/collections/events/items?bbox=%.6f,%.6f,%.6f,%.6f&limit=%d", srv.base, b[0], b[1], b[2], b[3], limit)
			})
		},
		"eventmap-nocount": func(d time.Duration) (*loadStats, error) {
			return closedLoop(ctx, o.Clients, d, false, u(nocount.base))
		},
		"columns": func(d time.Duration) (*loadStats, error) {
			return pgbench(ctx, o, dbURL, r.scripts["columns"], o.Clients, d, 0)
		},
		"baseline": func(d time.Duration) (*loadStats, error) {
			return pgbench(ctx, o, dbURL, r.scripts["baseline"], o.Clients, d, 0)
		},
	}
	var fns []func(time.Duration) (*loadStats, error)
	for _, side := range itemSides {
		fns = append(fns, runs[side])
	}
	sts, err := alternateAll(o.Duration, fns...)
	if err != nil {
		return r, err
	}
	r.sides = map[string]*loadStats{}
	for i, side := range itemSides {
		r.sides[side] = sts[i]
	}
	return r, nil
}
