package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"eventmap"
	"eventmap/geo"
	"eventmap/store"
)

// The map's requests: clusters and histogram for the view of a
// 1400×900-pixel map at each zoom, and the crowded vector tiles. Each is
// requested one at a time on an otherwise idle server (the cost of one
// map view), a few dozen times, the view moved by up to 5 % of its size
// each time as a user's pans move it.

const (
	viewWidth, viewHeight = 1400, 900
	minZoom, maxViewZoom  = 3, 12
)

// mapFilter is one set of the map's filters.
type mapFilter struct {
	name   string
	params url.Values
}

// mapFilters: none; what the map's panel and time slider send (whole
// months, two types, two statuses); and the same with a range of days
// that starts and ends inside months, as an API user would ask.
var mapFilters = []mapFilter{
	{"no filter", url.Values{}},
	{"months, 2 types, 2 statuses", url.Values{
		"datetime": {"2023-07-01/2024-06-30"}, "type": {"airstrike,clash"}, "status": {"confirmed,corroborated"}}},
	{"days, 2 types, 2 statuses", url.Values{
		"datetime": {"2023-07-17/2024-06-12"}, "type": {"airstrike,clash"}, "status": {"confirmed,corroborated"}}},
}

// viewCentre is where the map looks at zoom: Syria whole while a view
// holds it, else the densest town.
func viewCentre(sc scene, z int) (lon, lat float64, what string) {
	lon, lat = (syria[0]+syria[2])/2, (syria[1]+syria[3])/2
	if mapView(lon, lat, z, viewWidth, viewHeight).contains(syria) {
		return lon, lat, "Syria"
	}
	lon, lat = sc.center()
	return lon, lat, sc.town
}

// mapSample is one measured map request.
type mapSample struct {
	endpoint, filter string
	zoom             int
	where            string // what the view shows (Syria, a town, a tile)
	example          string // one URL of it
	st               *sampleStats
	matched          int64 // numberMatched of the first answer; -1 when not given
	features         int   // cells in a clusters answer, buckets in a histogram
}

// sampleStats are latencies of sequential requests, failures included:
// a 503 after the statement timeout is a latency too.
type sampleStats struct {
	lat    []time.Duration
	bytes  int64
	failed map[int]int // status → count (0: transport error)
}

func (s *sampleStats) loadStats() *loadStats {
	return &loadStats{requests: int64(len(s.lat)), lat: s.lat, bytes: s.bytes}
}

func (s *sampleStats) failures() int {
	n := 0
	for _, c := range s.failed {
		n += c
	}
	return n
}

// sample requests next() n times, one after the other, stopping early
// (after at least minSamples) once budget has passed, so a slow endpoint
// costs the run a bounded time. The first answer's body goes to first.
func sample(ctx context.Context, c *http.Client, n int, budget time.Duration, next func() string, first func([]byte)) *sampleStats {
	const minSamples = 5
	st := &sampleStats{failed: map[int]int{}}
	started := time.Now()
	for i := 0; i < n && ctx.Err() == nil; i++ {
		if i >= minSamples && time.Since(started) > budget {
			break
		}
		req, _ := http.NewRequestWithContext(ctx, "GET", next(), nil)
		t0 := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			st.failed[0]++
			st.lat = append(st.lat, time.Since(t0))
			continue
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		st.lat = append(st.lat, time.Since(t0))
		st.bytes += int64(len(body))
		if err != nil || resp.StatusCode != http.StatusOK {
			st.failed[resp.StatusCode]++
			continue
		}
		if first != nil {
			first(body)
			first = nil
		}
	}
	return st
}

