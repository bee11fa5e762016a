package demo

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/paulmach/orb"

	"eventmap"
	"eventmap/store"
)

// Synthetic events are for load tests and benchmarks: numbers of events no
// sample file holds, shaped like real conflict data so that indexes,
// plans and page sizes behave as they would on it. Events cluster around
// real Syrian and Iraqi towns (a big city gets many more than a village,
// and most fall within a few kilometres of the centre), types, statuses
// and precisions are mixed in plausible proportions, a tenth of the
// region-precision events are areas, and 2 % are restricted. The same
// seed always gives the same events, ids included, so a benchmark
// database can be recognised and reused. Events come oldest first, as a
// monitoring feed or an ACLED export delivers them, so the table's pages
// follow time the way a real one's do.

// town is a place events cluster around. weight is its share of events;
// spread is the standard deviation of the distance from the centre, in
// degrees (0.01° is about 1 km).
type town struct {
	name, admin1, country string
	lon, lat              float64
	weight                float64
	spread                float64
}

// Towns are the synthetic events' centres. Exported for the benchmark,
// which draws its city-sized boxes around them.
var syntheticTowns = []town{
	{"Damascus", "Damascus", "SYR", 36.2913, 33.5138, 10, 0.04},
	{"Douma", "Rif Dimashq", "SYR", 36.4015, 33.5716, 4, 0.02},
	{"Dumayr", "Rif Dimashq", "SYR", 36.6933, 33.6431, 1, 0.02},
	{"Aleppo", "Aleppo", "SYR", 37.1343, 36.2021, 10, 0.05},
	{"Idlib", "Idlib", "SYR", 36.6331, 35.9306, 8, 0.04},
	{"Maarat al-Numan", "Idlib", "SYR", 36.6717, 35.6481, 4, 0.02},
	{"Homs", "Homs", "SYR", 36.7237, 34.7324, 6, 0.04},
	{"Palmyra", "Homs", "SYR", 38.2684, 34.5503, 3, 0.05},
	{"Hama", "Hama", "SYR", 36.7578, 35.1318, 4, 0.03},
	{"Latakia", "Latakia", "SYR", 35.7897, 35.5317, 2, 0.03},
	{"Tartus", "Tartus", "SYR", 35.8867, 34.8890, 1, 0.02},
	{"Daraa", "Daraa", "SYR", 36.1021, 32.6189, 6, 0.03},
	{"Quneitra", "Quneitra", "SYR", 35.8245, 33.1259, 2, 0.02},
	{"As-Suwayda", "As-Suwayda", "SYR", 36.5662, 32.7089, 3, 0.03},
	{"Deir ez-Zor", "Deir ez-Zor", "SYR", 40.1408, 35.3359, 8, 0.05},
	{"Al-Mayadin", "Deir ez-Zor", "SYR", 40.4516, 35.0192, 4, 0.03},
	{"Al-Bukamal", "Deir ez-Zor", "SYR", 40.9150, 34.4530, 3, 0.03},
	{"Raqqa", "Ar-Raqqa", "SYR", 39.0094, 35.9528, 6, 0.04},
	{"Tabqa", "Ar-Raqqa", "SYR", 38.5481, 35.8372, 2, 0.02},
	{"Al-Hasakah", "Al-Hasakeh", "SYR", 40.7483, 36.5024, 4, 0.03},
	{"Qamishli", "Al-Hasakeh", "SYR", 41.2278, 37.0522, 3, 0.03},
	{"Manbij", "Aleppo", "SYR", 37.9536, 36.5281, 3, 0.03},
	{"Afrin", "Aleppo", "SYR", 36.8706, 36.5108, 2, 0.02},
	{"Kobani", "Aleppo", "SYR", 38.3575, 36.8903, 2, 0.02},
	{"Baghdad", "Baghdad", "IRQ", 44.3661, 33.3152, 8, 0.06},
	{"Mosul", "Ninewa", "IRQ", 43.1188, 36.3450, 6, 0.05},
	{"Tal Afar", "Ninewa", "IRQ", 42.4507, 36.3740, 2, 0.02},
	{"Sinjar", "Ninewa", "IRQ", 41.8728, 36.3209, 2, 0.03},
	{"Kirkuk", "Kirkuk", "IRQ", 44.3922, 35.4681, 4, 0.04},
	{"Tikrit", "Salah al-Din", "IRQ", 43.6794, 34.6158, 3, 0.03},
	{"Samarra", "Salah al-Din", "IRQ", 43.8760, 34.1959, 2, 0.02},
	{"Fallujah", "Al-Anbar", "IRQ", 43.7792, 33.3490, 3, 0.03},
	{"Ramadi", "Al-Anbar", "IRQ", 43.3058, 33.4258, 3, 0.03},
	{"Al-Qaim", "Al-Anbar", "IRQ", 41.0330, 34.3700, 1, 0.02},
	{"Baqubah", "Diyala", "IRQ", 44.6553, 33.7466, 2, 0.03},
	{"Erbil", "Erbil", "IRQ", 44.0092, 36.1911, 2, 0.04},
	{"Basra", "Basra", "IRQ", 47.7804, 30.5085, 2, 0.04},
}

