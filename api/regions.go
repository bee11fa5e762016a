package api

import (
	"encoding/json"

	"github.com/labstack/echo/v4"
)

// regionsHandler serves GET /collections/regions/items: the named regions
// (the Badiya desert) as a GeoJSON FeatureCollection, for the map's
// overlay and for anyone choosing a value for the items region filter.
func (s *Server) regionsHandler(c echo.Context) error {
	if err := checkParams(c.QueryParams()); err != nil {
		return err
	}
	ctx, cancel := s.readContext(c)
	defer cancel()
	fc, err := s.reader(c).ListRegions(ctx)
	if err != nil {
		return err
	}
	return s.summaryResponse(c, geoJSON, json.RawMessage(fc))
}
