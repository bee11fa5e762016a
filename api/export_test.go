package api

// RoutePaths lists the GET routes registered in echo, for the test that
// keeps /api and routes.go in step.
func RoutePaths(s *Server) []string {
	var out []string
	for _, r := range s.echo.Routes() {
		if r.Method == "GET" {
			out = append(out, r.Path)
		}
	}
	return out
}
