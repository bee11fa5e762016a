package api

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"eventmap"
)

// healthzHandler says the process is up; it does not touch the database, so
// an orchestrator never restarts a healthy process for a database outage.
func (s *Server) healthzHandler(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyzHandler says whether this replica can serve: the database answers
// and no migration is pending; with a read replica, the same of it (a
// standby that has not replayed the latest migration yet would fail the
// reads of this binary).
func (s *Server) readyzHandler(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		return &eventmap.Error{Code: eventmap.EUNAVAILABLE, Detail: "database: not reachable", Err: err}
	}
	pending, err := s.migrator.Pending(ctx)
	if err != nil {
		return &eventmap.Error{Code: eventmap.EUNAVAILABLE, Detail: "migrations: unable to check", Err: err}
	}
	if pending {
		return eventmap.Errorf(eventmap.EUNAVAILABLE, "migrations: some are not applied yet")
	}
	if s.read != nil {
		if err := s.read.Ping(ctx); err != nil {
			return &eventmap.Error{Code: eventmap.EUNAVAILABLE, Detail: "read replica: not reachable", Err: err}
		}
		pending, err := s.readMigrator.Pending(ctx)
		if err != nil {
			return &eventmap.Error{Code: eventmap.EUNAVAILABLE, Detail: "read replica: unable to check migrations", Err: err}
		}
		if pending {
			return eventmap.Errorf(eventmap.EUNAVAILABLE, "read replica: it has not replayed every migration yet")
		}
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
