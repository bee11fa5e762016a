package api

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"eventmap"
	"eventmap/geo"
	"eventmap/store"
)

// checkParams rejects parameters a handler does not know and parameters
// given twice. A misspelt filter (bbbox=) that is silently ignored returns
// the whole table and looks like an answer; a 400 says what went wrong.
func checkParams(q url.Values, allowed ...string) error {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			return eventmap.Invalid(k, "unknown parameter (allowed: "+strings.Join(allowed, ", ")+")")
		}
		if len(q[k]) > 1 {
			return eventmap.Invalid(k, "given more than once")
		}
		// PostgreSQL text holds neither NUL nor invalid UTF-8; refusing
		// them here makes them the client's 400, not a database error.
		if v := q[k][0]; !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			return eventmap.Invalid(k, "must be UTF-8 text without NUL characters")
		}
	}
	return nil
}

// parseLimit applies the OGC API rule: a limit above the maximum is not an
// error but is clamped to the maximum.
func parseLimit(q url.Values, def, max int) (int, error) {
	v := q.Get("limit")
	if v == "" {
		if q.Has("limit") {
			return 0, eventmap.Invalid("limit", "must be an integer from 1 to "+strconv.Itoa(max))
		}
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		if isAllDigits(v) { // too large for an int: clamp like any large value
			return max, nil
		}
		return 0, eventmap.Invalid("limit", "must be an integer from 1 to "+strconv.Itoa(max)+", got "+strconv.Quote(v))
	}
	if n < 1 {
		return 0, eventmap.Invalid("limit", "must be at least 1, got "+v)
	}
	return min(n, max), nil
}

// parseOffset reads offset, which OWSLib and pygeoapi-style clients page
// with: 0 to store.MaxOffset. Deeper pages are reached through the next
// links, which cost the same however deep.
func parseOffset(q url.Values) (int, error) {
	if !q.Has("offset") {
		return 0, nil
	}
	rule := "must be an integer from 0 to " + strconv.Itoa(store.MaxOffset) + "; page further with the next links"
	v := q.Get("offset")
	n, err := strconv.Atoi(v)
	if err != nil || !isAllDigits(v) || n > store.MaxOffset {
		return 0, eventmap.Invalid("offset", rule+", got "+strconv.Quote(v))
	}
	return n, nil
}

func isAllDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }

// itemsParams are the query parameters of GET /collections/{events
// collection}/items.
var itemsParams = []string{
	"bbox", "bbox-crs", "datetime", "limit", "offset", "cursor", "sortby", "crs",
	"type", "status", "country", "actor", "q", "region", "as_of", "updated_since",
	"filter", "filter-lang", "filter-crs", "f",
}

// filterParams are the items parameters that select events (not pages
// or formats): what `eventmap export` takes as flags, and what the
// clusters and histogram endpoints take.
var filterParams = []string{
	"bbox", "bbox-crs", "datetime", "type", "status", "country", "actor", "q", "region",
	"as_of", "updated_since", "filter", "filter-lang", "filter-crs",
}

// FilterParams lists the selection parameters ParseFilter reads.
func FilterParams() []string { return append([]string(nil), filterParams...) }

// ParseFilter reads selection parameters (FilterParams) as items does,
// for the export command: the same names, rules and errors.
func ParseFilter(q url.Values, includeRestricted bool) (store.EventFilter, error) {
	if err := checkParams(q, filterParams...); err != nil {
		return store.EventFilter{}, err
	}
	f := store.EventFilter{IncludeRestricted: includeRestricted}
	err := parseFilterParams(q, &f)
	return f, err
}

// itemsQuery is an items request read into what the store needs; query
// is the parameters as given, for links. Every format (GeoJSON, CSV,
// HTML) reads its request through parseItemsQuery, so a parameter means
// the same in each.
type itemsQuery struct {
	coll   collection
	filter store.EventFilter
	page   store.Page
	query  url.Values
}

