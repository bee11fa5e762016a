package exchange

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
	"github.com/paulmach/orb/planar"

	"eventmap"
)

// Citation says which state of the data an export holds, so a paper can
// cite it and a later export can be compared with it.
type Citation struct {
	// DatasetVersion is the highest revision number in the database when
	// the export's snapshot was taken: two exports with the same version
	// hold the same data.
	DatasetVersion int64     `json:"dataset_version"`
	ExportedAt     time.Time `json:"exported_at"`
	Events         int64     `json:"events"`
	// Query is the selection, as export flags or items parameters.
	Query string `json:"query,omitempty"`
	// Source names the database or server exported from.
	Source string `json:"source,omitempty"`
}

// Text is the citation as one line for people.
func (c Citation) Text() string {
	s := fmt.Sprintf("eventmap export of %d event(s), dataset version %d, exported %s", c.Events, c.DatasetVersion, c.ExportedAt.UTC().Format(time.RFC3339))
	if c.Query != "" {
		s += ", selection: " + c.Query
	}
	if c.Source != "" {
		s += ", from " + c.Source
	}
	return s
}

// Writer writes Features, as PostGIS built them, in one format.
type Writer interface {
	Write(feature []byte) error
	// Close ends the document and flushes; it does not close the
	// underlying writer.
	Close() error
}

// NewWriter writes format f to w. A GeoJSON collection carries the
// citation as a foreign member ("eventmap"); CSV and NDJSON have no place
// for it, so the caller puts it beside the file (a sidecar) or in headers.
func NewWriter(w io.Writer, f Format, c Citation) (Writer, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	switch f {
	case CSV:
		cw := NewCSVWriter(bw)
		return &flushing{Writer: cw, bw: bw}, nil
	case GeoJSON:
		meta, _ := json.Marshal(c)
		fmt.Fprintf(bw, `{"type":"FeatureCollection","eventmap":%s,"features":[`, meta)
		return &collectionWriter{bw: bw}, nil
	case NDJSON:
		return &seqWriter{bw: bw}, nil
	}
	return nil, eventmap.Invalid("format", fmt.Sprintf("must be one of csv, geojson, ndjson, got %q", f))
}

type flushing struct {
	Writer
	bw *bufio.Writer
}

func (f *flushing) Close() error {
	if err := f.Writer.Close(); err != nil {
		return err
	}
	return f.bw.Flush()
}

type collectionWriter struct {
	bw *bufio.Writer
	n  int
}

func (c *collectionWriter) Write(feature []byte) error {
	if c.n > 0 {
		c.bw.WriteByte(',')
	}
	c.n++
	c.bw.WriteByte('\n')
	_, err := c.bw.Write(feature)
	return err
}

func (c *collectionWriter) Close() error {
	c.bw.WriteString("\n]}\n")
	return c.bw.Flush()
}

type seqWriter struct{ bw *bufio.Writer }

func (s *seqWriter) Write(feature []byte) error {
	s.bw.Write(feature)
	return s.bw.WriteByte('\n')
}

func (s *seqWriter) Close() error { return s.bw.Flush() }

// CSVWriter writes Features as rows of Columns.
type CSVWriter struct {
	w      *csv.Writer
	out    io.Writer
	header bool
	rec    []string
}

// NewCSVWriter writes the header row first.
func NewCSVWriter(w io.Writer) *CSVWriter {
	return &CSVWriter{w: csv.NewWriter(w), out: w, rec: make([]string, len(Columns))}
}

func (c *CSVWriter) Write(feature []byte) error {
	if !c.header {
		c.header = true
		if err := c.w.Write(Columns); err != nil {
			return err
		}
	}
	ev, err := eventmap.DecodeServedFeature(feature)
	if err != nil {
		return fmt.Errorf("exchange: %w", err)
	}
	if err := record(ev, c.rec); err != nil {
		return err
	}
	return c.w.Write(c.rec)
}

// Close writes the header if no row did, and flushes.
func (c *CSVWriter) Close() error {
	if !c.header {
		c.header = true
		c.w.Write(Columns)
	}
	c.w.Flush()
	return c.w.Error()
}