// measureMap runs the clusters, histogram and crowded-tile requests
// against base.
func measureMap(ctx context.Context, o *Options, base string, sc scene, seed uint64) []mapSample {
	c := newClient(1)
	r := rand.New(rand.NewPCG(seed, 3))
	var out []mapSample
	for z := minZoom; z <= maxViewZoom; z++ {
		lon, lat, where := viewCentre(sc, z)
		for _, f := range mapFilters {
			for _, endpoint := range []string{"clusters", "histogram"} {
				// A new view each request: moved by up to 5 % of its width
				// and height, as pans would.
				view := func() box {
					v := mapView(lon, lat, z, viewWidth, viewHeight)
					dx := (v[2] - v[0]) * 0.05 * (2*r.Float64() - 1)
					dy := (v[3] - v[1]) * 0.05 * (2*r.Float64() - 1)
					return mapView(lon+dx, lat+dy, z, viewWidth, viewHeight)
				}
				next := func() string {
					q := url.Values{}
					for k, v := range f.params {
						q[k] = v
					}
					q.Set("bbox", view().param())
					if endpoint == "clusters" {
						q.Set("zoom", fmt.Sprint(z))
					} else {
						q.Set("interval", "month")
					}
					return base + "/collections/events/" + endpoint + "?" + q.Encode()
				}
				m := mapSample{endpoint: endpoint, filter: f.name, zoom: z, where: where, matched: -1}
				m.example = next()
				warm(ctx, next, 1)
				m.st = sample(ctx, c, o.MapRequests, o.MapBudget, next, func(body []byte) {
					var v struct {
						NumberMatched *int64            `json:"numberMatched"`
						Features      []json.RawMessage `json:"features"`
						Buckets       []json.RawMessage `json:"buckets"`
					}
					if json.Unmarshal(body, &v) == nil {
						if v.NumberMatched != nil {
							m.matched = *v.NumberMatched
						}
						m.features = len(v.Features) + len(v.Buckets)
					}
				})
				o.logf("map: %s z%d %s (%s): p50 %s p95 %s, %d requests, %d failed", endpoint, z, f.name, where,
					ms(m.st.loadStats().pct(0.5)), ms(m.st.loadStats().pct(0.95)), len(m.st.lat), m.st.failures())
				out = append(out, m)
			}
		}
	}
	for _, t := range sc.tiles {
		u := fmt.Sprintf("%s/collections/events/tiles/WebMercatorQuad/%d/%d/%d", base, t.z, t.y, t.x)
		next := func() string { return u }
		warm(ctx, next, 1)
		// matched: the tile's events, as counted per 0.01° cell.
		m := mapSample{endpoint: "tile", filter: "no filter", zoom: t.z, where: fmt.Sprintf("%d/%d/%d", t.z, t.y, t.x), example: u, matched: t.events}
		m.st = sample(ctx, c, o.MapRequests, o.MapBudget, next, nil)
		o.logf("map: tile %s: p50 %s p95 %s, %d requests, %d failed", m.where,
			ms(m.st.loadStats().pct(0.5)), ms(m.st.loadStats().pct(0.95)), len(m.st.lat), m.st.failures())
		out = append(out, m)
	}
	// The collection's description: the map reads its temporal extent
	// once, for the time slider, and GIS clients read it first.
	u := base + "/collections/events"
	next := func() string { return u }
	m := mapSample{endpoint: "collection", filter: "no filter", where: "/collections/events", example: u, matched: -1}
	m.st = sample(ctx, c, min(o.MapRequests, 10), o.MapBudget, next, nil)
	o.logf("map: collection: p50 %s p95 %s, %d failed", ms(m.st.loadStats().pct(0.5)), ms(m.st.loadStats().pct(0.95)), m.st.failures())
	out = append(out, m)
	return out
}

// filterOf is the store filter of a map request's query: bbox, datetime,
// type and status, the parameters the bench sends.
func filterOf(q url.Values) (store.EventFilter, error) {
	var f store.EventFilter
	if v := q.Get("bbox"); v != "" {
		b, err := geo.ParseBBox(v)
		if err != nil {
			return f, err
		}
		f.BBox = &b
	}
	if v := q.Get("datetime"); v != "" {
		iv, err := geo.ParseDatetime(v)
		if err != nil {
			return f, err
		}
		f.Interval = iv
	}
	if v := q.Get("type"); v != "" {
		f.Types = strings.Split(v, ",")
	}
	if v := q.Get("status"); v != "" {
		f.Statuses = strings.Split(v, ",")
	}
	return f, nil
}

// explainSummary is the plan of the aggregates' statement that answers m
// (clusters or histogram), or why there is none: the filter the
// aggregates cannot answer, which the server then reads event by event.
func explainSummary(ctx context.Context, dbURL string, m *mapSample) (explained, error) {
	what := fmt.Sprintf("%s, zoom %d, %s (p95 %s): `%s`", m.endpoint, m.zoom, m.filter, ms(p95(m)), m.example[strings.Index(m.example, "/collections"):])
	u, err := url.Parse(m.example)
	if err != nil {
		return explained{}, err
	}
	f, err := filterOf(u.Query())
	if err != nil {
		return explained{}, err
	}
	db, err := store.Open(ctx, store.Options{URL: dbURL})
	if err != nil {
		return explained{}, err
	}
	defer db.Close()
	plan, err := db.ExplainSummary(ctx, m.endpoint, f, m.zoom, "month")
	var e *eventmap.Error
	if errors.As(err, &e) && e.Code == eventmap.EINVALID {
		return explained{what, "not answered from the aggregates (" + err.Error() + "): the server reads the events one by one, under its raw-path guard\n"}, nil
	}
	return explained{what, plan}, err
}
