package api

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"eventmap"
)

// Output formats a resource can be asked for with ?f= or Accept.
const (
	formatJSON = "json"
	formatHTML = "html"
	formatCSV  = "csv"
)

// mediaFormats maps the media types clients send in Accept to our formats.
// Anything else (*/*, application/xml, …) falls back to the resource's
// first format: refusing with 406 would break clients such as curl and GDAL
// that send generic Accept headers and read JSON happily.
var mediaFormats = map[string]string{
	"application/json":                 formatJSON,
	"application/geo+json":             formatJSON,
	"application/schema+json":          formatJSON,
	"application/vnd.oai.openapi+json": formatJSON,
	"application/problem+json":         formatJSON,
	"text/html":                        formatHTML,
	"application/xhtml+xml":            formatHTML,
	"text/csv":                         formatCSV,
	"application/csv":                  formatCSV,
	"text/comma-separated-values":      formatCSV,
}

// negotiate picks the response format. f wins over Accept because a link
// with ?f=csv must give CSV whatever the browser sends; allowed[0] is the
// default. An f the resource cannot produce is a 400 naming f.
func negotiate(c echo.Context, allowed ...string) (string, error) {
	if len(allowed) > 1 {
		// The body depends on Accept (the f parameter is in the URL):
		// caches must keep the formats apart.
		c.Response().Header().Add(echo.HeaderVary, echo.HeaderAccept)
	}
	q := c.QueryParams()
	if q.Has("f") {
		f := q.Get("f")
		if f == "geojson" && slices.Contains(allowed, formatJSON) {
			return formatJSON, nil
		}
		if !slices.Contains(allowed, f) {
			return "", eventmap.Invalid("f", "must be "+orList(allowed)+", got "+strconv.Quote(f))
		}
		return f, nil
	}
	return acceptFormat(c.Request().Header.Get(echo.HeaderAccept), allowed), nil
}

// acceptFormat returns the allowed format the Accept header ranks highest;
// among equal q values the first listed wins.
func acceptFormat(accept string, allowed []string) string {
	best, bestQ := allowed[0], -1.0
	for _, part := range strings.Split(accept, ",") {
		mt, params, _ := strings.Cut(part, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.TrimSpace(k) == "q" {
				if n, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = n
				}
			}
		}
		f, ok := mediaFormats[mt]
		if !ok || q <= 0 || !slices.Contains(allowed, f) {
			continue
		}
		if q > bestQ {
			best, bestQ = f, q
		}
	}
	return best
}

// formatURL is path?query with f set, so a link opens the same format
// whatever Accept header the follower sends.
func (s *Server) formatURL(c echo.Context, path string, q url.Values, f string) string {
	v := cloneValues(q)
	v.Set("f", f)
	return s.absURL(c, path, v)
}

// orList writes "json, html or csv".
func orList(s []string) string {
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