// record fills rec (len(Columns)) with the event's row: the properties
// with a CSV column of their own as csvValue writes them, then ACLED's
// columns, which code or combine several properties.
func record(ev *eventmap.Event, rec []string) error {
	vals := make(map[string]string, len(Columns))
	for i := range eventmap.Properties {
		if p := &eventmap.Properties[i]; p.CSV != "" {
			vals[p.CSV] = csvValue(p, ev)
		}
	}
	kept := func(k, def string) string {
		if v, ok := ev.Extra[k]; ok {
			return v
		}
		return def
	}
	// ACLED's own columns, kept from an import, go back as they came
	// unless the event was since edited to say otherwise: a stale pair
	// would be counted as the old type by ACLED scripts, and a stale iso
	// would move the event back to the old country on re-import.
	acled := toACLED[ev.Type]
	if et, st := ev.Extra["event_type"], ev.Extra["sub_event_type"]; et != "" && acledType(et, st) == ev.Type {
		acled = [3]string{kept("disorder_type", acled[0]), et, st}
	}
	var actor1, assoc1, actor2, assoc2 []string
	for _, a := range ev.Actors {
		switch a.Role {
		case "perpetrator":
			if len(actor1) == 0 {
				actor1 = append(actor1, a.Name)
			} else {
				assoc1 = append(assoc1, a.Name)
			}
		case "partner":
			assoc1 = append(assoc1, a.Name)
		case "target", "victim":
			if len(actor2) == 0 {
				actor2 = append(actor2, a.Name)
			} else {
				assoc2 = append(assoc2, a.Name)
			}
		}
	}
	c := byAlpha3[ev.Country]
	iso, countryName := "", c.name
	if c.alpha3 != "" {
		iso = strconv.Itoa(c.numeric)
	}
	if !movedFromKeptCountry(ev.Country, ev.Extra) {
		iso, countryName = kept("iso", iso), kept("country", countryName)
	}
	var publishers []string
	for _, s := range ev.Sources {
		if s.Publisher != "" && !slices.Contains(publishers, s.Publisher) {
			publishers = append(publishers, s.Publisher)
		}
	}
	var others map[string]string
	for k, v := range ev.Extra {
		if !slices.Contains(keptColumns, k) {
			if others == nil {
				others = map[string]string{}
			}
			others[k] = v
		}
	}
	vals["extra"] = ""
	if others != nil {
		b, _ := json.Marshal(others)
		vals["extra"] = string(b)
	}
	pos := Position(ev.Geometry)
	// ACLED's event_date is the day where the event happened: in the
	// event's own zone when it has one, and occurred_at is written in the
	// same offset so that the reader finds them on the same day.
	occurred := ev.OccurredAt.UTC()
	if loc := eventmap.Location(ev.TZ); loc != nil {
		occurred = ev.OccurredAt.In(loc)
		vals[eventmap.PropertyNamed("occurred_at").CSV] = occurred.Format(time.RFC3339Nano)
	}
	for k, v := range map[string]string{
		"event_date":         occurred.Format("2006-01-02"),
		"year":               strconv.Itoa(occurred.Year()),
		"time_precision":     orDefault(codeOf(timePrecisionCode, ev.TimePrecision), "1"),
		"disorder_type":      acled[0],
		"event_type":         acled[1],
		"sub_event_type":     acled[2],
		"actor1":             strings.Join(actor1, "; "),
		"assoc_actor_1":      strings.Join(assoc1, "; "),
		"inter1":             kept("inter1", ""),
		"actor2":             strings.Join(actor2, "; "),
		"assoc_actor_2":      strings.Join(assoc2, "; "),
		"inter2":             kept("inter2", ""),
		"interaction":        kept("interaction", ""),
		"civilian_targeting": kept("civilian_targeting", ""),
		"iso":                iso,
		"region":             kept("region", ""),
		"country":            countryName,
		"admin2":             kept("admin2", ""),
		"admin3":             kept("admin3", ""),
		"latitude":           Coord(pos[1]),
		"longitude":          Coord(pos[0]),
		"geo_precision":      codeOf(geoPrecisionCode, ev.GeoPrecision),
		"source":             kept("source", strings.Join(publishers, "; ")),
		"source_scale":       kept("source_scale", ""),
		"timestamp":          kept("timestamp", strconv.FormatInt(ev.UpdatedAt.Unix(), 10)),
		"id":                 ev.ID,
		"wkt":                wkt.MarshalString(ev.Geometry),
	} {
		vals[k] = v
	}
	for i, col := range Columns {
		rec[i] = vals[col]
	}
	return nil
}

