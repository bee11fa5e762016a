package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"eventmap"
	"eventmap/geo"
	"eventmap/store"
)

// regionItemsParams are the query parameters of the regions' items.
var regionItemsParams = []string{"bbox", "bbox-crs", "limit", "offset", "crs", "filter", "filter-lang", "filter-crs", "f"}

// regionItemsHandler serves GET /collections/regions/items: the named
// regions (the Badiya desert) as a GeoJSON FeatureCollection, for the
// map's overlay, for GIS clients and for anyone choosing a value for the
// events' region filter. Regions are few, so pages follow by offset.
func (s *Server) regionItemsHandler(c echo.Context, coll collection) error {
	q := c.QueryParams()
	if err := checkParams(q, regionItemsParams...); err != nil {
		return err
	}
	if _, err := negotiate(c, formatJSON); err != nil {
		return err
	}
	var f store.RegionFilter
	var p store.RegionPage
	var err error
	if q.Has("bbox") || q.Has("bbox-crs") {
		crs := geo.CRS84
		if q.Has("bbox-crs") {
			if crs, err = geo.ParseCRS(q.Get("bbox-crs")); err != nil {
				return eventmap.Invalid("bbox-crs", err.Error())
			}
		}
		if q.Has("bbox") {
			b, err := geo.ParseBBoxIn(q.Get("bbox"), crs)
			if err != nil {
				return eventmap.Invalid("bbox", err.Error())
			}
			f.BBox = &b
		}
	}
	if q.Has("filter") {
		if f.Where, err = store.ParseRegionFilter(q.Get("filter-lang"), q.Get("filter")); err != nil {
			return err
		}
	} else if q.Has("filter-lang") {
		return eventmap.Invalid("filter-lang", "says how to read filter, which is missing")
	}
	if q.Has("filter-crs") {
		if c, err := geo.ParseCRS(q.Get("filter-crs")); err != nil || c != geo.CRS84 {
			return eventmap.Invalid("filter-crs", "only "+geo.CRS84.URI+" is supported for filter geometries")
		}
	}
	if p.Limit, err = parseLimit(q, s.cfg.DefaultLimit, s.cfg.MaxLimit); err != nil {
		return err
	}
	if p.Offset, err = parseOffset(q); err != nil {
		return err
	}
	if p.CRS, err = parseCRS(q); err != nil {
		return err
	}
	ctx, cancel := s.readContext(c)
	defer cancel()
	db := s.reader(c)
	snap, err := db.DatasetVersion(ctx, seesRestricted(c))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Crs", "<"+p.CRS.URI+">")
	if validate(c, versionTag(snap, coll.path()+"/items", formatJSON, normalQuery(q), s.absURL(c, "", nil))) {
		return notModified(c)
	}
	list, err := db.ListRegions(ctx, f, p)
	if err != nil {
		return err
	}
	path := c.Request().URL.Path
	links := []link{
		{Href: s.absURL(c, path, q), Rel: "self", Type: geoJSON, Title: "this page"},
		{Href: s.absURL(c, coll.path(), nil), Rel: "collection", Type: "application/json", Title: "the regions collection"},
	}
	page := func(offset int, rel, title string) {
		v := cloneValues(q)
		v.Set("offset", strconv.Itoa(offset))
		links = append(links, link{Href: s.absURL(c, path, v), Rel: rel, Type: geoJSON, Title: title})
	}
	if p.Offset > 0 {
		page(max(0, p.Offset-p.Limit), "prev", "previous page")
	}
	if list.More {
		page(p.Offset+len(list.Features), "next", "next page")
	}
	var b bytes.Buffer
	b.WriteString(`{"type":"FeatureCollection","features":[`)
	for i, feat := range list.Features {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(feat)
	}
	tail, _ := json.Marshal(links)
	b.WriteString(`],"numberReturned":` + strconv.Itoa(len(list.Features)) + `,"numberMatched":` + formatInt(list.Matched) +
		`,"timeStamp":"` + nowUTC() + `","links":`)
	b.Write(tail)
	b.WriteString("}\n")
	return c.Blob(http.StatusOK, geoJSON, b.Bytes())
}

// regionItemHandler serves GET /collections/regions/items/{id}.
func (s *Server) regionItemHandler(c echo.Context, coll collection) error {
	q := c.QueryParams()
	if err := checkParams(q, "f", "crs"); err != nil {
		return err
	}
	if _, err := negotiate(c, formatJSON); err != nil {
		return err
	}
	crs, err := parseCRS(q)
	if err != nil {
		return err
	}
	ctx, cancel := s.readContext(c)
	defer cancel()
	id := c.Param("id")
	feature, err := s.reader(c).GetRegion(ctx, id, crs)
	if err != nil {
		return err
	}
	links, _ := json.Marshal([]link{
		{Href: s.absURL(c, coll.path()+"/items/"+id, q), Rel: "self", Type: geoJSON, Title: "this region"},
		{Href: s.absURL(c, coll.path(), nil), Rel: "collection", Type: "application/json", Title: "the regions collection"},
		{Href: s.absURL(c, "/collections/events/items", map[string][]string{"region": {id}}), Rel: "related", Type: geoJSON, Title: "the events in this region"},
	})
	c.Response().Header().Set("Content-Crs", "<"+crs.URI+">")
	dataCacheControl(c)
	return cacheableBlob(c, geoJSON, appendLinks(feature, links))
}
