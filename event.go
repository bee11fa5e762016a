package eventmap

import (
	"time"

	"github.com/paulmach/orb"
)

// Allowed values of the enumerated event fields. The database enforces the
// same lists (lookup table for types, CHECK constraints for the rest); these
// copies let callers reject bad input before any SQL runs.
var (
	EventTypes     = []string{"raid", "airstrike", "cache_destruction", "clash", "arrest", "explosion", "other"}
	TimePrecisions = []string{"exact", "day", "week", "month"} // ACLED time_precision 1-3 ≈ day, week, month
	GeoPrecisions  = []string{"exact", "town", "region"}       // ACLED geo_precision 1-3
	Statuses       = []string{"reported", "corroborated", "confirmed", "disputed", "retracted"}
	Visibilities   = []string{"public", "restricted"}
	ActorRoles     = []string{"perpetrator", "target", "victim", "partner", "reporter"}
)

// EventActor links an actor to an event in one role.
type EventActor struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// EventSource is a report the event rests on, with the passage that supports it.
type EventSource struct {
	URL         string     `json:"url"`
	Publisher   string     `json:"publisher,omitempty"`
	Title       string     `json:"title,omitempty"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
	Excerpt     string     `json:"excerpt,omitempty"`
}

// Revision records who changed an event, when and why.
type Revision struct {
	Editor     string
	Reason     string
	RecordedAt time.Time // zero means now
}

// Region is a named area (the Badiya desert) used as a filter and drawn on the map.
type Region struct {
	ID          string // slug used in URLs: "badiya"
	Name        string
	Description string
	Geometry    orb.Geometry
	Approximate bool
}