// parseItemsQuery checks every items parameter and turns them into a
// filter and a page. Each broken rule is a 400 naming its parameter.
// Restricted events are included only for callers allowed to see them.
func (s *Server) parseItemsQuery(c echo.Context) (itemsQuery, error) {
	coll, err := collectionOf(c)
	if err != nil {
		return itemsQuery{}, err
	}
	q := c.QueryParams()
	if err := checkParams(q, itemsParams...); err != nil {
		return itemsQuery{}, err
	}
	cfg := s.cfg
	iq := itemsQuery{coll: coll, query: q}
	iq.filter.IncludeRestricted = seesRestricted(c)
	iq.filter.Shape = coll.shape
	if err := parseFilterParams(q, &iq.filter); err != nil {
		return iq, err
	}

	p := &iq.page
	if p.Limit, err = parseLimit(q, cfg.DefaultLimit, cfg.MaxLimit); err != nil {
		return iq, err
	}
	if p.Offset, err = parseOffset(q); err != nil {
		return iq, err
	}
	p.CountLimit = cfg.CountLimit
	if q.Has("sortby") {
		if p.Sort, err = store.ParseSort(q.Get("sortby")); err != nil {
			return iq, eventmap.Invalid("sortby", err.Error())
		}
	}
	if q.Has("cursor") {
		if q.Has("offset") {
			return iq, eventmap.Invalid("offset", "cannot be given with cursor: a cursor already says where the page starts")
		}
		cur, err := store.DecodeCursor(q.Get("cursor"), p.Sort)
		if err != nil {
			return iq, eventmap.Invalid("cursor", err.Error())
		}
		p.Cursor = &cur
	}
	if p.CRS, err = parseCRS(q); err != nil {
		return iq, err
	}
	return iq, nil
}

// parseFilterParams reads the parameters that select events into f; the
// one reader of them for every items format and for exports. f.Shape says
// which collection's queryables a filter names.
func parseFilterParams(q url.Values, f *store.EventFilter) error {
	if q.Has("as_of") {
		at, err := parseAsOf(q.Get("as_of"))
		if err != nil {
			return err
		}
		f.AsOf = at
	}
	if q.Has("bbox") || q.Has("bbox-crs") {
		crs := geo.CRS84
		if q.Has("bbox-crs") {
			c, err := geo.ParseCRS(q.Get("bbox-crs"))
			if err != nil {
				return eventmap.Invalid("bbox-crs", err.Error())
			}
			crs = c
		}
		if q.Has("bbox") {
			b, err := geo.ParseBBoxIn(q.Get("bbox"), crs)
			if err != nil {
				return eventmap.Invalid("bbox", err.Error())
			}
			f.BBox = &b
		}
	}
	if q.Has("datetime") {
		iv, err := geo.ParseDatetime(q.Get("datetime"))
		if err != nil {
			return eventmap.Invalid("datetime", err.Error())
		}
		f.Interval = iv
	}
	var err error
	if q.Has("updated_since") {
		if f.UpdatedSince, err = parseTime(q, "updated_since"); err != nil {
			return err
		}
	}
	if f.Types, err = parseEnumList(q, "type", eventmap.EventTypes); err != nil {
		return err
	}
	if f.Statuses, err = parseEnumList(q, "status", eventmap.Statuses); err != nil {
		return err
	}
	if f.Countries, err = parseCountries(q); err != nil {
		return err
	}
	if f.Actor, err = parseText(q, "actor", 300); err != nil {
		return err
	}
	if f.Text, err = parseText(q, "q", 200); err != nil {
		return err
	}
	if f.Region, err = parseText(q, "region", 64); err != nil {
		return err
	}

	if q.Has("filter") {
		if f.Where, err = store.ParseFilterFor(f.Shape, q.Get("filter-lang"), q.Get("filter")); err != nil {
			return err
		}
	} else if q.Has("filter-lang") {
		return eventmap.Invalid("filter-lang", "says how to read filter, which is missing")
	}
	if q.Has("filter-crs") {
		// Geometry literals in a filter are CRS84; say so rather than
		// read metres or swapped axes as degrees.
		if c, err := geo.ParseCRS(q.Get("filter-crs")); err != nil || c != geo.CRS84 {
			return eventmap.Invalid("filter-crs", "only "+geo.CRS84.URI+" is supported for filter geometries")
		}
	}

	return nil
}