// SyntheticBox is a town's centre, for the benchmark's city-sized boxes.
type SyntheticBox struct {
	Name     string
	Lon, Lat float64
	// Share is the town's expected fraction of all synthetic events.
	Share float64
}

// SyntheticTowns lists the towns synthetic events cluster around.
func SyntheticTowns() []SyntheticBox {
	total := 0.0
	for _, t := range syntheticTowns {
		total += t.weight
	}
	out := make([]SyntheticBox, len(syntheticTowns))
	for i, t := range syntheticTowns {
		out[i] = SyntheticBox{Name: t.name, Lon: t.lon, Lat: t.lat, Share: t.weight / total}
	}
	return out
}

type weighted[T any] struct {
	v T
	w float64
}

func pick[T any](r *rand.Rand, choices []weighted[T]) T {
	total := 0.0
	for _, c := range choices {
		total += c.w
	}
	x := r.Float64() * total
	for _, c := range choices {
		if x < c.w {
			return c.v
		}
		x -= c.w
	}
	return choices[len(choices)-1].v
}

var (
	synTypes = []weighted[string]{
		{"clash", 30}, {"airstrike", 22}, {"explosion", 14}, {"raid", 10},
		{"arrest", 9}, {"cache_destruction", 5}, {"other", 10},
	}
	synStatuses = []weighted[string]{
		{"reported", 40}, {"corroborated", 30}, {"confirmed", 22}, {"disputed", 6}, {"retracted", 2},
	}
	synTimePrecisions = []weighted[string]{{"exact", 10}, {"day", 70}, {"week", 15}, {"month", 5}}
	synGeoPrecisions  = []weighted[string]{{"exact", 55}, {"town", 35}, {"region", 10}}
	synActors         = []weighted[string]{
		{"Islamic State", 14}, {"Syrian Democratic Forces", 10}, {"Syrian Arab Army", 12},
		{"Hayat Tahrir al-Sham", 8}, {"Syrian National Army", 7}, {"Free Syrian Army", 3},
		{"US-led coalition", 4}, {"Russian Armed Forces", 4}, {"Turkish Armed Forces", 4},
		{"Iraqi Security Forces", 8}, {"Popular Mobilization Forces", 5}, {"Peshmerga", 3},
		{"Israeli Air Force", 2}, {"Unidentified armed group", 8}, {"Civilians", 10},
	}
	synPublishers = []weighted[string]{
		{"SOHR", 30}, {"SANA", 10}, {"Enab Baladi", 12}, {"Rudaw", 8}, {"Shafaq News", 8},
		{"Reuters", 10}, {"AFP", 8}, {"Local monitor", 14},
	}
	typeWords = map[string]string{
		"clash": "Clashes", "airstrike": "Air strike", "explosion": "IED explosion", "raid": "Night raid",
		"arrest": "Arrests", "cache_destruction": "Weapons cache destroyed", "other": "Incident",
	}
)

// Synthetic returns a row reader yielding n synthetic events made from
// seed, oldest first, for store.Import; it returns io.EOF after the last
// one. Each call starts the same sequence again.
func Synthetic(n int, seed uint64) func() (eventmap.Row, error) {
	r := rand.New(rand.NewPCG(seed, 0x65766e746d6170)) // "evntmap"
	// Times in order without holding them: the sums of exponential gaps,
	// divided by the sum of all n+1, are n sorted uniform draws. The gaps
	// come from a stream of their own, read twice.
	gaps := func() *rand.Rand { return rand.New(rand.NewPCG(seed, 0x74696d65)) } // "time"
	total, g := 0.0, gaps()
	for range n + 1 {
		total += g.ExpFloat64()
	}
	g, sum := gaps(), 0.0
	towns := make([]weighted[int], len(syntheticTowns))
	for i, t := range syntheticTowns {
		towns[i] = weighted[int]{i, t.weight}
	}
	start := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	span := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Sub(start)
	i := 0
	return func() (eventmap.Row, error) {
		if i >= n {
			return eventmap.Row{}, io.EOF
		}
		i++
		sum += g.ExpFloat64()
		ev := syntheticEvent(r, i, seed, sum/total, towns, start, span)
		return eventmap.Row{Line: i, Event: ev}, nil
	}
}

