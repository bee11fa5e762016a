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
	"eventmap/geo"
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
	header bool
	rec    []string
}

// NewCSVWriter writes the header row first.
func NewCSVWriter(w io.Writer) *CSVWriter {
	return &CSVWriter{w: csv.NewWriter(w), rec: make([]string, len(Columns))}
}

func (c *CSVWriter) Write(feature []byte) error {
	if !c.header {
		c.header = true
		if err := c.w.Write(Columns); err != nil {
			return err
		}
	}
	var f ServedFeature
	if err := json.Unmarshal(feature, &f); err != nil {
		return fmt.Errorf("exchange: decode feature: %w", err)
	}
	if err := f.record(c.rec); err != nil {
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

// ServedFeature is a Feature as the API serves it, decoded: the CSV rows
// and the HTML pages are both made from it.
type ServedFeature struct {
	ID         string          `json:"id"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties struct {
		Type               string                 `json:"type"`
		Title              string                 `json:"title"`
		Summary            string                 `json:"summary"`
		OccurredAt         time.Time              `json:"occurred_at"`
		TimePrecision      string                 `json:"time_precision"`
		Place              string                 `json:"place"`
		Admin1             string                 `json:"admin1"`
		Country            string                 `json:"country"`
		GeoPrecision       string                 `json:"geo_precision"`
		Fatalities         *int                   `json:"fatalities"`
		CivilianFatalities *int                   `json:"civilian_fatalities"`
		Status             string                 `json:"status"`
		Visibility         string                 `json:"visibility"`
		Tags               []string               `json:"tags"`
		Actors             []eventmap.EventActor  `json:"actors"`
		Sources            []eventmap.EventSource `json:"sources"`
		ExternalID         *string                `json:"external_id"`
		Extra              map[string]string      `json:"extra"`
		Version            int64                  `json:"version"`
		UpdatedAt          time.Time              `json:"updated_at"`
	} `json:"properties"`
}

// record fills rec (len(Columns)) with the Feature's row.
func (f *ServedFeature) record(rec []string) error {
	g, err := geo.ParseGeometry(f.Geometry, geo.Limits{MaxVertices: math.MaxInt32, MaxDepth: 10})
	if err != nil {
		return fmt.Errorf("exchange: geometry of %s: %w", f.ID, err)
	}
	p := &f.Properties
	kept := func(k, def string) string {
		if v, ok := p.Extra[k]; ok {
			return v
		}
		return def
	}
	// ACLED's own columns, kept from an import, go back as they came
	// unless the event was since edited to say otherwise: a stale pair
	// would be counted as the old type by ACLED scripts, and a stale iso
	// would move the event back to the old country on re-import.
	acled := toACLED[p.Type]
	if et, st := p.Extra["event_type"], p.Extra["sub_event_type"]; et != "" && acledType(et, st) == p.Type {
		acled = [3]string{kept("disorder_type", acled[0]), et, st}
	}
	var actor1, assoc1, actor2, assoc2 []string
	for _, a := range p.Actors {
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
	c, _ := byAlpha3[p.Country]
	iso, countryName := "", c.name
	if c.alpha3 != "" {
		iso = strconv.Itoa(c.numeric)
	}
	if !movedFromKeptCountry(p.Country, p.Extra) {
		iso, countryName = kept("iso", iso), kept("country", countryName)
	}
	var publishers, urls, actors []string
	for _, s := range p.Sources {
		urls = append(urls, s.URL)
		if s.Publisher != "" && !slices.Contains(publishers, s.Publisher) {
			publishers = append(publishers, s.Publisher)
		}
	}
	for _, a := range p.Actors {
		actors = append(actors, a.Name+" ("+a.Role+")")
	}
	pos := Position(g)
	ext := ""
	if p.ExternalID != nil {
		ext = *p.ExternalID
	}
	var others map[string]string
	for k, v := range p.Extra {
		if !slices.Contains(keptColumns, k) {
			if others == nil {
				others = map[string]string{}
			}
			others[k] = v
		}
	}
	extraJSON := ""
	if others != nil {
		b, _ := json.Marshal(others)
		extraJSON = string(b)
	}
	occurred := p.OccurredAt.UTC()
	vals := map[string]string{
		"event_id_cnty":       ext,
		"event_date":          occurred.Format("2006-01-02"),
		"year":                strconv.Itoa(occurred.Year()),
		"time_precision":      orDefault(codeOf(timePrecisionCode, p.TimePrecision), "1"),
		"disorder_type":       acled[0],
		"event_type":          acled[1],
		"sub_event_type":      acled[2],
		"actor1":              strings.Join(actor1, "; "),
		"assoc_actor_1":       strings.Join(assoc1, "; "),
		"inter1":              kept("inter1", ""),
		"actor2":              strings.Join(actor2, "; "),
		"assoc_actor_2":       strings.Join(assoc2, "; "),
		"inter2":              kept("inter2", ""),
		"interaction":         kept("interaction", ""),
		"civilian_targeting":  kept("civilian_targeting", ""),
		"iso":                 iso,
		"region":              kept("region", ""),
		"country":             countryName,
		"admin1":              p.Admin1,
		"admin2":              kept("admin2", ""),
		"admin3":              kept("admin3", ""),
		"location":            p.Place,
		"latitude":            Coord(pos[1]),
		"longitude":           Coord(pos[0]),
		"geo_precision":       codeOf(geoPrecisionCode, p.GeoPrecision),
		"source":              kept("source", strings.Join(publishers, "; ")),
		"source_scale":        kept("source_scale", ""),
		"notes":               p.Summary,
		"fatalities":          optInt(p.Fatalities),
		"tags":                strings.Join(p.Tags, "; "),
		"timestamp":           kept("timestamp", strconv.FormatInt(p.UpdatedAt.Unix(), 10)),
		"id":                  f.ID,
		"title":               p.Title,
		"type":                p.Type,
		"status":              p.Status,
		"visibility":          p.Visibility,
		"occurred_at":         occurred.Format(time.RFC3339),
		"occurred_precision":  p.TimePrecision,
		"civilian_fatalities": optInt(p.CivilianFatalities),
		"actors":              strings.Join(actors, "; "),
		"source_urls":         strings.Join(urls, "; "),
		"wkt":                 wkt.MarshalString(g),
		"extra":               extraJSON,
		"version":             strconv.FormatInt(p.Version, 10),
		"updated_at":          p.UpdatedAt.UTC().Format(time.RFC3339Nano),
	}
	for i, col := range Columns {
		rec[i] = vals[col]
	}
	return nil
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
