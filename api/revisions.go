package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"eventmap"
)

// revisionEntry is one entry of an event's history as served: the store's
// record (version, action, time, reason, editor for token holders, the
// Feature after the write) with what changed since the revision before it
// that the caller may see: changes worded for people (eventmap.Changes)
// and, for programs, an RFC 7396 merge patch from that version's Feature.
type revisionEntry struct {
	Version    int64             `json:"version"`
	Action     string            `json:"action"`
	RecordedAt json.RawMessage   `json:"recorded_at"`
	Reason     string            `json:"reason"`
	Editor     *string           `json:"editor"`
	PatchFrom  *int64            `json:"patch_from"`
	Patch      json.RawMessage   `json:"patch"`
	Changes    []eventmap.Change `json:"changes"`
	Feature    json.RawMessage   `json:"feature"`
}

// revisionsHandler serves GET /collections/events/items/{id}/revisions:
// every accepted write to the event the caller may see, oldest first, as
// JSON or as the HTML history page. Restricted versions are left out for
// anonymous callers, so each patch is from the previous version they can
// see: applying the patches in turn to the first Feature gives each next
// one.
func (s *Server) revisionsHandler(c echo.Context) error {
	f, err := negotiate(c, formatJSON, formatHTML)
	if err != nil {
		return err
	}
	if err := checkParams(c.QueryParams(), "f"); err != nil {
		return err
	}
	id := c.Param("id")
	ctx, cancel := s.readContext(c)
	defer cancel()
	var revs []revisionEntry
	err = s.db.ListRevisions(ctx, id, seesRestricted(c), func(r []byte) error {
		var rev revisionEntry
		if err := json.Unmarshal(r, &rev); err != nil {
			return err
		}
		rev.Changes = []eventmap.Change{}
		if n := len(revs); n > 0 {
			prev := revs[n-1]
			if rev.Patch, err = eventmap.DiffMergePatch(prev.Feature, rev.Feature); err != nil {
				return err
			}
			if rev.Changes, err = eventmap.Changes(prev.Feature, rev.Feature); err != nil {
				return err
			}
			rev.PatchFrom = &prev.Version
		} else {
			rev.Patch = json.RawMessage("null")
		}
		revs = append(revs, rev)
		return nil
	})
	if err != nil {
		return err
	}
	if revs == nil {
		revs = []revisionEntry{}
	}
	path := c.Request().URL.Path
	item := s.absURL(c, "/collections/events/items/"+id, nil)
	if f == formatHTML {
		return s.revisionsHTML(c, id, revs,
			link{Href: s.formatURL(c, path, nil, formatJSON), Rel: "alternate", Type: echo.MIMEApplicationJSON, Title: "JSON"})
	}
	return c.JSON(http.StatusOK, map[string]any{
		"event_id":  id,
		"revisions": revs,
		"links": []link{
			{Href: s.absURL(c, path, nil), Rel: "self", Type: echo.MIMEApplicationJSON, Title: "history of this event"},
			{Href: s.formatURL(c, path, nil, formatHTML), Rel: "alternate", Type: "text/html", Title: "history of this event as a web page"},
			{Href: item, Rel: "about", Type: geoJSON, Title: "the event as it is now"},
		},
	})
}

// revisionView is a revision decoded for the history page.
type revisionView struct {
	revisionEntry
	At    time.Time
	Event *eventmap.Event
}

// revisionsHTML is the history page: newest first, each version with its
// time, editor (token holders only), reason and what changed.
func (s *Server) revisionsHTML(c echo.Context, id string, revs []revisionEntry, alternates ...link) error {
	views := make([]revisionView, len(revs))
	for i, r := range revs {
		v := revisionView{revisionEntry: r}
		var at string
		_ = json.Unmarshal(r.RecordedAt, &at)
		v.At, _ = time.Parse(time.RFC3339Nano, at)
		ev, err := eventmap.DecodeServedFeature(r.Feature)
		if err != nil {
			return err
		}
		v.Event = ev
		views[len(revs)-1-i] = v
	}
	title := "History"
	if len(views) > 0 {
		title = "History: " + views[0].Event.Title
	}
	labels, err := s.typeLabels(c)
	if err != nil {
		return err
	}
	return s.renderHTML(c, "revisions", title, map[string]any{
		"ID":        id,
		"Revisions": views,
		"Types":     labels,
	}, alternates...)
}