// csvValue writes one property as our CSV holds it: lists joined by
// "; ", unknown counts as empty cells (never 0), times in RFC 3339 UTC.
func csvValue(p *eventmap.Property, ev *eventmap.Event) string {
	switch v := p.Field(ev).(type) {
	case *string:
		return *v
	case **int:
		return optInt(*v)
	case *time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	case *int64:
		return strconv.FormatInt(*v, 10)
	case *[]string:
		return strings.Join(*v, "; ")
	case *[]eventmap.EventActor:
		names := make([]string, len(*v))
		for i, a := range *v {
			names[i] = a.Name + " (" + a.Role + ")"
		}
		return strings.Join(names, "; ")
	case *[]eventmap.EventSource:
		urls := make([]string, len(*v))
		for i, s := range *v {
			urls[i] = s.URL
		}
		return strings.Join(urls, "; ")
	}
	return ""
}

// acledType is our type for ACLED's event and sub-event type, as the
// reader maps them; "" for a pair ACLED does not have.
func acledType(eventType, subEventType string) string {
	subs, ok := acledTypes[eventType]
	if !ok {
		return ""
	}
	if subEventType == "" {
		return "other"
	}
	return subs[subEventType]
}

// movedFromKeptCountry tells whether the event is no longer in the country
// its kept ACLED iso (else country name) says. A name we do not know
// cannot tell, and is kept.
func movedFromKeptCountry(alpha3 string, extra map[string]string) bool {
	if v, ok := extra["iso"]; ok {
		n, err := strconv.Atoi(v)
		c, known := byNumeric[n]
		return err != nil || !known || c.alpha3 != alpha3
	}
	if v, ok := extra["country"]; ok {
		c, known := byName[strings.ToLower(v)]
		return known && c.alpha3 != alpha3
	}
	return false
}

// Position is the point itself, or the centroid of a line or area, so
// that tools reading only latitude/longitude can place every row.
func Position(g orb.Geometry) orb.Point {
	switch g := g.(type) {
	case orb.Point:
		return g
	case orb.Collection:
		// orb weighs a collection's parts by area, which points and lines
		// lack: a collection of them would sit at 0, 0. Its parts of the
		// highest dimension, as one multi-geometry, have a centroid.
		var points orb.MultiPoint
		var lines orb.MultiLineString
		var areas orb.MultiPolygon
		var flatten func(orb.Collection)
		flatten = func(c orb.Collection) {
			for _, part := range c {
				switch part := part.(type) {
				case orb.Point:
					points = append(points, part)
				case orb.MultiPoint:
					points = append(points, part...)
				case orb.LineString:
					lines = append(lines, part)
				case orb.MultiLineString:
					lines = append(lines, part...)
				case orb.Polygon:
					areas = append(areas, part)
				case orb.MultiPolygon:
					areas = append(areas, part...)
				case orb.Collection:
					flatten(part)
				}
			}
		}
		flatten(g)
		switch {
		case len(areas) > 0:
			return Position(areas)
		case len(lines) > 0:
			return Position(lines)
		case len(points) > 0:
			return Position(points)
		}
		return orb.Point{}
	}
	p, _ := planar.CentroidArea(g)
	return p
}

// optInt writes unknown as an empty cell, never 0: unknown is not none.
func optInt(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

// coord keeps the 6 decimals (about 0.1 m) the GeoJSON output has.
func Coord(x float64) string {
	return strconv.FormatFloat(math.Round(x*1e6)/1e6, 'f', -1, 64)
}
