package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"eventmap"
	"eventmap/store"
)

// deletionsHandler serves GET /collections/events/deletions: the events
// deleted since a time, oldest first, in pages linked by next. With
// items?updated_since= it lets a mirror stay current: fetch what changed,
// drop what was deleted, remember the time of this sync.
func (s *Server) deletionsHandler(c echo.Context) error {
	q := c.QueryParams()
	if err := checkParams(q, "since", "limit", "after"); err != nil {
		return err
	}
	var since time.Time
	var err error
	if q.Has("since") {
		if since, err = parseTime(q, "since"); err != nil {
			return err
		}
	}
	limit, err := parseLimit(q, s.cfg.DefaultLimit, s.cfg.MaxLimit)
	if err != nil {
		return err
	}
	var after store.DeletionsAfter
	if q.Has("after") {
		// after is "deleted_at,id" of the last deletion seen, as the next
		// link writes it.
		at, id, ok := strings.Cut(q.Get("after"), ",")
		t, terr := time.Parse(time.RFC3339Nano, at)
		if !ok || terr != nil || !store.IsEventID(id) {
			return eventmap.Invalid("after", "must be the position a next link gives: deleted_at,id")
		}
		after = store.DeletionsAfter{DeletedAt: t, ID: id}
	}
	ctx, cancel := s.readContext(c)
	defer cancel()
	dels, more, err := s.db.ListDeletions(ctx, since, after, limit, seesRestricted(c))
	if err != nil {
		return err
	}
	if dels == nil {
		dels = []store.Deletion{}
	}
	links := []link{{Href: s.absURL(c, c.Request().URL.Path, q), Rel: "self", Type: echo.MIMEApplicationJSON, Title: "this page"}}
	if more {
		last := dels[len(dels)-1]
		next := cloneValues(q)
		next.Set("after", last.DeletedAt.Format(time.RFC3339Nano)+","+last.ID)
		links = append(links, link{Href: s.absURL(c, c.Request().URL.Path, next), Rel: "next", Type: echo.MIMEApplicationJSON, Title: "next page"})
	}
	return c.JSON(http.StatusOK, map[string]any{
		"deletions":      dels,
		"numberReturned": len(dels),
		"timeStamp":      nowUTC(),
		"links":          links,
	})
}
