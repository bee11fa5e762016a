package api

import "github.com/labstack/echo/v4"

// RoutePaths lists the routes registered in echo as "METHOD path" (HEAD
// left out: it is answered wherever GET is), for the test that keeps /api
// and routes.go in step.
func RoutePaths(s *Server) []string {
	var out []string
	for _, r := range s.echo.Routes() {
		if r.Method != "HEAD" {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

// ItemsParams is what GET /collections/events/items accepts, for the test
// that /api documents exactly these.
func ItemsParams() []string { return append([]string(nil), itemsParams...) }

// AddTestRoute adds a GET route, for tests of what the middleware does
// around a handler (a panic).
func AddTestRoute(s *Server, path string, h echo.HandlerFunc) { s.echo.GET(path, h) }
