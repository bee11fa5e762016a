package api

import (
	"testing"
	"time"

	"eventmap"
)

// The pages show times by eventmap.FormatWhen, in a <time> whose title is
// the UTC time or the period, and places without stray separators.
func TestWhenAndPlaceOnPages(t *testing.T) {
	at := time.Date(2025, 10, 19, 0, 0, 0, 0, time.UTC)
	if got, want := string(whenHTML(&eventmap.Event{OccurredAt: at, TimePrecision: "exact", TZ: "+03:00"})),
		`<time datetime="2025-10-19T00:00:00Z" title="2025-10-19 00:00 UTC">19 Oct 2025, 03:00 UTC+03:00</time>`; got != want {
		t.Errorf("exact:\n%s\nwant\n%s", got, want)
	}
	if got, want := string(whenHTML(&eventmap.Event{OccurredAt: at, TimePrecision: "day"})), `<time datetime="2025-10-19T00:00:00Z">19 Oct 2025</time>`; got != want {
		t.Errorf("day: %s", got)
	}
	for _, tt := range []struct {
		ev   eventmap.Event
		want string
	}{
		{eventmap.Event{Place: "Dumayr", Admin1: "Rif Dimashq", Country: "SYR"}, "Dumayr, Rif Dimashq, SYR"},
		{eventmap.Event{Country: "SYR"}, "SYR"},
		{eventmap.Event{Admin1: "Homs", Country: "SYR"}, "Homs, SYR"},
		{eventmap.Event{Place: "Homs", Admin1: "Homs", Country: "SYR"}, "Homs, SYR"},
		{eventmap.Event{}, ""},
	} {
		if got := placeText(&tt.ev); got != tt.want {
			t.Errorf("placeText(%+v) = %q, want %q", tt.ev, got, tt.want)
		}
	}
}