// parseTime reads an RFC 3339 date-time parameter.
func parseTime(q url.Values, name string) (time.Time, error) {
	v := q.Get(name)
	t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(v))
	if err != nil {
		return time.Time{}, eventmap.Invalid(name, "must be an RFC 3339 date-time with a time zone, such as 2025-10-20T00:00:00Z, got "+strconv.Quote(v))
	}
	return t, nil
}

// parseAsOf reads the as_of parameter: an RFC 3339 date-time.
func parseAsOf(v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(v))
	if err != nil {
		return time.Time{}, eventmap.Invalid("as_of", "must be an RFC 3339 date-time with a time zone, such as 2025-10-20T00:00:00Z, got "+strconv.Quote(v))
	}
	return t, nil
}

// parseCRS reads the crs parameter of items and item; CRS84 by default.
func parseCRS(q url.Values) (geo.CRS, error) {
	if !q.Has("crs") {
		return geo.CRS84, nil
	}
	c, err := geo.ParseCRS(q.Get("crs"))
	if err != nil {
		return geo.CRS{}, eventmap.Invalid("crs", err.Error())
	}
	return c, nil
}

// parseEnumList reads a comma-separated list whose every value must be one
// of allowed. A value outside the list would match nothing and look like
// an empty answer, so it is refused.
func parseEnumList(q url.Values, name string, allowed []string) ([]string, error) {
	if !q.Has(name) {
		return nil, nil
	}
	var out []string
	for _, v := range strings.Split(q.Get(name), ",") {
		v = strings.TrimSpace(v)
		if !slices.Contains(allowed, v) {
			return nil, eventmap.Invalid(name, "must be one or more of "+strings.Join(allowed, ", ")+" separated by commas, got "+strconv.Quote(v))
		}
		out = append(out, v)
	}
	return out, nil
}

// parseCountries reads country codes; lower case is accepted because the
// codes are case-insensitive to people, and stored in upper case.
func parseCountries(q url.Values) ([]string, error) {
	if !q.Has("country") {
		return nil, nil
	}
	var out []string
	for _, v := range strings.Split(q.Get("country"), ",") {
		v = strings.ToUpper(strings.TrimSpace(v))
		if len(v) != 3 || strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return nil, eventmap.Invalid("country", "must be ISO 3166-1 alpha-3 codes such as SYR, separated by commas, got "+strconv.Quote(v))
		}
		out = append(out, v)
	}
	return out, nil
}

// parseText reads a free-text parameter: not empty, at most max characters.
func parseText(q url.Values, name string, max int) (string, error) {
	if !q.Has(name) {
		return "", nil
	}
	v := strings.TrimSpace(q.Get(name))
	if v == "" {
		return "", eventmap.Invalid(name, "must not be empty")
	}
	if n := utf8.RuneCountInString(v); n > max {
		return "", eventmap.Invalid(name, "at most "+strconv.Itoa(max)+" characters, got "+strconv.Itoa(n))
	}
	return v, nil
}

// parseEventFilter reads the filterParams of q (already through
// checkParams) for the endpoints that summarise the events items would
// list (clusters, histogram), so a filter means the same there.
func (s *Server) parseEventFilter(c echo.Context, q url.Values) (store.EventFilter, error) {
	f := store.EventFilter{IncludeRestricted: seesRestricted(c)}
	err := parseFilterParams(q, &f)
	return f, err
}
