package api

import (
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"

	"eventmap/static"
)

// mapConfigHandler tells the map which basemap to draw. An empty tile_url
// means the bundled country outline only (air-gapped use).
func (s *Server) mapConfigHandler(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{
		"tile_url":         s.cfg.TileURL,
		"tile_attribution": s.cfg.TileAttribution,
	})
}

// mapFilesHandler serves the embedded map under /map/.
func (s *Server) mapFilesHandler() echo.HandlerFunc {
	files := http.StripPrefix("/map/", http.FileServerFS(static.FS))
	return func(c echo.Context) error {
		if _, err := fs.Stat(static.FS, pathOrIndex(c.Param("*"))); err != nil {
			return echo.NewHTTPError(http.StatusNotFound, "no such file in the map: /map/"+c.Param("*"))
		}
		c.Response().Header().Set("Cache-Control", "public, max-age=300")
		files.ServeHTTP(c.Response(), c.Request())
		return nil
	}
}

func pathOrIndex(p string) string {
	if p == "" || p[len(p)-1] == '/' {
		return p + "index.html"
	}
	return p
}