func syntheticEvent(r *rand.Rand, i int, seed uint64, when float64, towns []weighted[int], start time.Time, span time.Duration) *eventmap.Event {
	t := syntheticTowns[pick(r, towns)]
	ev := &eventmap.Event{
		ID:            uuidFrom(r),
		ExternalID:    "SYN" + strconv.FormatUint(seed, 10) + "-" + strconv.Itoa(i),
		Type:          pick(r, synTypes),
		Status:        pick(r, synStatuses),
		TimePrecision: pick(r, synTimePrecisions),
		GeoPrecision:  pick(r, synGeoPrecisions),
		Place:         t.name,
		Admin1:        t.admin1,
		Country:       t.country,
		Visibility:    "public",
		Tags:          []string{"synthetic"},
	}
	if r.IntN(50) == 0 {
		ev.Visibility = "restricted"
	}
	// Later years have more reports, as monitors grew: a density rising
	// linearly over the span.
	at := start.Add(time.Duration(math.Sqrt(when) * float64(span)))
	switch ev.TimePrecision {
	case "day":
		at = at.Truncate(24 * time.Hour)
	case "week":
		at = at.Truncate(24 * time.Hour)
		at = at.AddDate(0, 0, -int((at.Weekday()+6)%7))
	case "month":
		at = time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC)
	default:
		at = at.Truncate(time.Minute)
	}
	ev.OccurredAt = at

	// Distance from the centre: normal in each axis, so most events fall
	// within a few kilometres and a few far out.
	lon := t.lon + r.NormFloat64()*t.spread
	lat := t.lat + r.NormFloat64()*t.spread
	switch ev.GeoPrecision {
	case "town":
		lon, lat = t.lon+r.NormFloat64()*0.002, t.lat+r.NormFloat64()*0.002
	case "region":
		if r.IntN(10) == 0 {
			ev.Geometry = blob(r, lon, lat, 0.05+r.Float64()*0.25)
		}
	}
	if ev.Geometry == nil {
		ev.Geometry = orb.Point{round6(lon), round6(lat)}
	}

	if r.IntN(5) > 0 {
		f := int(r.ExpFloat64() * 2.5)
		ev.Fatalities = &f
		if r.IntN(3) == 0 {
			c := r.IntN(f + 1)
			ev.CivilianFatalities = &c
		}
	}
	word := typeWords[ev.Type]
	ev.Title = fmt.Sprintf("%s near %s", word, t.name)
	ev.Summary = fmt.Sprintf("Synthetic event %d: %s reported near %s (%s) on %s. Generated for load tests; not a real event.",
		i, word, t.name, t.admin1, at.Format("2 January 2006"))

	roles := []string{"perpetrator", "target"}
	if ev.Type == "arrest" || ev.Type == "raid" {
		roles = append(roles, "victim")
	}
	if r.IntN(4) == 0 {
		roles = append(roles, "partner")
	}
	for _, role := range roles[:1+r.IntN(len(roles))] {
		ev.Actors = append(ev.Actors, eventmap.EventActor{Name: pick(r, synActors), Role: role})
	}
	for range 1 + r.IntN(2) {
		pub := pick(r, synPublishers)
		// Reports are shared by a few events, as one article covers a day's
		// events in a province.
		url := fmt.Sprintf("https://example.org/synthetic/%d/%s/%d", seed, urlWord(pub), r.IntN(max(1, i/3+1)))
		published := at.Add(time.Duration(r.IntN(72)) * time.Hour)
		ev.Sources = append(ev.Sources, eventmap.EventSource{URL: url, Publisher: pub, PublishedAt: &published})
	}
	return ev
}

// blob is a rough, valid, counter-clockwise polygon of about radius deg
// around a point: an area "somewhere around" a town.
func blob(r *rand.Rand, lon, lat, radius float64) orb.Polygon {
	const sides = 8
	ring := make(orb.Ring, 0, sides+1)
	for k := range sides {
		a := 2 * math.Pi * float64(k) / sides
		d := radius * (0.7 + 0.3*r.Float64())
		ring = append(ring, orb.Point{round6(lon + d*math.Cos(a)), round6(lat + d*math.Sin(a))})
	}
	ring = append(ring, ring[0])
	return orb.Polygon{ring}
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

func urlWord(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == ' ' {
			b[i] = '-'
		}
	}
	return string(b)
}

// uuidFrom draws a version 4 UUID from r, so ids follow from the seed.
func uuidFrom(r *rand.Rand) string {
	var b [16]byte
	hi, lo := r.Uint64(), r.Uint64()
	for k := range 8 {
		b[k] = byte(hi >> (8 * k))
		b[8+k] = byte(lo >> (8 * k))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for k, c := range b {
		if k == 4 || k == 6 || k == 8 || k == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&0x0f])
	}
	return string(out)
}

// LoadSynthetic imports n synthetic events from seed through the bulk
// import path (COPY, set-based upsert, one revision each). Their external
// ids carry the seed and position, so loading the same n and seed again
// changes nothing. step, if not nil, is told each step of the import and
// its time (store.ImportOptions.Step).
func LoadSynthetic(ctx context.Context, db *store.DB, n int, seed uint64, step func(string, time.Duration)) (eventmap.ImportResult, error) {
	return db.Import(ctx, Synthetic(n, seed), store.ImportOptions{
		Editor: "demo-data", Reason: fmt.Sprintf("synthetic events (seed %d)", seed),
		// Synthetic data is for a database being set up for a benchmark or a
		// load test: waiting readers are no loss, and the load is much faster.
		Exclusive: true,
		Step:      step,
	})
}
