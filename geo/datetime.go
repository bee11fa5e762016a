package geo

import (
	"fmt"
	"strings"
	"time"
)

// Interval is a half-open time range [Start, End). A zero Start or End means
// the range is open on that side.
type Interval struct {
	Start time.Time
	End   time.Time
}

// ParseDatetime reads the OGC API "datetime" parameter: an instant
// ("2025-10-19T00:00:00Z" or a whole day "2025-10-19"), or an interval of two
// such values separated by "/", where ".." or an empty side is open.
//
// Everything is turned into a half-open range so one SQL shape serves all
// cases: an instant t becomes [t, t+1µs) (PostgreSQL's resolution), a date
// becomes that whole UTC day, and an interval's end is inclusive, as OGC
// defines it.
func ParseDatetime(s string) (Interval, error) {
	if s == "" {
		return Interval{}, fmt.Errorf("must not be empty")
	}
	if !strings.Contains(s, "/") {
		start, end, err := parseInstant(s)
		if err != nil {
			return Interval{}, err
		}
		return Interval{Start: start, End: end}, nil
	}
	parts := strings.Split(s, "/")
	if len(parts) != 2 {
		return Interval{}, fmt.Errorf("an interval has exactly one '/', got %d", len(parts)-1)
	}
	open := func(p string) bool { return p == "" || p == ".." }
	if open(parts[0]) && open(parts[1]) {
		return Interval{}, fmt.Errorf("an interval needs at least one bounded end (%q is open on both)", s)
	}
	var iv Interval
	if !open(parts[0]) {
		start, _, err := parseInstant(parts[0])
		if err != nil {
			return Interval{}, fmt.Errorf("interval start: %w", err)
		}
		iv.Start = start
	}
	if !open(parts[1]) {
		_, end, err := parseInstant(parts[1])
		if err != nil {
			return Interval{}, fmt.Errorf("interval end: %w", err)
		}
		iv.End = end
	}
	if !iv.Start.IsZero() && !iv.End.IsZero() && !iv.Start.Before(iv.End) {
		return Interval{}, fmt.Errorf("interval start %s is after its end %s", parts[0], parts[1])
	}
	return iv, nil
}

// parseInstant returns the half-open range covered by one RFC 3339 date or
// date-time.
func parseInstant(s string) (start, end time.Time, err error) {
	if len(s) == len("2006-01-02") {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("%q is not an RFC 3339 date (YYYY-MM-DD)", s)
		}
		return d, d.AddDate(0, 0, 1), nil
	}
	// RFC 3339 allows lower-case "t" and "z"; Go's parser does not.
	t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s))
	if err != nil {
		if _, e := time.Parse("2006-01-02T15:04:05", strings.ToUpper(s)); e == nil {
			return time.Time{}, time.Time{}, fmt.Errorf("%q has no time zone offset (add Z or ±hh:mm)", s)
		}
		return time.Time{}, time.Time{}, fmt.Errorf("%q is not an RFC 3339 date-time (e.g. 2025-10-19T03:00:00Z)", s)
	}
	t = t.UTC()
	return t, t.Add(time.Microsecond), nil
}
