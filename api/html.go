package api

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"

	"eventmap"
	"eventmap/exchange"
	"eventmap/geo"
	"eventmap/store"
)

//go:embed templates/*.html
var templateFS embed.FS

// htmlTemplates holds one template set per page: the shared layout plus
// that page's "content". Parsed once at start-up; a broken template stops
// the program in every test rather than on a user's request.
var htmlTemplates = func() map[string]*template.Template {
	funcs := template.FuncMap{
		"date": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
		"optInt": optInt,
		"join":   strings.Join,
		"when":   whenHTML,
		"place":  placeText,
		"label":  typeLabel,
		// replaces: the added run at i replaces the removed one before it
		// (shown old → new).
		"replaces": func(d []eventmap.TextEdit, i int) bool { return i > 0 && d[i-1].Op == "-" && d[i].Op == "+" },
		"km": func(km *float64) string {
			if km == nil {
				return ""
			}
			return strconv.FormatFloat(*km, 'f', 1, 64)
		},
		// utcBeside is the UTC time of an exact event with a zone, for
		// pages that show it beside the local time (no hover on a phone).
		"utcBeside": func(ev *eventmap.Event) string {
			if ev.TZ == "" || (ev.TimePrecision != "exact" && ev.TimePrecision != "") {
				return ""
			}
			return eventmap.FormatWhen(ev.OccurredAt, ev.TimePrecision, ev.TZ).Title
		},
		"deref": func(s *string) string {
			if s == nil {
				return ""
			}
			return *s
		},
	}
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	pages := map[string]*template.Template{}
	for _, name := range []string{"landing", "conformance", "collections", "collection", "items", "item", "revisions", "api"} {
		pages[name] = template.Must(template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html"))
	}
	return pages
}()

// htmlPage is what the layout needs around a page's content.
type htmlPage struct {
	Base       string // prefix of every link: EVENTMAP_PUBLIC_URL or the request's origin
	Title      string
	Alternates []link // the same resource in other formats
	Data       any
}

// renderHTML renders a page into memory first, so a template failure is a
// clean 500 problem instead of half a page.
func (s *Server) renderHTML(c echo.Context, page, title string, data any, alternates ...link) error {
	var b bytes.Buffer
	if err := htmlTemplates[page].ExecuteTemplate(&b, "layout.html", htmlPage{Base: s.absURL(c, "", nil), Title: title, Alternates: alternates, Data: data}); err != nil {
		return err
	}
	return c.HTMLBlob(http.StatusOK, b.Bytes())
}

// itemsHTML serves f=html for /collections/events/items: a table of the
// page with links to each event and to the next page.
func (s *Server) itemsHTML(c echo.Context) error {
	r, err := s.parseItemsQuery(c)
	if err != nil {
		return err
	}
	r.page.Version = s.pageValidator(c, r, formatHTML)
	ctx, cancel := s.readContext(c)
	defer cancel()
	labels, err := s.typeLabels(c)
	if err != nil {
		return err
	}
	var events []eventView
	res, err := s.listReader(c, r.filter).ListEvents(ctx, r.filter, r.page, func(feature []byte) error {
		ev, err := decodeEvent(feature)
		ev.TypeLabel = typeLabel(labels, ev.Properties.Type)
		events = append(events, ev)
		return err
	})
	if errors.Is(err, errNotModified) {
		return notModified(c)
	}
	if err != nil {
		return err
	}
	path := c.Request().URL.Path
	next := ""
	if res.Next != nil {
		q := cloneValues(r.query)
		q.Del("offset")
		q.Set("cursor", res.Next.Encode())
		next = s.formatURL(c, path, q, formatHTML)
		c.Response().Header().Add("Link", linkHeader(next, "next", "text/html"))
	}
	first := cloneValues(r.query)
	first.Del("cursor")
	first.Del("offset")
	data := map[string]any{
		"Events":   events,
		"Returned": res.Returned,
		"Next":     next,
		"First":    s.formatURL(c, path, first, formatHTML),
		"Paged":    r.query.Has("cursor") || r.query.Has("offset"),
		"GeoJSON":  s.formatURL(c, path, r.query, formatJSON),
		"CSV":      s.formatURL(c, path, r.query, formatCSV),
		"Filters":  describeFilters(r.query),
	}
	c.Response().Header().Add("Link", linkHeader(s.formatURL(c, path, r.query, formatHTML), "self", "text/html"))
	return s.renderHTML(c, "items", "Events", data,
		link{Href: data["GeoJSON"].(string), Rel: "alternate", Type: geoJSON, Title: "GeoJSON"},
		link{Href: data["CSV"].(string), Rel: "alternate", Type: "text/csv", Title: "CSV"})
}

// describeFilters lists the filters of a page for its heading, so a reader
// sees why the table holds what it holds.
func describeFilters(q map[string][]string) []string {
	var out []string
	for _, k := range []string{"bbox", "datetime", "limit"} {
		if v, ok := q[k]; ok {
			out = append(out, k+"="+v[0])
		}
	}
	return out
}

// itemHTML serves f=html for one event of an events collection.
func (s *Server) itemHTML(c echo.Context, coll collection) error {
	if err := checkParams(c.QueryParams(), "f"); err != nil {
		return err
	}
	ctx, cancel := s.readContext(c)
	defer cancel()
	f := store.EventFilter{IncludeRestricted: seesRestricted(c), Shape: coll.shape}
	feature, version, err := s.reader(c).GetEventIn(ctx, c.Param("id"), f, geo.CRS84)
	if err != nil {
		return err
	}
	if validate(c, itemTag(version, coll, formatHTML, c.QueryParams())) {
		return notModified(c)
	}
	ev, err := decodeEvent(feature)
	if err != nil {
		return err
	}
	labels, err := s.typeLabels(c)
	if err != nil {
		return err
	}
	ev.TypeLabel = typeLabel(labels, ev.Properties.Type)
	path := c.Request().URL.Path
	return s.renderHTML(c, "item", ev.Properties.Title, ev,
		link{Href: s.formatURL(c, path, nil, formatJSON), Rel: "alternate", Type: geoJSON, Title: "GeoJSON"})
}

// eventView is one served Feature decoded for the HTML pages.
type eventView struct {
	ID         string
	Properties *eventmap.Event
	TypeLabel  string // from the event_types table
	geom       orb.Geometry
}

func decodeEvent(feature []byte) (eventView, error) {
	ev, err := eventmap.DecodeServedFeature(feature)
	if err != nil {
		return eventView{}, err
	}
	return eventView{ID: ev.ID, Properties: ev, geom: ev.Geometry}, nil
}

// IsPoint, WKT, Longitude and Latitude are for the templates.
func (ev eventView) IsPoint() bool     { _, ok := ev.geom.(orb.Point); return ok }
func (ev eventView) WKT() string       { return wkt.MarshalString(ev.geom) }
func (ev eventView) Longitude() string { return exchange.Coord(exchange.Position(ev.geom)[0]) }
func (ev eventView) Latitude() string  { return exchange.Coord(exchange.Position(ev.geom)[1]) }

// optInt prints a count; the templates show a nil (unknown) count as "unknown", never 0.
func optInt(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

// typeLabels maps type codes to the labels of the event_types table, for
// the pages: a type added to the table is named without a code change.
func (s *Server) typeLabels(c echo.Context) (map[string]string, error) {
	types, err := s.reader(c).EventTypes(c.Request().Context())
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(types))
	for _, t := range types {
		out[t.Code] = t.Label
	}
	return out, nil
}

// typeLabel is a type's label, or its code when the table has none.
func typeLabel(labels map[string]string, code string) string {
	if l := labels[code]; l != "" {
		return l
	}
	return code
}

// whenHTML shows when an event happened by eventmap.FormatWhen (the rule
// the map's format.js shares): in its own zone, to its precision, with the
// UTC time or the period on hover.
func whenHTML(ev *eventmap.Event) template.HTML {
	w := eventmap.FormatWhen(ev.OccurredAt, ev.TimePrecision, ev.TZ)
	var b strings.Builder
	b.WriteString(`<time datetime="` + ev.OccurredAt.UTC().Format(time.RFC3339) + `"`)
	if w.Title != "" {
		b.WriteString(` title="` + template.HTMLEscapeString(w.Title) + `"`)
	}
	b.WriteString(`>` + template.HTMLEscapeString(w.Text) + `</time>`)
	return template.HTML(b.String())
}

// placeText is place, province and country, leaving out the empty ones
// (no ", SYR" for an event without a place) and repeats.
func placeText(ev *eventmap.Event) string {
	var parts []string
	for _, p := range []string{ev.Place, ev.Admin1, ev.Country} {
		// "Homs, Homs": a city that names its province says it once
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(parts, p) {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}
